"""The worker: SQS batches of run messages through the lifecycle, and action
messages (one send each) through notify, with per-message failures reported
(`batchItemFailures`) so one retry or one poison message does not redeliver
the whole batch. The sends of a batch go out side by side, so one slow
receiver never holds up the others (nor the runs of the batch)."""
import json
import logging
from concurrent.futures import ThreadPoolExecutor

from chalicelib import settings
from chalicelib.clock import utcnow
from chalicelib.runs import control_actions, lifecycle, notify, queue
from chalicelib.store.models import Run

log = logging.getLogger(__name__)


def _send(record: dict, message: dict, clock) -> dict | None:
    """One action message; a failure to process it is reported, not raised."""
    try:
        notify.deliver(message, clock(), control_actions.RunControl)
    except Exception:
        log.exception("action message %s failed", record.get("messageId"))
        return {"itemIdentifier": record["messageId"]}
    return None


def handle_batch(records: list[dict], clock=utcnow) -> dict:
    """Process SQS records (Lambda's shape: messageId, receiptHandle, body).

    A run to be retried gets its message made visible again after the backoff
    and is reported as a batch item failure; a message that fails to process is
    reported too, and after maxReceiveCount lands in the dead-letter queue.
    """
    failures, runs, sends = [], [], []
    for record in records:
        try:
            message = json.loads(record["body"])
        except (TypeError, ValueError):
            log.error("run message %s is not JSON", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        (sends if message.get("kind") == "action" else runs).append((record, message))
    pool = ThreadPoolExecutor(max_workers=len(sends)) if sends else None
    pending = [pool.submit(_send, record, message, clock) for record, message in sends] if pool else []
    try:
        for record, message in runs:
            try:
                outcome = lifecycle.process(message, clock(), clock=clock)
            except Exception:
                log.exception("run message %s failed", record.get("messageId"))
                failures.append({"itemIdentifier": record["messageId"]})
                continue
            if outcome.retry_after is not None:
                queue.sqs().change_message_visibility(QueueUrl=settings.runs_queue_url(),
                                                      ReceiptHandle=record["receiptHandle"],
                                                      VisibilityTimeout=outcome.retry_after)
                failures.append({"itemIdentifier": record["messageId"]})
    finally:
        failures += [failure for failure in (p.result() for p in pending) if failure]
        if pool:
            pool.shutdown()
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
        if message.get("kind") == "action":
            notify.unsent(run, [message], "not sent: its message could not be processed after repeated "
                                          "attempts (dead-lettered)", clock())
            continue
        reason = "The run message could not be processed after repeated attempts (dead-lettered)."
        ended += lifecycle.finish(run, "failed", reason, clock(), only_from=("queued", "retrying", "running"))
    return ended
