"""The worker: SQS batches of run messages through the lifecycle, with
per-message failures reported (`batchItemFailures`) so one retry or one poison
message does not redeliver the whole batch."""
import json
import logging

from chalicelib import settings
from chalicelib.actions import dispatch
from chalicelib.clock import utcnow
from chalicelib.observability import bound
from chalicelib.runs import lifecycle, queue, sqs_batch
from chalicelib.store.models import Run

log = logging.getLogger(__name__)


def handle_batch(records: list[dict], clock=utcnow) -> dict:
    """Process SQS records (Lambda's shape: messageId, receiptHandle, body).

    A run to be retried gets its message made visible again after the backoff
    and is reported as a batch item failure; a message that fails to process is
    reported too, and after maxReceiveCount lands in the dead-letter queue.
    """
    def one(message: dict, record) -> None:
        if message.get("kind") == "action":
            dispatch.retry(message, clock())
            return
        outcome = lifecycle.process(message, clock(), clock=clock)
        if outcome.retry_after is not None:
            queue.sqs().change_message_visibility(QueueUrl=settings.runs_queue_url(),
                                                  ReceiptHandle=record.receipt_handle,
                                                  VisibilityTimeout=outcome.retry_after)
            raise sqs_batch.RetryLater()
    return sqs_batch.process(records, one, what="run message")


def handle_dead_letters(records: list[dict], clock=utcnow) -> int:
    """Messages that could not be processed: their runs end `failed`, never stuck."""
    ended = 0
    for record in records:
        try:
            run_id = json.loads(record["body"])["run_id"]
            run = Run.get(run_id)
        except (ValueError, KeyError, TypeError, Run.DoesNotExist):
            log.error("dead letter without a known run: %s", record.get("messageId"))
            continue
        reason = "The run message could not be processed after repeated attempts (dead-lettered)."
        with bound(run_id=run.id, automation_id=run.automation_id, account_id=run.account_id):
            log.error("run message dead-lettered", extra={"message_id": record.get("messageId")})
            ended += lifecycle.finish(run, "failed", reason, clock(), only_from=("queued", "retrying", "running"))
    return ended
