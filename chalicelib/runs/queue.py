"""The SQS runs queue: one message per run to be worked, and one per action
send (a first try or a retry)."""
import json

from chalicelib import aws, settings
from chalicelib.observability import metrics

BATCH = 10  # SQS takes at most ten messages per SendMessageBatch


def sqs():
    """The SQS client, made once per container (cold-start cost, not per call)."""
    return aws.client("sqs")


def send_message(body: dict, delay_seconds: int = 0) -> None:
    """Put a message on the runs queue (a run to work, or an action to send)."""
    sqs().send_message(QueueUrl=settings.runs_queue_url(), MessageBody=json.dumps(body, default=str),
                       DelaySeconds=delay_seconds)


def send_batches(queue_url: str, entries: list[dict]) -> list[dict]:
    """SendMessageBatch in tens; returns the entries SQS did not take."""
    failed = []
    for start in range(0, len(entries), BATCH):
        batch = entries[start:start + BATCH]
        answer = sqs().send_message_batch(QueueUrl=queue_url, Entries=batch)
        refused = {f["Id"] for f in answer.get("Failed") or []}
        failed += [entry for entry in batch if entry["Id"] in refused]
    return failed


def run_message(run) -> dict:
    """The message of a run: it names the run; the run holds the rest."""
    return {"run_id": run.id, "automation_id": run.automation_id, "account_id": run.account_id,
            "trigger": run.trigger}


def send_run(run, delay_seconds: int = 0) -> None:
    """Queue a run for the worker."""
    send_message(run_message(run), delay_seconds)


def enqueue(run, also: list[dict] = ()) -> list[dict]:
    """Save a new queued run and send its message, with the messages `also`
    (its actions' sends) in the same batch; if the run's own message is not
    taken the run is removed again, so nothing is left half-started. Returns
    the bodies of `also` that could not be sent. A run id that already exists
    raises pynamodb's PutError (the caller decides what that means)."""
    from chalicelib.errors import ServiceUnavailable
    from chalicelib.store.models import Run

    run.save(condition=Run.id.does_not_exist())
    bodies = [run_message(run), *also]
    entries = [{"Id": str(i), "MessageBody": json.dumps(body, default=str)} for i, body in enumerate(bodies)]
    try:
        if not also:  # the trigger URL's path: one plain SendMessage, as before
            send_run(run)
            failed = []
        else:
            failed = send_batches(settings.runs_queue_url(), entries)
    except Exception:
        failed = entries
    if any(entry["Id"] == "0" for entry in failed):
        run.delete()
        raise ServiceUnavailable("The run could not be queued; nothing was started. Retry the call.")
    metrics.run_queued(run)
    return [bodies[int(entry["Id"])] for entry in failed]
