"""GET /events: an account's events, newest first, by name pattern, time
window and resource id, with an opaque cursor."""
from datetime import timedelta

from chalicelib import settings
from chalicelib.clock import iso_ms
from chalicelib.errors import BadRequest
from chalicelib.events.matching import pattern_matches
from chalicelib.http import cursors
from chalicelib.runs.history import parse_time
from chalicelib.store.models import Event


def list_events(account_id: str, query: dict, now) -> tuple[list[dict], str | None]:
    """One page of events and the cursor of the next (or None)."""
    until = parse_time(query.get("until"), "until", now)
    since = parse_time(query.get("since"), "since", now - timedelta(days=settings.get_int("EVENT_RETENTION_DAYS")))
    if since > until:
        raise BadRequest("since must be before until")
    limit = cursors.page_size(query)
    name, resource_id = query.get("event"), query.get("resource_id")
    results = Event.by_account.query(
        account_id, Event.occurred_key.between(iso_ms(since), iso_ms(until) + "#\uffff"),
        scan_index_forward=False, page_size=limit, last_evaluated_key=cursors.decode(
            query.get("cursor"), {"key", "account_id", "occurred_key"}, {"account_id": account_id}))

    def keep(item) -> bool:
        body = item.body
        return not (item.expires_at and item.expires_at <= now) and \
            (not name or pattern_matches(name, body["event"])) and \
            (not resource_id or body["resource"].get("id") == resource_id)

    items, cursor = cursors.take(results, keep, limit, lambda item: {
        "key": item.key, "account_id": item.account_id, "occurred_key": item.occurred_key})
    return [item.body for item in items], cursor
