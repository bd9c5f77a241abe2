"""The SQS runs queue: one message per run to be worked."""
import json

from chalicelib import aws, settings
from chalicelib.observability import metrics


def sqs():
    """The SQS client, made once per container (cold-start cost, not per call)."""
    return aws.client("sqs")


def send_message(body: dict, delay_seconds: int = 0) -> None:
    """Put a message on the runs queue (a run to work, or an action to retry)."""
    sqs().send_message(QueueUrl=settings.runs_queue_url(), MessageBody=json.dumps(body, default=str),
                       DelaySeconds=delay_seconds)


def send_run(run, delay_seconds: int = 0) -> None:
    """Queue a run for the worker. The message names the run; the run holds the rest."""
    send_message({"run_id": run.id, "automation_id": run.automation_id, "account_id": run.account_id,
                  "trigger": run.trigger}, delay_seconds)


def enqueue(run) -> None:
    """Save a new queued run and send its message; if the send fails the run
    is removed again, so nothing is left half-started. A run id that already
    exists raises pynamodb's PutError (the caller decides what that means)."""
    from chalicelib.errors import ServiceUnavailable
    from chalicelib.store.models import Run

    run.save(condition=Run.id.does_not_exist())
    try:
        send_run(run)
    except Exception:
        run.delete()
        raise ServiceUnavailable("The run could not be queued; nothing was started. Retry the call.")
    metrics.run_queued(run)
