"""Events of `POST /events` that feed the operations model: a tool without an
integration of its own sends `alert.firing`, `alert.resolved`,
`incident.<what>`, `change.deployed` or `change.failed` with the canonical
fields in `payload` (docs/integrations.md lists them), and they are kept as
alerts, incidents and changes of source "events", exactly as a vendor's.

Other names in those families (say `alert.note`) are plain events."""
from chalicelib.errors import Invalid
from chalicelib.ops.arrivals import INCIDENT_STATUSES, INCIDENT_WHATS, AlertArrival, ChangeArrival, IncidentArrival
from chalicelib.ops.vendors.base import string_map, text, utc

SOURCE = "events"
# What an incident event's name says its status became, when its payload does not say.
STATUS_OF = {"triggered": "triggered", "reopened": "triggered", "unacknowledged": "triggered",
             "acknowledged": "acknowledged", "resolved": "resolved"}


def is_model_event(name: str) -> bool:
    """Whether an event of this name becomes an alert, incident or change."""
    family, _, what = name.partition(".")
    return (family == "alert" and what in ("firing", "resolved")) or \
        (family == "incident" and what in INCIDENT_WHATS) or (family == "change" and what in ("deployed", "failed"))


def arrival_of(event: dict):
    """The arrival an accepted event stands for (None for other events);
    Invalid names the payload field that is wrong."""
    name = event["event"]
    if not is_model_event(name):
        return None
    family, _, what = name.partition(".")
    payload, resource_id = event.get("payload") or {}, event["resource"]["id"]
    return {"alert": _alert, "incident": _incident, "change": _change}[family](what, payload, resource_id, event)


def _f(field: str) -> str:
    return f"payload.{field}"



def _alert(what, payload, resource_id, event) -> AlertArrival:
    # A resolve without its start ends the alert's current firing (as CloudWatch's OK does).
    start = utc(payload["starts_at"], _f("starts_at")) if payload.get("starts_at") else (
        "" if what == "resolved" else utc(event["occurred"], "occurred"))
    end = utc(payload.get("ends_at") or (event["occurred"] if what == "resolved" else None), _f("ends_at"),
              required=False) if what == "resolved" else None
    return AlertArrival(source=SOURCE, fingerprint=text(payload.get("fingerprint") or resource_id,
                                                        _f("fingerprint"), limit=128),
                        name=text(payload.get("name") or event["resource"].get("name"), _f("name"), required=False,
                                  limit=255) or "", status=what,
                        starts_at=start,
                        ends_at=end, service=text(payload.get("service"), _f("service"), required=False, limit=255),
                        severity=text(payload.get("severity"), _f("severity"), required=False, limit=64),
                        labels=string_map(payload.get("labels"), _f("labels")),
                        annotations=string_map(payload.get("annotations"), _f("annotations")),
                        generator_url=text(payload.get("generator_url"), _f("generator_url"), required=False),
                        acked_by=text(payload.get("acked_by"), _f("acked_by"), required=False, limit=255))


def _incident(what, payload, resource_id, event) -> IncidentArrival:
    status = payload.get("status") or STATUS_OF.get(what)
    if status is not None and status not in INCIDENT_STATUSES:
        raise Invalid(f"payload.status must be one of {', '.join(INCIDENT_STATUSES)}", field=_f("status"))
    assignees = payload.get("assignees") or []
    if not isinstance(assignees, list) or not all(isinstance(a, str) for a in assignees):
        raise Invalid("payload.assignees must be a list of names", field=_f("assignees"))
    alert_keys = payload.get("alert_keys") or []
    if not isinstance(alert_keys, list) or not all(isinstance(a, str) for a in alert_keys):
        raise Invalid("payload.alert_keys must be a list of alert keys", field=_f("alert_keys"))
    number = payload.get("number")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
        raise Invalid("payload.number must be an integer", field=_f("number"))
    return IncidentArrival(
        source=SOURCE, id=text(payload.get("id") or resource_id, _f("id"), limit=128),
        title=text(payload.get("title") or event["resource"].get("name"), _f("title"), required=False,
                   limit=500) or "", status=status, what=what,
        at=utc(payload.get("at") or event["occurred"], _f("at")), number=number,
        service=text(payload.get("service"), _f("service"), required=False, limit=255),
        urgency=text(payload.get("urgency"), _f("urgency"), required=False, limit=32),
        priority=text(payload.get("priority"), _f("priority"), required=False, limit=32),
        who=text(payload.get("who"), _f("who"), required=False, limit=255), assignees=assignees[:20],
        escalation=text(payload.get("escalation"), _f("escalation"), required=False, limit=255),
        url=text(payload.get("url"), _f("url"), required=False), alert_keys=alert_keys[:50],
        opened_at=utc(payload.get("opened_at"), _f("opened_at"), required=False), event_id=event["id"])


def _change(what, payload, resource_id, event) -> ChangeArrival:
    outcome = payload.get("outcome") or ("failure" if what == "failed" else "success")
    return ChangeArrival(
        source=SOURCE, id=text(payload.get("id") or resource_id, _f("id"), limit=128),
        kind=text(payload.get("kind") or "deploy", _f("kind"), limit=64),
        at=utc(payload.get("at") or event["occurred"], _f("at")),
        service=text(payload.get("service"), _f("service"), required=False, limit=255),
        environment=text(payload.get("environment"), _f("environment"), required=False, limit=128),
        who=text(payload.get("who"), _f("who"), required=False, limit=255),
        link=text(payload.get("link"), _f("link"), required=False),
        outcome=text(outcome, _f("outcome"), limit=32),
        description=text(payload.get("description"), _f("description"), required=False, limit=2000),
        updated_at=utc(event["occurred"], "occurred"))
