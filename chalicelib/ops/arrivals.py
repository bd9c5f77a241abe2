"""What a vendor's payload says, in the model's words: alerts (one per source
and fingerprint, each arrival a firing's start or end), incidents (each
arrival a status change) and changes. Vendors build these; `apply` stores
them; every arrival is also an event (`event_name`)."""
from dataclasses import dataclass, field

ALERT_STATUSES = ("firing", "resolved")
INCIDENT_STATUSES = ("triggered", "acknowledged", "resolved")
# What an incident arrival may say happened: its event name is `incident.<what>`.
INCIDENT_WHATS = ("triggered", "acknowledged", "unacknowledged", "resolved", "reopened", "escalated",
                  "reassigned", "priority_updated", "annotated")
CHANGE_OUTCOMES = ("success", "failure", "error", "in_progress", "pending", "queued", "inactive", "cancelled", None)


@dataclass
class AlertArrival:
    """An alert's firing started (`status` firing) or ended (resolved).

    A firing is identified by (alert, `starts_at`). A resolved arrival whose
    `starts_at` is "" ends the alert's current firing, whenever it started: a
    tool that reports only state changes (a CloudWatch alarm's OK) does not
    repeat when the firing began. The applier ends the open firing then, and
    changes nothing when none is open."""
    source: str  # the integration type, or "events"
    fingerprint: str
    name: str  # "" when the tool names none: the alert keeps the name it has
    status: str  # firing | resolved
    starts_at: str  # ISO UTC: the firing's start (the same for its end); "" on a resolved: the current firing
    ends_at: str | None = None  # when it resolved
    service: str | None = None
    severity: str | None = None
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    generator_url: str | None = None
    acked_by: str | None = None  # who acknowledged it, when the tool says
    acked_at: str | None = None

    @property
    def key(self) -> str:
        return f"{self.source}#{self.fingerprint}"

    @property
    def event_name(self) -> str:
        return f"alert.{self.status}"


@dataclass
class IncidentArrival:
    """Something happened to an incident: `what` (triggered, acknowledged,
    resolved, escalated, reassigned, …), leaving it in `status`. A `status`
    of None says "unchanged": the tool did not say (a note added to an
    incident), and the applier keeps the incident's status as it is."""
    source: str
    id: str
    title: str  # "" when the tool says none: the incident keeps its title
    status: str | None  # triggered | acknowledged | resolved: its status after this; None: unchanged
    what: str  # what happened (INCIDENT_WHATS)
    at: str  # ISO UTC
    number: int | None = None
    service: str | None = None
    urgency: str | None = None
    priority: str | None = None
    who: str | None = None  # who did it (a person, or the tool)
    assignees: list = field(default_factory=list)
    escalation: str | None = None
    url: str | None = None
    alert_keys: list = field(default_factory=list)
    opened_at: str | None = None  # when it opened, when the tool says (else the first arrival's time)
    event_id: str | None = None  # the tool's own id of this happening (idempotency)

    @property
    def key(self) -> str:
        return f"{self.source}#{self.id}"

    @property
    def event_name(self) -> str:
        return f"incident.{self.what}"


@dataclass
class ChangeArrival:
    """A change on a service: a deploy, a config change; its outcome so far."""
    source: str
    id: str
    kind: str  # deploy | config | flag | migration | infrastructure | …
    at: str  # when it happened (started)
    service: str | None = None
    environment: str | None = None
    who: str | None = None
    link: str | None = None
    outcome: str | None = None
    description: str | None = None
    updated_at: str | None = None  # when this news of it is from (a later status of one deploy)

    @property
    def key(self) -> str:
        return f"{self.source}#{self.id}"

    @property
    def event_name(self) -> str:
        return "change.failed" if self.outcome in ("failure", "error") else "change.deployed"


@dataclass
class Parsed:
    """What one delivery said: its idempotency key, the arrivals, and for
    deliveries that carry no data (a ping, a subscription confirmation) what
    to answer or do."""
    delivery_key: str
    alerts: list = field(default_factory=list)
    incidents: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    reply: dict | None = None  # a ping's answer: nothing is stored
    confirm_url: str | None = None  # SNS: GET this URL to confirm the subscription (as SNS_CERT_BASE_URL points it)
