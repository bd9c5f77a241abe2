"""Run history of a rule: newest first, filtered by status and time window,
paginated with an opaque cursor. Expired runs are hidden even before TTL
deletion catches up."""
import base64
import json
from datetime import timedelta

from chalicelib.clock import iso_ms, parse_iso
from chalicelib.errors import BadRequest, NotFound
from chalicelib.runs.records import STATUSES, is_expired
from chalicelib.store.models import Run

DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=180)
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def parse_time(value, field: str, default):
    """An ISO time from a query parameter, or the default; 400 when malformed."""
    if value in (None, ""):
        return default
    try:
        return parse_iso(value)
    except ValueError:
        raise BadRequest(f"{field} must be an ISO 8601 time such as 2026-11-01T00:00:00Z; got {value!r}")


def _cursor_in(value: str | None, automation_id: str) -> dict | None:
    if not value:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(value.encode() + b"==="))
        wanted = {"id", "automation_id", "created_at"}
        if (not isinstance(key, dict) or set(key) != wanted
                or not all(isinstance(v, dict) and isinstance(v.get("S"), str) and len(v) == 1
                           for v in key.values())
                or key["automation_id"]["S"] != automation_id):
            raise ValueError
        return key
    except ValueError:
        raise BadRequest("cursor is not valid for this history; pass next_cursor from the previous page")


def _cursor_out(run: Run) -> str:
    key = {"id": {"S": run.id}, "automation_id": {"S": run.automation_id},
           "created_at": {"S": run.created_at}}
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


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
    raw_limit = query.get("limit") or str(DEFAULT_LIMIT)
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer 1-{MAX_LIMIT}")
    limit = int(raw_limit)
    condition = None if status == "all" else Run.status == status
    results = Run.by_automation.query(
        automation_id, Run.created_at.between(iso_ms(since), iso_ms(until)),
        filter_condition=condition, scan_index_forward=False, page_size=limit,
        last_evaluated_key=_cursor_in(query.get("cursor"), automation_id))
    page = []
    for run in results:
        if is_expired(run, now):
            continue
        page.append(run)
        if len(page) == limit:
            return page, _cursor_out(run)
    return page, None


def get_run(run_id: str, now) -> Run:
    """A run by id, or 404 (expired runs count as gone)."""
    try:
        run = Run.get(run_id)
    except Run.DoesNotExist:
        raise NotFound(f"No run {run_id!r}.")
    if is_expired(run, now):
        raise NotFound(f"No run {run_id!r}.")
    return run
