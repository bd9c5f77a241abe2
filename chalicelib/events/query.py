"""GET /events: an account's events, newest first, by name pattern, time
window and resource id, with an opaque cursor.

A caller sees the account's external events, and the run events (our own
`automation.*` events, about an automation) only of the automations they can
view: the same rule as GET /automations/{id}, so a member never learns the
names, runs or reasons of another team's automations from the events."""
from datetime import timedelta

from chalicelib import settings
from chalicelib.clock import before, iso_ms, parse_time
from chalicelib.errors import Invalid
from chalicelib.events.ingest import RESERVED_PREFIX
from chalicelib.events.matching import pattern_matches
from chalicelib.identity import permissions
from chalicelib.store import BadCursor, repos
from chalicelib.validation import bad_cursor, page_size


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
            rule = repos.rules.get(automation_id) if isinstance(automation_id, str) else None
            self.seen[automation_id] = rule is not None and permissions.can_view(self.caller, rule)
        return self.seen[automation_id]


def list_events(caller, query: dict, now) -> tuple[list[dict], str | None]:
    """One page of the events the caller may see, and the cursor of the next (or None)."""
    visible = Visibility(caller)
    until = parse_time(query.get("until"), "until", now)
    # the default window ends at `until`: ?until= alone in the past is a valid window, not "since after until"
    days = settings.current().event_retention_days
    since = parse_time(query.get("since"), "since", before(until, timedelta(days=days)))
    if since > until:
        raise Invalid("since must be before until", field="since")
    limit = page_size(query)
    name, resource_id = query.get("event"), query.get("resource_id")

    def keep(event) -> bool:
        body = event.body
        return not (event.expires_at and event.expires_at <= now) and \
            (not name or pattern_matches(name, body["event"])) and \
            (not resource_id or body["resource"].get("id") == resource_id) and visible(body)

    try:
        events, cursor = repos.events.page(caller.account_id, iso_ms(since), iso_ms(until), limit,
                                           query.get("cursor"), keep)
    except BadCursor as exc:
        raise bad_cursor() from exc
    return [event.body for event in events], cursor
