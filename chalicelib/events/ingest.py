"""Events in: validation one by one, idempotent storage (an id seen before is
accepted once), then matching against the event triggers that could match the
event's name (the index), never all automations.

Matching counts the trigger windows and says which triggers fired
(`Firing`s); starting their runs is the run side's business
(chalicelib/runs/fire.py), so this package knows nothing of runs."""
import json
import re
from dataclasses import dataclass
from datetime import timedelta

from chalicelib import settings
from chalicelib.clock import iso, iso_ms, parse_iso
from chalicelib.errors import Invalid
from chalicelib.events import matching, triggers, windows
from chalicelib.identity import tokens
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import Event

MAX_BATCH = 100
NAME_PATTERN = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
_NAME = re.compile(NAME_PATTERN[1:-1])  # matched whole (fullmatch: no trailing newline)
MAX_PAYLOAD = 32 * 1024
RESERVED_PREFIX = "automation."  # our own run events; nobody may send them in (or forge them)


@dataclass(frozen=True)
class Arrival:
    """One event of a request: as kept, whether it was new, and what it fired."""
    event: dict
    stored: bool
    firings: list
    checked: object = None  # what the caller's `check` made of it


@dataclass(frozen=True)
class Firing:
    """An event trigger fired: start a run of `automation_id` for `event`,
    once per `firing_key` (a re-delivered event or a repeated tick fires once)."""
    automation_id: str
    why: str
    event: dict
    firing_key: str


def parse(raw, now) -> dict:
    """One event as sent, checked and normalised; Invalid says what is wrong (and which field)."""
    if not isinstance(raw, dict):
        raise Invalid("an event must be a JSON object", field="")
    name = raw.get("event")
    if not isinstance(name, str) or not 0 < len(name) <= 255 or not _NAME.fullmatch(name):
        raise Invalid("event must be a dotted name like 'incident.triggered'", field="event")
    event_id = tokens.new_id(12) if raw.get("id") in (None, "") else raw["id"]  # absent or empty: ours
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 128 or ":" in event_id:
        raise Invalid("id must be a string of 1-128 characters without ':'", field="id")
    occurred = now
    if raw.get("occurred") is not None:
        try:
            occurred = parse_iso(raw["occurred"])
        except (TypeError, ValueError, AttributeError) as exc:
            raise Invalid("occurred must be an ISO 8601 time such as 2026-11-23T10:00:00Z",
                          field="occurred") from exc
        if occurred > now + timedelta(hours=1):
            raise Invalid("occurred is more than an hour in the future", field="occurred")
    resource = raw.get("resource")
    if not isinstance(resource, dict) or not isinstance(resource.get("id"), str) or not resource["id"]:
        raise Invalid('resource must be an object with a string "id"', field="resource.id")
    related = [] if raw.get("related") is None else raw["related"]  # absent or null; not false, 0 or ""
    if not isinstance(related, list) or len(related) > 20 or not all(
            isinstance(r, dict) and isinstance(r.get("id"), str) for r in related):
        raise Invalid('related must be a list of at most 20 objects with a string "id"', field="related")
    payload = {} if raw.get("payload") is None else raw["payload"]
    if not isinstance(payload, dict) or len(json.dumps(payload, default=str)) > MAX_PAYLOAD:
        raise Invalid("payload must be an object of at most 32 KiB", field="payload")
    return {"id": event_id, "event": name, "occurred": iso_ms(occurred), "received": iso_ms(now),
            "resource": resource, "related": related, "payload": payload}


def _field(batched: bool, index: int, field: str) -> str:
    """Where an event's field is in the body: `occurred`, or `[3].occurred` in a list."""
    where = f"[{index}]" if batched else ""
    return f"{where}.{field}" if where and field else (where or field or "body")


def ingest(account_id: str, body, now, check=None) -> tuple[dict, list[Arrival]]:
    """POST /events: one event or a list of up to 100; each refused on its own.
    `check(event)` may refuse an event more (raising Invalid) before it is
    kept; what it returns is the Arrival's `checked`.
    Returns the answer ({"accepted", "duplicates", "rejected"}) and each kept event's Arrival."""
    batched = isinstance(body, list)
    batch = body if batched else [body]
    if not 0 < len(batch) <= MAX_BATCH:
        raise Invalid(f"send one event or a list of 1-{MAX_BATCH} events", field="body")
    out = {"accepted": [], "duplicates": [], "rejected": []}
    arrivals: list[Arrival] = []
    index_read: dict[str, list] = {}  # the trigger index, read once per bucket for the whole batch
    for index, raw in enumerate(batch):
        try:
            event = parse(raw, now)
            if event["event"].startswith(RESERVED_PREFIX):
                raise Invalid(f"event names starting with {RESERVED_PREFIX!r} are reserved for the service's "
                              "own run events", field="event")
            checked = check(event) if check else None
        except Invalid as exc:
            out["rejected"].append({"index": index, "reason": str(exc), "field": _field(batched, index, exc.field)})
            continue
        stored, fired = record(account_id, event, now, index_read=index_read)
        out["accepted" if stored else "duplicates"].append(event["id"])
        arrivals.append(Arrival(event, stored, fired, checked))
    return out, arrivals


def refusal_errors(result: dict) -> list[dict]:
    """The field-by-field errors of a batch where no event was kept."""
    return [{"field": r["field"], "message": f"event {r['index']}: {r['reason']}"} for r in result["rejected"]]


def refusal_message(result: dict) -> str:
    """The message of the 400 answer when no event was kept."""
    reasons = "; ".join(f"event {r['index']}: {r['reason']}" for r in result["rejected"][:5])
    more = f" (and {len(result['rejected']) - 5} more)" if len(result["rejected"]) > 5 else ""
    return f"No event was accepted: {reasons}{more}"


def record(account_id: str, event: dict, now, match_triggers: bool = True,
           index_read: dict | None = None) -> tuple[bool, list[Firing]]:
    """Store an event once and match it (unless the caller knows no trigger
    can match it: `match_triggers` False); (False, []) for an id seen before.
    `index_read`: the trigger-index buckets already read for this request (see `match`)."""
    item = Event(account_id=account_id, id=event["id"], body=event,
                 expires_at=now + timedelta(days=settings.current().event_retention_days))
    try:
        repos.events.add_once(item)
    except ConditionFailed:
        return False, []
    return True, match(account_id, event, now, index_read) if match_triggers else []


def match(account_id: str, event: dict, now, index_read: dict | None = None) -> list[Firing]:
    """Run the event through every trigger that could match its name; what fired.
    `index_read` keeps each bucket of the trigger index as first read, so the
    events of one batch read a bucket once (two Queries per batch of one name,
    not two per event); the windows they touch are still per event."""
    fired, seen = [], set()
    index_read = {} if index_read is None else index_read
    for bucket in triggers.candidate_buckets(account_id, event["event"]):
        if bucket not in index_read:
            index_read[bucket] = repos.events.triggers_in(bucket)
        for entry in index_read[bucket]:
            if entry.automation_id in seen:
                continue
            seen.add(entry.automation_id)
            trigger = entry.trigger
            role = matching.role_of(trigger, event)
            if role is None:
                continue
            key = matching.bucket_of(trigger, event)
            if triggers.is_late_start(trigger):
                continue  # it counts no events: the minute tick checks queued runs (runs/late_start.py)
            if trigger["posture"] == "proactive":
                if role == "after":
                    windows.proactive_after(trigger, entry.automation_id, key, event, now)
                else:
                    windows.proactive_expected(trigger, entry.automation_id, key)
            elif windows.reactive_hit(trigger, entry.automation_id, key, now):
                why = f"Event trigger fired: {trigger['threshold']} matching event(s)" + (
                    f" within {trigger['within']} s" if trigger["within"] else "")
                fired.append(Firing(entry.automation_id, why, event, f"{account_id}:{event['id']}"))
    return fired


def check_proactive(now) -> list[Firing]:
    """Minute tick: the proactive triggers whose window ended short of events."""
    fired = []
    for window in windows.expired_windows(now):
        trigger, after = window.context["trigger"], window.context["after_event"]
        missing = int(window.count) < trigger["threshold"]
        if not windows.close(window) or not missing:
            continue
        why = (f"Proactive trigger fired: {window.count} of {trigger['threshold']} expected event(s) "
               f"{trigger['expect']} arrived within {trigger['within']} s after {after['event']}")
        fired.append(Firing(window.automation_id, why, after, f"{window.key}@{iso(now)}"))
    return fired
