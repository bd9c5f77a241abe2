"""Arrivals into the store, each idempotent: a firing is known by its alert
and start, an incident's happening by its own id (or what and when), a
change's news by its time, so a redelivered payload, a repeat notification or
a second replica of a tool changes nothing and makes no second event.

An alert arrival is one transaction (the alert, its firing, its day's
aggregate and its event), after one BatchGetItem per delivery for the current
state of its alerts. A write that finds the alert changed underneath (another
delivery at the same moment) is worked out again from a fresh read."""
import hashlib
from dataclasses import dataclass, field, replace
from datetime import timedelta

from chalicelib import settings
from chalicelib.clock import iso_ms, parse_iso
from chalicelib.ops.arrivals import AlertArrival, ChangeArrival, IncidentArrival
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.operations import AlertWrite
from chalicelib.store.records import Alert, AlertDay, AlertFiring, Change, Event, Incident

QUICK = timedelta(minutes=5)  # resolved this soon, nobody acting: a quick self-resolve
FLAP = timedelta(hours=1)  # fired again this soon after resolving: a flap
MAX_TIMELINE = 200  # status changes kept per incident
TRIES = 3  # fresh reads of an alert or incident that changed underneath


@dataclass
class Applied:
    """What a delivery changed: counts, and the events it made (stored, to match against triggers)."""
    alerts: int = 0
    incidents: int = 0
    changes: int = 0
    events: list = field(default_factory=list)


def apply_all(account_id: str, alerts: list, incidents: list, changes: list, now,
              integration_id: str | None = None, make_events: bool = True) -> Applied:
    """Store a delivery's arrivals; what changed and the new events.
    `make_events` False: the arrivals came as events (POST /events), which are stored already."""
    out = Applied()
    expires = now + timedelta(days=settings.current().event_retention_days)
    current = repos.operations.alerts(account_id, [a.key for a in alerts]) if alerts else {}
    steps = [(a, "alerts", lambda a: _alert(account_id, a, current, now, expires, integration_id, make_events))
             for a in alerts]
    steps += [(i, "incidents", lambda i: _incident(account_id, i, now, expires, integration_id, make_events))
              for i in incidents]
    steps += [(c, "changes", lambda c: _change(account_id, c, now, expires, integration_id, make_events))
              for c in changes]
    for arrival, counter, store in steps:
        event = store(arrival)
        if event is not None:
            setattr(out, counter, getattr(out, counter) + 1)
            if make_events:
                out.events.append(event)
    return out


def _event_id(*parts) -> str:
    """A stable event id from what identifies the happening (so it is made once)."""
    return "ops_" + hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]


def _event(account_id: str, name: str, event_id: str, occurred: str, resource: dict, payload: dict,
           now, expires) -> Event:
    body = {"id": event_id, "event": name, "occurred": iso_ms(min(parse_iso(occurred), now)),
            "received": iso_ms(now), "resource": resource, "related": [], "payload": payload}
    return Event(account_id=account_id, id=event_id, body=body, expires_at=expires)


# --- alerts ------------------------------------------------------------------------------


def _alert(account_id, arrival: AlertArrival, current: dict, now, expires, integration_id,
           make_events: bool) -> dict | None:
    for _ in range(TRIES):
        write = plan_alert(account_id, arrival, current.get(arrival.key), now, expires, integration_id)
        if write is None:
            return None
        event = write.event.body
        if not make_events:
            write.event = None
        try:
            repos.operations.write_alert(write)
        except ConditionFailed:  # changed underneath, or the firing/event is there: read it again
            found = repos.operations.alert(account_id, arrival.key)
            if found is None:
                current.pop(arrival.key, None)
            else:
                current[arrival.key] = found
            continue
        if write.alert is not None:
            current[arrival.key] = write.alert
        return event
    return None


def plan_alert(account_id: str, arrival: AlertArrival, alert: Alert | None, now, expires,
               integration_id: str | None = None) -> AlertWrite | None:
    """What an alert arrival changes given the alert as stored (None: new),
    or None when it changes nothing (a repeat, or news older than what is known)."""
    start = arrival.starts_at or (alert.last_start if alert and alert.status == "firing" else None)
    if not start:
        return None  # the end of a firing we never saw start, with no start to go by
    same_firing = alert is not None and alert.last_start == start
    if arrival.status == "firing":
        if same_firing or (alert is not None and alert.last_start and start < alert.last_start):
            return None  # a repeat notification, or a firing older than the newest known
    elif same_firing and alert.status == "resolved":
        return None  # its end is known
    elif alert is not None and alert.last_start and start < alert.last_start:
        return None  # the end of an older firing: its day was counted when it was new
    stamp = iso_ms(now)
    new = _updated(account_id, arrival, alert, start, stamp, expires, integration_id)
    ends = arrival.ends_at if arrival.status == "resolved" else None
    ending_known = arrival.status == "resolved" and same_firing  # the firing is stored, open
    firing = AlertFiring(alert_key=f"{account_id}#{arrival.key}", start=start, end=ends,
                         acked_by=arrival.acked_by, acked_at=arrival.acked_at, expires_at=expires)
    add = {} if ending_known else {"fired": 1}
    if not ending_known and alert is not None and alert.last_end and \
            parse_iso(start) - parse_iso(alert.last_end) <= FLAP:
        add["flaps"] = 1
    if ends:
        seconds = max(0, int((parse_iso(ends) - parse_iso(start)).total_seconds()))
        acked = arrival.acked_by or (alert.acked_by if same_firing else None)
        add.update(resolved=1, firing_seconds=seconds)
        if seconds <= QUICK.total_seconds() and not acked:
            add["quick_resolved"] = 1
    if arrival.acked_by and not (same_firing and alert.acked_by):
        add["acked"] = 1
    started = parse_iso(start)
    day = AlertDay(day_key=f"{account_id}#{started.date().isoformat()}", key=arrival.key, name=new.name,
                   service=new.service, severity=new.severity, expires_at=expires)
    event_name = arrival.event_name
    event = _event(account_id, event_name, _event_id(account_id, arrival.key, start, arrival.status),
                   ends or start, {"id": arrival.key, "type": "alert", "name": new.name},
                   _alert_payload(new, start, ends), now, expires)
    return AlertWrite(account_id=account_id, alert=new, read_updated_at=alert.updated_at if alert else None,
                      firing=firing, firing_new=not ending_known, day=day, day_add=add,
                      start_minute=None if ending_known else started.hour * 60 + started.minute, event=event)


def _updated(account_id, arrival: AlertArrival, alert: Alert | None, start: str, stamp: str, expires,
             integration_id) -> Alert:
    """The alert after the arrival (a new firing, or the current one ending)."""
    base = alert or Alert(account_id=account_id, key=arrival.key, name=arrival.name or arrival.fingerprint,
                          status=arrival.status, source=arrival.source, first_seen=start, updated_at=stamp)
    new_firing = base.last_start != start
    return replace(
        base, name=arrival.name or base.name, status=arrival.status, updated_at=stamp,
        service=arrival.service or base.service, severity=arrival.severity or base.severity,
        labels=arrival.labels or base.labels, annotations=arrival.annotations or base.annotations,
        generator_url=arrival.generator_url or base.generator_url,
        integration_id=integration_id or base.integration_id, first_seen=min(base.first_seen, start),
        last_start=start, last_end=arrival.ends_at if arrival.status == "resolved" else (
            None if new_firing else base.last_end),
        acked_by=arrival.acked_by or (None if new_firing else base.acked_by),
        fired=(base.fired or 0) + (1 if new_firing else 0), expires_at=expires)


def _alert_payload(alert: Alert, start: str, end: str | None) -> dict:
    """The canonical alert fields an event carries (docs/integrations.md)."""
    return {"key": alert.key, "name": alert.name, "service": alert.service, "severity": alert.severity,
            "status": alert.status, "starts_at": start, "ends_at": end, "source": alert.source,
            "labels": alert.labels or {}, "annotations": alert.annotations or {},
            "generator_url": alert.generator_url}


# --- incidents ---------------------------------------------------------------------------


def _incident(account_id, arrival: IncidentArrival, now, expires, integration_id,
              make_events: bool) -> dict | None:
    for _ in range(TRIES):
        stored = repos.operations.incident(account_id, arrival.key)
        planned = plan_incident(account_id, arrival, stored, now, expires, integration_id)
        if planned is None:
            return None
        incident, event = planned
        try:
            repos.operations.save_incident(incident, event if make_events else None)
        except ConditionFailed:
            continue
        return event.body
    return None


def plan_incident(account_id: str, arrival: IncidentArrival, stored: Incident | None, now, expires,
                  integration_id: str | None = None) -> tuple[Incident, Event] | None:
    """The incident after an arrival, and the arrival's event; None when the
    happening is known already (its id, or the same what at the same time)."""
    happening = arrival.event_id or f"{arrival.what}@{arrival.at}"
    timeline = list(stored.timeline or []) if stored else []
    if any(entry.get("id") == happening for entry in timeline):
        return None
    entry = {"id": happening, "at": arrival.at, "status": arrival.status, "what": arrival.what, "who": arrival.who}
    timeline = sorted(timeline + [entry], key=lambda e: e["at"])[-MAX_TIMELINE:]
    incident = stored or Incident(account_id=account_id, key=arrival.key, title=arrival.title or arrival.id,
                                  status=arrival.status or "triggered", opened_at=arrival.opened_at or arrival.at,
                                  source=arrival.source, updated_at=iso_ms(now))
    newest = timeline[-1] is entry  # older news joins the timeline but does not set the state
    status = incident.status
    if newest and arrival.status:
        status = arrival.status
    incident = replace(
        incident, title=arrival.title or incident.title, status=status, updated_at=iso_ms(now),
        number=arrival.number if arrival.number is not None else incident.number,
        service=arrival.service or incident.service, urgency=arrival.urgency or incident.urgency,
        priority=arrival.priority or incident.priority, url=arrival.url or incident.url,
        escalation=arrival.escalation or incident.escalation,
        assignees=arrival.assignees if newest and (arrival.assignees or arrival.status == "resolved")
        else incident.assignees,
        alert_keys=sorted(set(incident.alert_keys or []) | set(arrival.alert_keys or [])),
        opened_at=min(incident.opened_at, arrival.opened_at or arrival.at),
        integration_id=integration_id or incident.integration_id, timeline=timeline, expires_at=expires)
    acks = [e["at"] for e in timeline if e["status"] == "acknowledged"]
    incident.acknowledged_at = acks[0] if acks else None
    incident.resolved_at = arrival.at if newest and status == "resolved" else (
        incident.resolved_at if status == "resolved" else None)
    event = _event(account_id, arrival.event_name, _event_id(account_id, arrival.key, happening), arrival.at,
                   {"id": arrival.key, "type": "incident", "name": incident.title},
                   {**incident_json(incident), "what": arrival.what, "who": arrival.who}, now, expires)
    return incident, event


def incident_json(incident: Incident) -> dict:
    """An incident as the API, the tools and its events show it."""
    return {"key": incident.key, "id": incident.key.split("#", 1)[1], "number": incident.number,
            "title": incident.title, "service": incident.service, "urgency": incident.urgency,
            "priority": incident.priority, "status": incident.status, "opened_at": incident.opened_at,
            "acknowledged_at": incident.acknowledged_at, "resolved_at": incident.resolved_at,
            "assignees": incident.assignees or [], "escalation": incident.escalation, "url": incident.url,
            "alert_keys": incident.alert_keys or [], "source": incident.source}


# --- changes -----------------------------------------------------------------------------


def _change(account_id, arrival: ChangeArrival, now, expires, integration_id, make_events: bool) -> dict | None:
    news = arrival.updated_at or arrival.at
    change = Change(account_id=account_id, key=arrival.key, kind=arrival.kind, at=arrival.at, source=arrival.source,
                    service=arrival.service, environment=arrival.environment, who=arrival.who, link=arrival.link,
                    outcome=arrival.outcome, description=arrival.description, integration_id=integration_id,
                    updated_at=news, expires_at=expires)
    event = _event(account_id, arrival.event_name, _event_id(account_id, arrival.key, news, arrival.outcome),
                   news, {"id": arrival.key, "type": "change", "name": arrival.service or arrival.key},
                   change_json(change), now, expires)
    try:
        repos.operations.save_change(change, event if make_events else None)
    except ConditionFailed:
        return None  # this news of it, or newer, is stored
    return event.body


def change_json(change: Change) -> dict:
    """A change as the API, the tools and its events show it."""
    return {"key": change.key, "service": change.service, "kind": change.kind, "environment": change.environment,
            "who": change.who, "at": change.at, "link": change.link, "outcome": change.outcome,
            "description": change.description, "source": change.source, "updated_at": change.updated_at}
