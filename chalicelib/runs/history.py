"""Run history of a rule: newest first, filtered by status and time window,
paginated with an opaque cursor. Expired runs are hidden even before TTL
deletion catches up."""
from datetime import timedelta

from chalicelib.clock import before, iso_ms, parse_time
from chalicelib.errors import Invalid, NotFound
from chalicelib.runs.records import STATUSES, is_expired
from chalicelib.store import BadCursor, repos
from chalicelib.store.records import Run
from chalicelib.validation import bad_cursor, page_size

DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=180)


def parse_window(query: dict, now):
    """(since, until) from the query: default the last 30 days, at most 180."""
    until = parse_time(query.get("until"), "until", now)
    since = parse_time(query.get("since"), "since", before(until, DEFAULT_WINDOW))
    if since > until:
        raise Invalid("since must be before until", field="since")
    if until - since > MAX_WINDOW:
        raise Invalid("The time window is over 180 days; narrow since/until to at most 180 days", field="since")
    return since, until


def list_runs(automation_id: str, query: dict, now) -> tuple[list[Run], str | None]:
    """One page of a rule's runs and the cursor of the next page (or None)."""
    since, until = parse_window(query, now)
    status = query.get("status") or "all"
    if status != "all" and status not in STATUSES:
        raise Invalid(f"status must be all or one of {', '.join(STATUSES)}; got {status!r}", field="status")
    limit = page_size(query)
    try:
        return repos.runs.history(automation_id, iso_ms(since), iso_ms(until), None if status == "all" else status,
                                  limit, query.get("cursor"), lambda run: not is_expired(run, now))
    except BadCursor as exc:
        raise bad_cursor() from exc


def get_run(run_id: str, now) -> Run:
    """A run by id, or 404 (expired runs count as gone)."""
    run = repos.runs.get(run_id)
    if run is None or is_expired(run, now):
        raise NotFound(f"No run {run_id!r}.")
    return run
