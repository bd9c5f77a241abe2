"""Runs started and stopped by people: manual runs, cancel, and reading a
run's session. Each follows the history rule: only where `can_edit`."""
from chalicelib.errors import Conflict, Invalid, TooLarge
from chalicelib.identity.permissions import CANCEL_READ_ONLY, RUN_READ_ONLY
from chalicelib.rules.automations import get_history_readable
from chalicelib.runs import history, lifecycle, queue, records
from chalicelib.sessions import items as sessions
from chalicelib.store import repos
from chalicelib.store.records import Run

CANCELLABLE = ("queued", "running", "retrying")
MAX_TEXT = 64 * 1024


def start_manual(caller, automation_id: str, body: dict, now) -> Run:
    """POST /automations/{id}/runs: a run with trigger `manual`."""
    rule = get_history_readable(caller, automation_id, RUN_READ_ONLY)
    if rule.deleted_at:
        raise Conflict("The automation was deleted; it can no longer run.")
    if not rule.enabled:
        raise Conflict("The automation is disabled; enable it before running it.")
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        raise Invalid(f"text must be a string; got {type(text).__name__}", field="text")
    if text and len(text.encode()) > MAX_TEXT:
        raise TooLarge("text is over 64 KiB")
    run = records.new_queued(rule.id, rule.account_id, "manual", now, text=text)
    queue.enqueue(run)
    return run


def cancel(caller, run_id: str, now) -> Run:
    """POST /runs/{id}/cancel: a queued or running run ends `failed`, reason "cancelled"."""
    run = history.get_run(run_id, now)
    get_history_readable(caller, run.automation_id, CANCEL_READ_ONLY)
    if not lifecycle.finish(run, "failed", "cancelled", now, only_from=CANCELLABLE):
        run = repos.runs.get(run.id)
        raise Conflict(f"The run already ended ({run.status}); only queued or running runs can be cancelled.")
    return repos.runs.get(run.id)


def readable_run(caller, run_id: str, now) -> Run:
    """GET /runs/{id}: the run, where its automation's history is readable."""
    run = history.get_run(run_id, now)
    get_history_readable(caller, run.automation_id)
    return run


def readable_session(caller, session_id: str) -> dict:
    """GET /sessions/{id}: the whole hidden session, under the same rule."""
    session = sessions.load(session_id)
    get_history_readable(caller, session["automation_id"])
    return session
