"""Events in: validation one by one, idempotent storage (an id seen before is
accepted once), then matching against the event triggers that could match the
event's name (the index), never all automations."""
import json
import re
from datetime import timedelta

from pynamodb.exceptions import PutError

from chalicelib import settings
from chalicelib.clock import iso, iso_ms, parse_iso
from chalicelib.errors import BadRequest
from chalicelib.events import fire, matching, triggers, windows
from chalicelib.identity import tokens
from chalicelib.observability import metrics
from chalicelib.store.models import Event, EventTriggerEntry

MAX_BATCH = 100
NAME_PATTERN = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
_NAME = re.compile(NAME_PATTERN[1:-1])  # matched whole (fullmatch: no trailing newline)
MAX_PAYLOAD = 32 * 1024
RESERVED_PREFIX = "automation."  # our own run events; nobody may send them in (or forge them)


def parse(raw, now) -> dict:
    """One event as sent, checked and normalised; BadRequest says what is wrong."""
    if not isinstance(raw, dict):
        raise BadRequest("an event must be a JSON object")
    name = raw.get("event")
    if not isinstance(name, str) or not 0 < len(name) <= 255 or not _NAME.fullmatch(name):
        raise BadRequest("event must be a dotted name like 'incident.triggered'")
    event_id = tokens.new_id(12) if raw.get("id") in (None, "") else raw["id"]  # absent or empty: ours
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 128 or ":" in event_id:
        raise BadRequest("id must be a string of 1-128 characters without ':'")
    occurred = now
    if raw.get("occurred") is not None:
        try:
            occurred = parse_iso(raw["occurred"])
        except (TypeError, ValueError, AttributeError):
            raise BadRequest("occurred must be an ISO 8601 time such as 2026-11-23T10:00:00Z")
        if occurred > now + timedelta(hours=1):
            raise BadRequest("occurred is more than an hour in the future")
    resource = raw.get("resource")
    if not isinstance(resource, dict) or not isinstance(resource.get("id"), str) or not resource["id"]:
        raise BadRequest('resource must be an object with a string "id"')
    related = [] if raw.get("related") is None else raw["related"]  # absent or null; not false, 0 or ""
    if not isinstance(related, list) or len(related) > 20 or not all(
            isinstance(r, dict) and isinstance(r.get("id"), str) for r in related):
        raise BadRequest('related must be a list of at most 20 objects with a string "id"')
    payload = {} if raw.get("payload") is None else raw["payload"]
    if not isinstance(payload, dict) or len(json.dumps(payload, default=str)) > MAX_PAYLOAD:
        raise BadRequest("payload must be an object of at most 32 KiB")
    return {"id": event_id, "event": name, "occurred": iso_ms(occurred), "received": iso_ms(now),
            "resource": resource, "related": related, "payload": payload}


def ingest(account_id: str, body, now) -> dict:
    """POST /events: one event or a list of up to 100; each refused on its own."""
    batch = body if isinstance(body, list) else [body]
    if not 0 < len(batch) <= MAX_BATCH:
        raise BadRequest(f"send one event or a list of 1-{MAX_BATCH} events")
    out = {"accepted": [], "duplicates": [], "rejected": [], "runs": []}
    index_read: dict[str, list] = {}  # the trigger index, read once per bucket for the whole batch
    for index, raw in enumerate(batch):
        try:
            event = parse(raw, now)
            if event["event"].startswith(RESERVED_PREFIX):
                raise BadRequest(f"event names starting with {RESERVED_PREFIX!r} are reserved for the service's "
                                 "own run events")
        except BadRequest as exc:
            out["rejected"].append({"index": index, "reason": str(exc)})
            continue
        stored, runs = record(account_id, event, now, index_read=index_read)
        metrics.event_ingested(event, stored, runs)
        out["accepted" if stored else "duplicates"].append(event["id"])
        out["runs"] += [run.id for run in runs]
    return out


def refusal(result: dict) -> dict:
    """The 400 answer when no event was kept: the Error shape every refusal
    has, with the per-event result beside it."""
    reasons = "; ".join(f"event {r['index']}: {r['reason']}" for r in result["rejected"][:5])
    more = f" (and {len(result['rejected']) - 5} more)" if len(result["rejected"]) > 5 else ""
    return {"Code": "BadRequest", "Message": f"No event was accepted: {reasons}{more}", **result}


def record(account_id: str, event: dict, now, match_triggers: bool = True,
           index_read: dict | None = None) -> tuple[bool, list]:
    """Store an event once and match it (unless the caller knows no trigger
    can match it: `match_triggers` False); (False, []) for an id seen before.
    `index_read`: the trigger-index buckets already read for this request (see `match`)."""
    item = Event(f"{account_id}:{event['id']}", account_id=account_id,
                 occurred_key=f"{event['occurred']}#{event['id']}", body=event,
                 expires_at=now + timedelta(days=settings.get_int("EVENT_RETENTION_DAYS")))
    try:
        item.save(condition=Event.key.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False, []
        raise
    return True, match(account_id, event, now, index_read) if match_triggers else []


def match(account_id: str, event: dict, now, index_read: dict | None = None) -> list:
    """Run the event through every trigger that could match its name.
    `index_read` keeps each bucket of the trigger index as first read, so the
    events of one batch read a bucket once (two Queries per batch of one name,
    not two per event); the windows and runs they touch are still per event."""
    runs, seen = [], set()
    index_read = {} if index_read is None else index_read
    for bucket in triggers.candidate_buckets(account_id, event["event"]):
        if bucket not in index_read:
            index_read[bucket] = list(EventTriggerEntry.query(bucket))
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
                continue  # it counts no events: the minute tick checks queued runs (late_start.py)
            if trigger["posture"] == "proactive":
                if role == "after":
                    windows.proactive_after(trigger, entry.automation_id, key, event, now)
                else:
                    windows.proactive_expected(trigger, entry.automation_id, key)
            elif windows.reactive_hit(trigger, entry.automation_id, key, now):
                why = f"Event trigger fired: {trigger['threshold']} matching event(s)" + (
                    f" within {trigger['within']} s" if trigger["within"] else "")
                run = fire.fire(entry.automation_id, why, event, now, firing_key=f"{account_id}:{event['id']}")
                if run:
                    runs.append(run)
    return runs


def check_proactive(now) -> list:
    """Minute tick: fire proactive triggers whose window ended short of events."""
    runs = []
    for window in windows.expired_windows(now):
        trigger, after = window.context["trigger"], window.context["after_event"]
        missing = int(window.count) < trigger["threshold"]
        if not windows.close(window) or not missing:
            continue
        why = (f"Proactive trigger fired: {window.count} of {trigger['threshold']} expected event(s) "
               f"{trigger['expect']} arrived within {trigger['within']} s after {after['event']}")
        run = fire.fire(window.automation_id, why, after, now, firing_key=f"{window.key}@{iso(now)}")
        if run:
            runs.append(run)
    return runs
