"""The records the repositories hand to the core: plain dataclasses, one per
kind of item, with the same fields as the table items (store/models.py). The
core reads and builds them; only a repository writes them, through its named
operations."""
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Account:
    """An account: the only security boundary. `markers` True: it keeps
    `has_runners` and `run_watchers` (accounts from before the markers do not)."""
    id: str
    name: str
    created_at: str
    next_team_id: int = 0
    markers: bool | None = None
    has_runners: bool | None = None
    run_watchers: set | None = None  # automations whose event trigger can match run events
    business_hours: dict | None = None  # {"days": [1..5] (0 = Sunday), "start": 9, "end": 18}, in `timezone`
    timezone: str | None = None
    default_agent_id: str | None = None  # the agent profile of automations that name none
    has_knowledge: bool | None = None  # set with its first knowledge document: a run of an account without reads none


@dataclass
class User:
    """A person in one account: owner, admin or member."""
    id: str
    account_id: str
    email: str
    role: str
    created_at: str


@dataclass
class ApiKey:
    """An API key: its public id, and its secret only as a hash."""
    key_id: str
    key_hash: str
    user_id: str
    account_id: str
    created_at: str
    hint: str | None = None


@dataclass
class Team:
    """A team: an integer id > 0 within its account."""
    account_id: str
    team_id: int
    name: str
    created_at: str


@dataclass
class Runner:
    """A self-hosted runner: account-global (team_id 0) or of one team, in a pool."""
    account_id: str
    id: str
    name: str
    team_id: int
    created_at: str
    pool: str = "default"
    min_healthy: int = 1
    token_hash: str | None = None
    last_heartbeat: str | None = None


@dataclass
class Rule:
    """An automation rule."""
    id: str
    account_id: str
    name: str
    team_id: int
    owner_id: str
    environment: dict
    task_prompt: str
    enabled: bool
    triggers: list
    created_at: str
    updated_at: str
    template_id: str | None = None
    locale: str | None = None  # the language of its builtin reports (en-US, zh-CN)
    agent_id: str | None = None  # its agent profile (None: the account's default, else builtin)
    overlap: str = "skip"
    actions: list = field(default_factory=list)
    paused: dict | None = None
    signing_secret: str | None = None
    previous_signing_secret: str | None = None  # signs beside it until previous_secret_until (a rotation's grace)
    previous_secret_until: str | None = None
    scheduled_since: str | None = None
    deleted_at: str | None = None
    expires_at: datetime | None = None
    mcp_server_ids: list | None = None  # the MCP servers its runs may use (ids of its scope's servers)


@dataclass
class TriggerToken:
    """An api trigger: the token hash and what the trigger URL decides on
    without reading the rule (kept in step with it on every save)."""
    trigger_id: str
    token_hash: str
    automation_id: str
    account_id: str
    owner_id: str
    issuer_id: str
    issuer_role: str
    enabled: bool
    created_at: str


@dataclass
class Run:
    """One firing of an automation. The fields from `active` to `lease_hash`
    are kept by the store for its indexes; the core reads them, never sets them."""
    id: str
    automation_id: str
    account_id: str
    trigger: str
    status: str
    created_at: str
    expires_at: datetime | None = None
    reason: str | None = None
    context_text: str | None = None
    idempotency_key: str | None = None
    scheduled_for: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_ms: int | None = None
    session_id: str | None = None
    attempt: int = 0
    heartbeat_at: str | None = None
    note: str | None = None  # stays in the reason whatever the outcome (e.g. it started late)
    resends: int | None = None  # times the sweeper sent its message again
    resent_at: str | None = None
    trigger_event: dict | None = None  # the event that started an `event` or `automation` run
    started_by: dict | None = None
    action_results: dict = field(default_factory=dict)  # "<outcome>:<index>" -> how that action went
    environment: dict | None = None  # null until placed
    pool: str | None = None  # set while it waits for a runner of this pool
    runner_teams: list | None = None
    # Kept by the store for its sparse indexes.
    active: str | None = None
    waiting: str | None = None
    waiting_since: str | None = None
    work_key: str | None = None
    work_at: str | None = None
    lease_hash: str | None = None


@dataclass
class ScheduleEntry:
    """Where an enabled scheduled rule is filed in the schedule index."""
    slot: str  # "<hour> <dom> <month> <dow>#<shard>" | "<zone> <hour> <dow|*>#<shard>"
    automation_id: str
    account_id: str
    cron: str | None = None  # UTC cron entries only
    since: str | None = None  # the rule's scheduled_since


@dataclass
class TriggerEntry:
    """Where an enabled event trigger is filed in the event-trigger index."""
    bucket: str  # "<account_id>|<first name segment or *>"
    automation_id: str
    trigger: dict


@dataclass
class RuleIndex:
    """Everything a rule is filed under: its schedule slots and event-trigger buckets."""
    schedule: list[ScheduleEntry] = field(default_factory=list)
    triggers: list[TriggerEntry] = field(default_factory=list)


@dataclass
class Event:
    """An event as stored (its body as the API shows it), kept for the event retention."""
    account_id: str
    id: str
    body: dict
    expires_at: datetime | None = None


@dataclass
class EventWindow:
    """Counting state of an event trigger for one `for_each` key."""
    key: str  # "<automation_id>|<posture>|<for_each values>"
    automation_id: str
    times: list = field(default_factory=list)
    count: int = 0
    open: str | None = None  # set while a proactive window is open
    deadline: str | None = None
    context: dict | None = None
    expires_at: datetime | None = None
    version: int | None = None  # optimistic locking: None for a window not stored yet


@dataclass
class SessionItem:
    """One message, tool call or artifact of a session (or one part of a large one); seq 0 is the header."""
    seq: int
    kind: str
    data: str
    part: int = 0
    parts: int = 1


@dataclass
class Tick:
    """A record of the scheduler: the last completed tick, or the last catch-up."""
    name: str
    slot: str  # the tick's time (ISO)
    data: dict


@dataclass
class Integration:
    """A monitoring tool's webhook into an account."""
    account_id: str
    id: str
    type: str
    name: str
    created_at: str
    team_id: int = 0
    created_by: str | None = None
    updated_at: str | None = None
    token_hash: str | None = None  # a bearer token's or URL secret's hash
    signing_secret: str | None = None  # an HMAC key (PagerDuty, GitHub): kept to verify with, never shown
    mapping: dict | None = None
    last_received_at: str | None = None
    received: int = 0
    refused: int = 0
    errors: list | None = None  # the newest 10 {"at", "reason"}
    confirmed_at: str | None = None


@dataclass
class McpServer:
    """An MCP server an account registered: a streamable-HTTP URL, headers
    whose values are text or the name of an account secret
    ({"secret": name}), an optional allow-list of its tools."""
    account_id: str
    id: str
    name: str
    url: str
    created_at: str
    team_id: int = 0
    owner_id: str | None = None
    updated_at: str | None = None
    headers: dict | None = None
    allowed_tools: list | None = None


@dataclass
class Document:
    """A knowledge document (a runbook, service notes) in Markdown: personal
    (team 0) or of a team, with the automations' scope rules. Listings leave
    `content` out (None)."""
    account_id: str
    id: str
    title: str
    team_id: int
    owner_id: str
    created_at: str
    updated_at: str
    content: str | None = None
    size: int = 0  # bytes of the content in UTF-8
    sections: int = 0  # Markdown sections (chalicelib/knowledge/sections.py)
    updated_by: str | None = None


@dataclass
class Alert:
    """An alert: one per source and fingerprint, with its newest firings."""
    account_id: str
    key: str  # "<source>#<fingerprint>"
    name: str
    status: str  # firing | resolved
    source: str
    first_seen: str
    updated_at: str
    service: str | None = None
    severity: str | None = None
    labels: dict | None = None
    annotations: dict | None = None
    integration_id: str | None = None
    last_start: str | None = None  # when its current (or last) firing started
    last_end: str | None = None  # when its last firing ended (None while it fires)
    acked_by: str | None = None  # who acknowledged its current firing
    fired: int = 0  # firings kept (alert-firings holds each)
    generator_url: str | None = None
    expires_at: datetime | None = None


@dataclass
class AlertFiring:
    """One firing of an alert."""
    alert_key: str  # "<account_id>#<alert key>"
    start: str
    end: str | None = None
    acked_by: str | None = None
    acked_at: str | None = None
    expires_at: datetime | None = None


@dataclass
class AlertDay:
    """An alert's UTC day, added up as it happens."""
    day_key: str  # "<account_id>#<YYYY-MM-DD>"
    key: str
    name: str
    service: str | None = None
    severity: str | None = None
    fired: int = 0
    resolved: int = 0
    quick_resolved: int = 0  # resolved within minutes, nobody acknowledged it
    flaps: int = 0  # fired again within an hour of resolving
    acked: int = 0
    firing_seconds: int = 0
    start_minutes: set | None = None  # the minutes of the day (UTC) in which a firing started
    expires_at: datetime | None = None


@dataclass
class Incident:
    """An incident with every status change."""
    account_id: str
    key: str  # "<source>#<id>"
    title: str
    status: str  # triggered | acknowledged | resolved
    opened_at: str
    source: str
    updated_at: str
    number: int | None = None
    service: str | None = None
    urgency: str | None = None
    priority: str | None = None
    acknowledged_at: str | None = None
    resolved_at: str | None = None
    assignees: list | None = None
    escalation: str | None = None
    timeline: list | None = None  # [{"at", "status", "who", "what"}]
    alert_keys: list | None = None
    url: str | None = None
    integration_id: str | None = None
    expires_at: datetime | None = None
    version: int | None = None  # optimistic locking: None for one not stored yet


@dataclass
class Change:
    """A change on a service: a deploy, a config change."""
    account_id: str
    key: str  # "<source>#<id>"
    kind: str
    at: str
    source: str
    service: str | None = None
    environment: str | None = None
    who: str | None = None
    link: str | None = None
    outcome: str | None = None
    description: str | None = None
    integration_id: str | None = None
    updated_at: str | None = None
    expires_at: datetime | None = None


@dataclass
class AgentProfile:
    """An account's agent settings: which model backend a run uses, and its limits."""
    account_id: str
    id: str
    name: str
    backend: str  # builtin | openai | bedrock
    created_at: str
    team_id: int = 0
    model: str | None = None
    base_url: str | None = None  # openai only
    api_key_secret: str | None = None  # the NAME of an account secret, never its value
    max_steps: int | None = None
    max_tokens: int | None = None
    created_by: str | None = None
    updated_at: str | None = None
