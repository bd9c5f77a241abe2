"""The worker: SQS batches of run messages through the lifecycle, and action
messages (one send each) through notify, each message on its own through
Powertools' batch processor (sqs_batch.py), with per-message failures reported
(`batchItemFailures`) so one retry or one poison message does not redeliver
the whole batch. The sends of a batch go out side by side, so one slow
receiver never holds up the others (nor the runs of the batch)."""
import contextvars
import json
import logging
from concurrent.futures import ThreadPoolExecutor

from chalicelib import settings
from chalicelib.clock import utcnow
from chalicelib.observability import bound
from chalicelib.runs import control_actions, lifecycle, notify, queue, sqs_batch
from chalicelib.store.models import Run

log = logging.getLogger(__name__)


def _is_send(record: dict) -> bool:
    try:
        return json.loads(record["body"]).get("kind") == "action"
    except (ValueError, TypeError, AttributeError, KeyError):
        return False  # the run path reports it as a failed message


def handle_batch(records: list[dict], clock=utcnow) -> dict:
    """Process SQS records (Lambda's shape: messageId, receiptHandle, body).

    A run to be retried gets its message made visible again after the backoff
    and is reported as a batch item failure; a message that fails to process is
    reported too, and after maxReceiveCount lands in the dead-letter queue.
    """
    def send(message: dict, record) -> None:
        notify.deliver(message, clock(), control_actions.RunControl)

    def work(message: dict, record) -> None:
        outcome = lifecycle.process(message, clock(), clock=clock)
        if outcome.retry_after is not None:
            queue.sqs().change_message_visibility(QueueUrl=settings.runs_queue_url(),
                                                  ReceiptHandle=record.receipt_handle,
                                                  VisibilityTimeout=outcome.retry_after)
            raise sqs_batch.RetryLater()

    sends = [record for record in records if _is_send(record)]
    runs = [record for record in records if record not in sends]
    with ThreadPoolExecutor(max_workers=max(1, len(sends))) as pool:
        # each send in a copy of this invocation's context: its log lines keep the function and request id
        pending = [pool.submit(contextvars.copy_context().run, sqs_batch.process, [record], send, "action message")
                   for record in sends]
        failures = sqs_batch.process(runs, work, what="run message")["batchItemFailures"] if runs else []
        for answer in pending:
            failures += answer.result()["batchItemFailures"]
    return {"batchItemFailures": failures}


def handle_dead_letters(records: list[dict], clock=utcnow) -> int:
    """Messages that could not be processed: their runs end `failed`, never
    stuck (an action message that kept failing is recorded as failed)."""
    ended = 0
    for record in records:
        try:
            message = json.loads(record["body"])
            run = Run.get(message["run_id"])
        except (ValueError, KeyError, TypeError, Run.DoesNotExist):
            log.error("dead letter without a known run: %s", record.get("messageId"))
            continue
        with bound(run_id=run.id, automation_id=run.automation_id, account_id=run.account_id):
            log.error("message dead-lettered", extra={"message_id": record.get("messageId"),
                                                      "kind": message.get("kind", "run")})
            if message.get("kind") == "action":
                notify.unsent(run, [message], "not sent: its message could not be processed after repeated "
                                              "attempts (dead-lettered)", clock())
                continue
            reason = "The run message could not be processed after repeated attempts (dead-lettered)."
            ended += lifecycle.finish(run, "failed", reason, clock(), only_from=("queued", "retrying", "running"))
    return ended
