"""The runs queue: one message per run to be worked, and one per action send
(a first try or a retry)."""
import json

from chalicelib.errors import Unavailable
from chalicelib.observability import metrics
from chalicelib.store import repos
from chalicelib.store.records import Run

RUNS = "runs"


def run_message(run: Run) -> dict:
    """The message of a run: it names the run; the run holds the rest."""
    return {"run_id": run.id, "automation_id": run.automation_id, "account_id": run.account_id,
            "trigger": run.trigger}


def send_run(run: Run, delay_seconds: int = 0) -> None:
    """Queue a run for the worker (again, for the sweeper: the worker starts a run once)."""
    repos.queues.send(RUNS, run_message(run), delay_seconds)


def entries(bodies: list[dict]) -> list[dict]:
    """Message bodies as SendMessageBatch entries (their ids: their places)."""
    return [{"Id": str(i), "MessageBody": json.dumps(body, default=str)} for i, body in enumerate(bodies)]


def enqueue(run: Run, also: list[dict] = ()) -> list[dict]:
    """Save a new queued run and send its message, with the messages `also`
    (its actions' sends) in the same batch; if the run's own message is not
    taken the run is removed again, so nothing is left half-started. Returns
    the bodies of `also` that could not be sent. A run id that already exists
    raises store.ConditionFailed (the caller decides what that means)."""
    repos.runs.add(run)
    bodies = [run_message(run), *also]
    try:
        if not also:  # the trigger URL's path: one plain SendMessage, as before
            send_run(run)
            failed = []
        else:
            failed = repos.queues.send_batch(RUNS, entries(bodies))
    except Exception:
        failed = entries(bodies)
    if any(entry["Id"] == "0" for entry in failed):
        repos.runs.delete(run.id)
        raise Unavailable("The run could not be queued; nothing was started. Retry the call.")
    metrics.run_queued(run)
    return [bodies[int(entry["Id"])] for entry in failed]
