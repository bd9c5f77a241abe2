"""PagerDuty V3 webhook subscriptions: `{"event": {id, event_type,
occurred_at, agent, client, data}}`, signed in `X-PagerDuty-Signature`
(`v1=<hex HMAC-SHA256 of the body>`, one per active secret, comma separated
during a rotation: any may match).

PagerDuty makes the signing secret itself and shows it once, when the
subscription is created; it cannot take ours. So the integration's
`signing_secret` is PagerDuty's, stored with PUT /integrations/{id}.

Each `incident.<what>` event is an IncidentArrival: the incident is
`data` (or, for a note and the like, the `data.incident` reference), its
status is `data.status` when the data is the incident, else what the event
implies (None: unchanged). Other events (`service.*`, `incident.responder.*`,
`incident.workflow.*`, …) and the test event `pagey.ping` store nothing.
The delivery key is `event.id`, stable across PagerDuty's retries.

The mapping's `service` is a dotted path (or a list, the first with a value)
into the incident: `service.summary` (the service's name, the default) or
`service.id`, `escalation_policy.summary`, …"""
from chalicelib.errors import Invalid, Unauthorized
from chalicelib.ops.arrivals import INCIDENT_STATUSES, INCIDENT_WHATS, IncidentArrival, Parsed
from chalicelib.ops.vendors.base import (
    Vendor,
    body_digest,
    first_path,
    hmac_hex,
    json_body,
    same,
    text,
    utc,
)

# `incident.delegated` is a reassignment to another escalation policy.
ALIASES = {"delegated": "reassigned"}
# The status an event leaves the incident in, when its data does not say.
IMPLIED = {"triggered": "triggered", "acknowledged": "acknowledged", "unacknowledged": "triggered",
           "resolved": "resolved", "reopened": "triggered"}
EVENTS = ("incident.triggered, incident.acknowledged, incident.unacknowledged, incident.escalated, "
          "incident.reassigned, incident.delegated, incident.reopened, incident.resolved, "
          "incident.priority_updated, incident.annotated")


class PagerDuty(Vendor):
    type = "pagerduty"
    title = "PagerDuty"
    secret_kind = "signing"
    tool_makes_secret = True
    default_mapping = {"service": "service.summary"}

    def authenticate(self, integration, request, now) -> None:
        header = request.header("x-pagerduty-signature")
        if not header:
            raise Unauthorized("Missing X-PagerDuty-Signature: PagerDuty signs every V3 webhook; "
                               "is this a V3 webhook subscription?")
        if not integration.signing_secret:
            raise Unauthorized("This integration has no signing secret: store the one PagerDuty showed")
        expected = "v1=" + hmac_hex(integration.signing_secret, request.body)
        matched = False
        for candidate in header.split(","):
            matched |= same(candidate.strip(), expected)  # every one compared: constant time
        if not matched:
            raise Unauthorized("X-PagerDuty-Signature does not match this integration's signing secret (the one "
                               "PagerDuty showed when the webhook was made)")

    def parse(self, integration, request, now) -> Parsed:
        event = json_body(request).get("event")
        if not isinstance(event, dict):
            raise Invalid("event must be an object: is this a V3 webhook?", field="event")
        event_type = text(event.get("event_type"), "event.event_type", limit=128)
        key = (text(event.get("id"), "event.id", required=False, limit=128)
               or request.header("x-webhook-id") or body_digest(request))
        if event_type == "pagey.ping":
            return Parsed(delivery_key=key, reply={"pong": True})
        group, _, what = event_type.partition(".")
        what = ALIASES.get(what, what)
        if group != "incident" or what not in INCIDENT_WHATS:
            return Parsed(delivery_key=key)
        return Parsed(delivery_key=key, incidents=[incident_of(event, what, self.mapping(integration))])

    def setup(self, url: str, secret: str) -> str:
        return (
            "In PagerDuty: Integrations → Generic Webhooks (v3) → New Webhook\n"
            f"  Webhook URL: {url}\n"
            "  Scope Type / Scope: the service or team whose incidents to send (or Account)\n"
            f"  Event Subscription: {EVENTS}\n"
            "  Add Webhook\n"
            "PagerDuty then shows the webhook's signing secret once: it makes its own and cannot\n"
            "take ours. Store it on this integration (until then deliveries are refused):\n"
            "  PUT /integrations/<this integration's id>  {\"signing_secret\": \"<PagerDuty's secret>\"}\n"
            "Then press Send Test Event: it answers 200.\n")


def incident_of(event: dict, what: str, mapping: dict) -> IncidentArrival:
    """The incident an `incident.*` event is about, and what happened to it."""
    data = event.get("data")
    if not isinstance(data, dict):
        raise Invalid("event.data must be an object", field="event.data")
    where, incident = "event.data", data
    if data.get("type") != "incident":  # a note, a responder, …: the incident is a reference in it
        where, incident = "event.data.incident", data.get("incident")
        if not isinstance(incident, dict):
            raise Invalid("event.data.incident must be the incident it is about", field=where)
    status = incident.get("status") if incident is data else None
    if status is not None and status not in INCIDENT_STATUSES:
        raise Invalid(f"{where}.status must be one of {', '.join(INCIDENT_STATUSES)}", field=f"{where}.status")
    number = incident.get("number")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
        raise Invalid(f"{where}.number must be a number", field=f"{where}.number")
    return IncidentArrival(
        source="pagerduty", id=text(incident.get("id"), f"{where}.id", limit=128),
        title=text(incident.get("title") or incident.get("summary"), f"{where}.title", limit=512),
        status=status or IMPLIED.get(what), what=what, at=utc(event.get("occurred_at"), "event.occurred_at"),
        number=number, service=first_path(incident, mapping.get("service")),
        urgency=text(incident.get("urgency"), f"{where}.urgency", required=False, limit=32),
        priority=summary(incident.get("priority")), who=who_of(event),
        assignees=[name for name in map(summary, as_list(incident.get("assignees"))) if name],
        escalation=summary(incident.get("escalation_policy")),
        url=text(incident.get("html_url"), f"{where}.html_url", required=False),
        opened_at=utc(incident.get("created_at"), f"{where}.created_at", required=False),
        event_id=text(event.get("id"), "event.id", required=False, limit=128))


def who_of(event: dict) -> str:
    """A person who acted, else the tool that sent it (an Events API client), else PagerDuty itself."""
    agent, client = event.get("agent"), event.get("client")
    if isinstance(agent, dict) and agent.get("type") == "user_reference" and summary(agent):
        return summary(agent)
    if isinstance(client, dict) and isinstance(client.get("name"), str) and client["name"]:
        return client["name"][:255]
    return "PagerDuty"


def summary(reference) -> str | None:
    """A PagerDuty reference's `summary` (its name), or None."""
    if isinstance(reference, dict) and isinstance(reference.get("summary"), str) and reference["summary"]:
        return reference["summary"][:255]
    return None


def as_list(value) -> list:
    return value if isinstance(value, list) else []
