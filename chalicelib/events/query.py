"""GET /events: an account's events, newest first, by name pattern, time
window and resource id, with an opaque cursor.

A caller sees the account's external events, and the run events (our own
`automation.*` events, about an automation) only of the automations they can
view: the same rule as GET /automations/{id}, so a member never learns the
names, runs or reasons of another team's automations from the events."""
from datetime import timedelta

from chalicelib import settings
from chalicelib.clock import iso_ms
from chalicelib.errors import BadRequest
from chalicelib.events.ingest import RESERVED_PREFIX
from chalicelib.events.matching import pattern_matches
from chalicelib.http import cursors
from chalicelib.identity import permissions
from chalicelib.runs.history import parse_time
from chalicelib.store.models import Automation, Event


def is_run_event(body: dict) -> bool:
    """Whether an event is one of ours about an automation."""
    resource = body.get("resource") or {}
    return body.get("event", "").startswith(RESERVED_PREFIX) and resource.get("kind") == "automation"


class Visibility:
    """Which events a caller may see, reading each automation once."""

    def __init__(self, caller):
        self.caller, self.seen = caller, {}

    def __call__(self, body: dict) -> bool:
        if self.caller.is_admin or not is_run_event(body):
            return True
        automation_id = body["resource"].get("id")
        if automation_id not in self.seen:
            try:
                rule = Automation.get(automation_id)
                self.seen[automation_id] = permissions.can_view(self.caller, rule)
            except Automation.DoesNotExist:
                self.seen[automation_id] = False
        return self.seen[automation_id]


def list_events(caller, query: dict, now) -> tuple[list[dict], str | None]:
    """One page of the events the caller may see, and the cursor of the next (or None)."""
    account_id, visible = caller.account_id, Visibility(caller)
    until = parse_time(query.get("until"), "until", now)
    # the default window ends at `until`: ?until= alone in the past is a valid window, not "since after until"
    since = parse_time(query.get("since"), "since", until - timedelta(days=settings.get_int("EVENT_RETENTION_DAYS")))
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
            (not resource_id or body["resource"].get("id") == resource_id) and visible(body)

    items, cursor = cursors.take(results, keep, limit, lambda item: {
        "key": item.key, "account_id": item.account_id, "occurred_key": item.occurred_key})
    return [item.body for item in items], cursor
