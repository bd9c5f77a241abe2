"""Run history of a rule: newest first, filtered by status and time window,
paginated with an opaque cursor. Expired runs are hidden even before TTL
deletion catches up."""
from datetime import timedelta

from chalicelib.clock import iso_ms, parse_iso
from chalicelib.errors import BadRequest, NotFound
from chalicelib.http import cursors
from chalicelib.runs.records import STATUSES, is_expired
from chalicelib.store.models import Run

DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=180)


def parse_time(value, field: str, default):
    """An ISO time from a query parameter, or the default; 400 when malformed."""
    if value in (None, ""):
        return default
    try:
        return parse_iso(value)
    except ValueError:
        raise BadRequest(f"{field} must be an ISO 8601 time such as 2026-11-01T00:00:00Z; got {value!r}")


def parse_window(query: dict, now):
    """(since, until) from the query: default the last 30 days, at most 180."""
    until = parse_time(query.get("until"), "until", now)
    since = parse_time(query.get("since"), "since", until - DEFAULT_WINDOW)
    if since > until:
        raise BadRequest("since must be before until")
    if until - since > MAX_WINDOW:
        raise BadRequest("The time window is over 180 days; narrow since/until to at most 180 days")
    return since, until


def list_runs(automation_id: str, query: dict, now) -> tuple[list[Run], str | None]:
    """One page of a rule's runs and the cursor of the next page (or None)."""
    since, until = parse_window(query, now)
    status = query.get("status") or "all"
    if status != "all" and status not in STATUSES:
        raise BadRequest(f"status must be all or one of {', '.join(STATUSES)}; got {status!r}")
    limit = cursors.page_size(query)
    condition = None if status == "all" else Run.status == status
    results = Run.by_automation.query(
        automation_id, Run.created_at.between(iso_ms(since), iso_ms(until)),
        filter_condition=condition, scan_index_forward=False, page_size=limit,
        last_evaluated_key=cursors.decode(query.get("cursor"), {"id", "automation_id", "created_at"},
                                          {"automation_id": automation_id}))
    return cursors.take(results, lambda run: not is_expired(run, now), limit,
                        lambda run: {"id": run.id, "automation_id": run.automation_id, "created_at": run.created_at})


def get_run(run_id: str, now) -> Run:
    """A run by id, or 404 (expired runs count as gone)."""
    try:
        run = Run.get(run_id)
    except Run.DoesNotExist:
        raise NotFound(f"No run {run_id!r}.")
    if is_expired(run, now):
        raise NotFound(f"No run {run_id!r}.")
    return run
