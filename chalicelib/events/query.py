"""GET /events: an account's events, newest first, by name pattern, time
window and resource id, with an opaque cursor."""
import base64
import json
from datetime import timedelta

from chalicelib import settings
from chalicelib.clock import iso_ms
from chalicelib.errors import BadRequest
from chalicelib.events.matching import pattern_matches
from chalicelib.runs.history import parse_time
from chalicelib.store.models import Event

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def _cursor_in(value, account_id):
    if not value:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(value.encode() + b"==="))
        if set(key) != {"key", "account_id", "occurred_key"} or key["account_id"] != {"S": account_id} or \
                not all(isinstance(v, dict) and isinstance(v.get("S"), str) for v in key.values()):
            raise ValueError
        return key
    except (ValueError, TypeError):
        raise BadRequest("cursor is not valid here; pass next_cursor from the previous page")


def _cursor_out(item: Event) -> str:
    key = {"key": {"S": item.key}, "account_id": {"S": item.account_id}, "occurred_key": {"S": item.occurred_key}}
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def list_events(account_id: str, query: dict, now) -> tuple[list[dict], str | None]:
    """One page of events and the cursor of the next (or None)."""
    until = parse_time(query.get("until"), "until", now)
    since = parse_time(query.get("since"), "since", now - timedelta(days=settings.get_int("EVENT_RETENTION_DAYS")))
    if since > until:
        raise BadRequest("since must be before until")
    raw_limit = query.get("limit") or str(DEFAULT_LIMIT)
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer 1-{MAX_LIMIT}")
    limit, name, resource_id = int(raw_limit), query.get("event"), query.get("resource_id")
    results = Event.by_account.query(
        account_id, Event.occurred_key.between(iso_ms(since), iso_ms(until) + "#\uffff"),
        scan_index_forward=False, page_size=limit, last_evaluated_key=_cursor_in(query.get("cursor"), account_id))
    page = []
    for item in results:
        body = item.body
        if item.expires_at and item.expires_at <= now:
            continue
        if name and not pattern_matches(name, body["event"]):
            continue
        if resource_id and body["resource"].get("id") != resource_id:
            continue
        page.append(body)
        if len(page) == limit:
            return page, _cursor_out(item)
    return page, None
