"""The pynamodb models: one DynamoDB table each. Private to the store: the
core gets records (store/records.py) from the repositories.

Table names are `<TABLE_PREFIX>-<name>`, set by `configure` (the settings
call it when they are installed); `infra/resources.json` declares the same
tables for CloudFormation and tests/test_infra.py keeps the two in step.
"""
from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.store import config


def _meta(name: str):
    class Meta:
        table_name = f"{config()['table_prefix']}-{name}"  # the store's tables now; `configure` moves them
        region = config()["region"]
        billing_mode = "PAY_PER_REQUEST"
        short_name = name
    return Meta


class Account(Model):
    """An account: the only security boundary. Holds the team id counter and
    two markers the worker reads with the run (so a run of an account without
    runners, or without a trigger on run events, reads no index for them)."""
    Meta = _meta("accounts")
    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    next_team_id = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    # True on accounts created since the markers exist; an older account has
    # neither marker kept and always reads the runners and the trigger index.
    markers = BooleanAttribute(null=True)
    has_runners = BooleanAttribute(null=True)  # set when its first runner is registered, never unset
    # The automations whose enabled event trigger can match run events
    # (kept in the same transaction as their event-trigger index entries).
    run_watchers = UnicodeSetAttribute(null=True)
    # When people are at work, for the on-call analyses: {"days": [1..5], "start": 9, "end": 18} in `timezone`.
    business_hours = JSONAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    default_agent_id = UnicodeAttribute(null=True)  # the agent profile of automations that name none
    # Set with its first knowledge document, never unset: the worker reads it with the run, so a run of an
    # account without knowledge reads nothing of it.
    has_knowledge = BooleanAttribute(null=True)


class UsersByEmail(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_email"
        projection = AllProjection()
    email = UnicodeAttribute(hash_key=True)


class User(Model):
    """A person in one account, with role owner, admin or member."""
    Meta = _meta("users")
    id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    email = UnicodeAttribute()
    role = UnicodeAttribute()
    created_at = UnicodeAttribute()
    by_email = UsersByEmail()


class ApiKeysByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_user"
        projection = AllProjection()
    user_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ApiKey(Model):
    """An API key: looked up by its public id, its secret kept only as a hash."""
    Meta = _meta("api-keys")
    key_id = UnicodeAttribute(hash_key=True)
    key_hash = UnicodeAttribute()
    user_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    hint = UnicodeAttribute(null=True)  # the last 4 characters, to tell keys apart in a list
    by_user = ApiKeysByUser()


class Team(Model):
    """A team: integer id > 0 within its account."""
    Meta = _meta("teams")
    account_id = UnicodeAttribute(hash_key=True)
    team_id = NumberAttribute(range_key=True)
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()


class MembershipsByTeam(GlobalSecondaryIndex):
    """The members of a team (team ids are per account), for deleting a team."""
    class Meta:
        index_name = "by_team"
        projection = KeysOnlyProjection()
    account_id = UnicodeAttribute(hash_key=True)
    team_id = NumberAttribute(range_key=True)


class Membership(Model):
    """A user belonging to a team."""
    Meta = _meta("memberships")
    user_id = UnicodeAttribute(hash_key=True)
    team_id = NumberAttribute(range_key=True)
    account_id = UnicodeAttribute()
    by_team = MembershipsByTeam()


class RunnersById(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_id"
        projection = AllProjection()
    id = UnicodeAttribute(hash_key=True)


class Runner(Model):
    """A self-hosted runner: account-global (team_id 0) or of one team. It
    belongs to a pool (a set of runners doing the same job) and reports its
    health with heartbeats under its own token."""
    Meta = _meta("runners")
    account_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    team_id = NumberAttribute()
    pool = UnicodeAttribute(default="default")
    min_healthy = NumberAttribute(default=1)
    token_hash = UnicodeAttribute(null=True)
    last_heartbeat = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    by_id = RunnersById()


class AutomationsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()
    account_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class Automation(Model):
    """An automation rule."""
    Meta = _meta("automations")
    id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    name = UnicodeAttribute()
    team_id = NumberAttribute()
    owner_id = UnicodeAttribute()
    environment = JSONAttribute()
    task_prompt = UnicodeAttribute()
    enabled = BooleanAttribute()
    triggers = JSONAttribute()
    template_id = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)  # the language of its builtin reports
    agent_id = UnicodeAttribute(null=True)  # its agent profile; None: the account's default, else builtin
    overlap = UnicodeAttribute(default="skip")  # skip | allow: a run while the previous one still runs
    actions = JSONAttribute(default=list)
    # Why it is disabled, when a person or an automation's action paused it:
    # {"by": {"kind": "automation"|"user", "id", "name"}, "run_id", "reason", "at"}.
    paused = JSONAttribute(null=True)
    signing_secret = UnicodeAttribute(null=True)  # signs its webhooks (see rules/signing.py); never returned
    # After a rotation, the secret it replaced signs too until previous_secret_until (ISO); never returned.
    previous_signing_secret = UnicodeAttribute(null=True)
    previous_secret_until = UnicodeAttribute(null=True)
    # When its current schedule began to apply (created, changed or enabled);
    # a catch-up never fires a tick from before it. None: scheduled before it was kept.
    scheduled_since = UnicodeAttribute(null=True)
    mcp_server_ids = JSONAttribute(null=True)  # the MCP servers its runs may use
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # Deleting keeps the rule (hidden) until its run history's retention ends,
    # so history stays readable with the same permissions.
    deleted_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    by_account = AutomationsByAccount()


class TriggerToken(Model):
    """An api trigger: the token hash plus what the trigger URL needs to decide
    without reading the automation (kept in step with it on every change)."""
    Meta = _meta("trigger-tokens")
    trigger_id = UnicodeAttribute(hash_key=True)
    token_hash = UnicodeAttribute()
    automation_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    issuer_id = UnicodeAttribute()
    issuer_role = UnicodeAttribute()
    enabled = BooleanAttribute()
    created_at = UnicodeAttribute()


class RunsByAutomation(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_automation"
        projection = AllProjection()
    automation_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ActiveRuns(GlobalSecondaryIndex):
    """A sparse index of the runs now running (`active` is set only while a run
    runs): the reaper asks for those started before a cutoff, never scanning."""
    class Meta:
        index_name = "active"
        projection = AllProjection()
    active = UnicodeAttribute(hash_key=True)
    started_at = UnicodeAttribute(range_key=True)


class WaitingRuns(GlobalSecondaryIndex):
    """A sparse index of the runs waiting for a worker: `queued` (not started
    yet) or `retrying` (due back at `waiting_since`). `waiting` is one of a few
    shards ("w0".."w7", see runs/records.py) so that a burst of queued runs
    does not make one hot partition; the minute tick reads the old ones."""
    class Meta:
        index_name = "waiting"
        projection = AllProjection()
    waiting = UnicodeAttribute(hash_key=True)
    waiting_since = UnicodeAttribute(range_key=True)


class RunWork(GlobalSecondaryIndex):
    """A sparse index of the runs an environment works: runs waiting for a
    runner of a pool (`work_key` "pool|<account>|<pool>", oldest first, so a
    runner's claim is one Query) and runs holding a lease (`work_key` "lease",
    `work_at` = when the lease expires, so the minute tick finds lost runners
    without a scan). One index for both: a table gains one GSI per update."""
    class Meta:
        index_name = "work"
        projection = AllProjection()
    work_key = UnicodeAttribute(hash_key=True)
    work_at = UnicodeAttribute(range_key=True)


class Run(Model):
    """One firing of an automation. Expires by TTL after the retention."""
    Meta = _meta("runs")
    id = UnicodeAttribute(hash_key=True)
    automation_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    trigger = UnicodeAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    context_text = UnicodeAttribute(null=True)
    idempotency_key = UnicodeAttribute(null=True)
    scheduled_for = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    duration_ms = NumberAttribute(null=True)
    session_id = UnicodeAttribute(null=True)
    attempt = NumberAttribute(default=0)
    heartbeat_at = UnicodeAttribute(null=True)
    active = UnicodeAttribute(null=True)
    waiting = UnicodeAttribute(null=True)  # set while queued or retrying (sparse index `waiting`)
    waiting_since = UnicodeAttribute(null=True)  # queued: created; retrying: when it is due back
    note = UnicodeAttribute(null=True)  # stays in the reason whatever the outcome (e.g. it started late)
    resends = NumberAttribute(null=True)  # times the sweeper sent its message again
    resent_at = UnicodeAttribute(null=True)
    trigger_event = JSONAttribute(null=True)  # the event that started an `event` or `automation` run
    started_by = JSONAttribute(null=True)  # an `automation` run: the automation, run and event that started it
    action_results = MapAttribute(default=dict)  # "<outcome>:<index>" -> how that action went
    # Where it runs: null until placed; {"type": "cloud_sandbox"} or {"type": "runner", "pool", "runner_id"?, ...}
    environment = JSONAttribute(null=True)
    pool = UnicodeAttribute(null=True)  # set while the run waits for a runner of this pool (not for the SQS worker)
    runner_teams = JSONAttribute(null=True)  # team ids of the runners that may claim it (0 = account-global)
    work_key = UnicodeAttribute(null=True)  # sparse index `work`: waiting for a pool, or holding a lease
    work_at = UnicodeAttribute(null=True)
    lease_hash = UnicodeAttribute(null=True)  # SHA-256 of the run's lease token while an environment holds it
    expires_at = TTLAttribute()
    by_automation = RunsByAutomation()
    active_runs = ActiveRuns()
    waiting_runs = WaitingRuns()
    work = RunWork()


class ScheduleEntry(Model):
    """The schedule index: one item per enabled scheduled rule (two for a cron
    with both day fields), keyed so that a tick asks only for due keys: a UTC
    cron by its four segments, a local-time rule by its zone, local hour and
    local weekday; each plus a shard."""
    Meta = _meta("schedule-index")
    slot = UnicodeAttribute(hash_key=True)  # "<hour> <dom> <month> <dow>#<shard>" | "<zone> <hour> <dow|*>#<shard>"
    automation_id = UnicodeAttribute(range_key=True)
    account_id = UnicodeAttribute()
    cron = UnicodeAttribute(null=True)  # UTC cron entries only
    since = UnicodeAttribute(null=True)  # the rule's scheduled_since


class SchedulerState(Model):
    """The scheduler's own items. Part "accounts": per account with scheduled
    rules, the local-time index keys in use ("<zone> <hour> <dow|*>"), so a
    tick asks only for the zones in use. Part "ticks": the last completed tick
    and the last catch-up."""
    Meta = _meta("scheduler")
    part = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    keys = UnicodeSetAttribute(null=True)
    slot = UnicodeAttribute(null=True)  # ticks: the tick's time (ISO, sortable)
    data = JSONAttribute(null=True)


class SessionEntry(Model):
    """One message, tool call or artifact of a hidden session (or one part of
    a large one). Expires with its run."""
    Meta = _meta("sessions")
    session_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    kind = UnicodeAttribute()
    data = UnicodeAttribute()
    part = NumberAttribute(default=0)
    parts = NumberAttribute(default=1)
    expires_at = TTLAttribute()


class EventsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()
    account_id = UnicodeAttribute(hash_key=True)
    occurred_key = UnicodeAttribute(range_key=True)  # "<occurred, ms>#<id>": time order, unique


class Event(Model):
    """An event, kept for the event retention (TTL). Keyed by account and the
    event's own id, so a repeated id is accepted once."""
    Meta = _meta("events")
    key = UnicodeAttribute(hash_key=True)  # "<account_id>:<event id>"
    account_id = UnicodeAttribute()
    occurred_key = UnicodeAttribute()
    body = JSONAttribute()
    expires_at = TTLAttribute()
    by_account = EventsByAccount()


class EventTriggerEntry(Model):
    """The event-trigger index: one item per (account, first segment of an
    expected or `after` event name) and automation, so matching an event reads
    only the triggers that could match its name (plus the wildcard bucket)."""
    Meta = _meta("event-triggers")
    bucket = UnicodeAttribute(hash_key=True)  # "<account_id>|<first name segment or *>"
    automation_id = UnicodeAttribute(range_key=True)
    trigger = JSONAttribute()


class WindowsDue(GlobalSecondaryIndex):
    """Open proactive windows by deadline: the minute tick reads the expired ones."""
    class Meta:
        index_name = "due"
        projection = AllProjection()
    open = UnicodeAttribute(hash_key=True)
    deadline = UnicodeAttribute(range_key=True)


class EventWindow(Model):
    """Counting state of an event trigger for one `for_each` key: the recent
    matches of a reactive trigger, or an open proactive window."""
    Meta = _meta("event-windows")
    key = UnicodeAttribute(hash_key=True)  # "<automation_id>|<posture>|<for_each values>"
    times = JSONAttribute(default=list)
    count = NumberAttribute(default=0)
    open = UnicodeAttribute(null=True)  # set while a proactive window is open (sparse index)
    deadline = UnicodeAttribute(null=True)
    automation_id = UnicodeAttribute()
    context = JSONAttribute(null=True)
    version = VersionAttribute()
    expires_at = TTLAttribute(null=True)
    by_deadline = WindowsDue()


class IntegrationsById(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_id"
        projection = AllProjection()
    id = UnicodeAttribute(hash_key=True)


class Integration(Model):
    """A monitoring tool's webhook into an account: its URL's id, its secret
    (a hash of a bearer token or URL secret; an HMAC key kept to verify with),
    how its fields map, and what it received."""
    Meta = _meta("integrations")
    account_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    type = UnicodeAttribute()
    name = UnicodeAttribute()
    team_id = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    token_hash = UnicodeAttribute(null=True)
    signing_secret = UnicodeAttribute(null=True)
    mapping = JSONAttribute(null=True)
    last_received_at = UnicodeAttribute(null=True)
    received = NumberAttribute(default=0)
    refused = NumberAttribute(default=0)
    errors = JSONAttribute(null=True)
    confirmed_at = UnicodeAttribute(null=True)
    by_id = IntegrationsById()


class McpServer(Model):
    """An MCP server of an account (a few per account, read by account):
    headers keep secret *names*, never their values."""
    Meta = _meta("mcp-servers")
    account_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    url = UnicodeAttribute()
    team_id = NumberAttribute(default=0)
    owner_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    headers = JSONAttribute(null=True)
    allowed_tools = JSONAttribute(null=True)


class Document(Model):
    """A knowledge document of an account (its content inline: at most
    KNOWLEDGE_MAX_BYTES, under DynamoDB's 400 KB item limit). Its id starts
    with the creation time, so the account's query reads newest first. One
    more item per account, id "~version", counts the account's writes: a
    search's index is fresh while that count is."""
    Meta = _meta("knowledge")
    account_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute()
    team_id = NumberAttribute(default=0)
    owner_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    content = UnicodeAttribute(null=True)
    size = NumberAttribute(default=0)
    sections = NumberAttribute(default=0)
    version = NumberAttribute(null=True)  # only on the account's marker item (id "~version"): bumped by every write


class AgentProfile(Model):
    """An agent profile of an account: model backend, endpoint, model, the
    name of the secret holding its key, and limits."""
    Meta = _meta("agents")
    account_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    team_id = NumberAttribute(default=0)
    backend = UnicodeAttribute()
    model = UnicodeAttribute(null=True)
    base_url = UnicodeAttribute(null=True)
    api_key_secret = UnicodeAttribute(null=True)
    max_steps = NumberAttribute(null=True)
    max_tokens = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class Alert(Model):
    """An alert of an account: one per source and fingerprint, with its newest firings."""
    Meta = _meta("alerts")
    account_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # "<source>#<fingerprint>"
    name = UnicodeAttribute()
    service = UnicodeAttribute(null=True)
    severity = UnicodeAttribute(null=True)
    labels = JSONAttribute(null=True)
    annotations = JSONAttribute(null=True)
    status = UnicodeAttribute()
    source = UnicodeAttribute()
    integration_id = UnicodeAttribute(null=True)
    first_seen = UnicodeAttribute()
    last_start = UnicodeAttribute(null=True)
    last_end = UnicodeAttribute(null=True)
    acked_by = UnicodeAttribute(null=True)  # who acknowledged its current firing
    fired = NumberAttribute(default=0)
    generator_url = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


class AlertFiring(Model):
    """One firing of an alert: when it started, ended and who acknowledged it."""
    Meta = _meta("alert-firings")
    alert_key = UnicodeAttribute(hash_key=True)  # "<account_id>#<alert key>"
    start = UnicodeAttribute(range_key=True)
    end = UnicodeAttribute(null=True)
    acked_by = UnicodeAttribute(null=True)
    acked_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class AlertDaysByService(GlobalSecondaryIndex):
    """A service's alerts of a day (sparse: alerts without a service are not in it)."""
    class Meta:
        index_name = "by_service"
        projection = AllProjection()
    service_day = UnicodeAttribute(hash_key=True)  # "<account_id>#<YYYY-MM-DD>#<service>"
    key = UnicodeAttribute(range_key=True)


class AlertDay(Model):
    """An alert's day, added up as it happens, so an analysis reads one item per alert and day."""
    Meta = _meta("alert-days")
    day_key = UnicodeAttribute(hash_key=True)  # "<account_id>#<YYYY-MM-DD>" (UTC)
    key = UnicodeAttribute(range_key=True)  # the alert's key
    name = UnicodeAttribute()
    severity = UnicodeAttribute(null=True)
    # The day's six counters in one number (store/operations.py `pack`): an item an analysis reads
    # thousands of is kept small, and each counter still grows by an atomic ADD.
    figures = NumberAttribute(default=0)
    start_minutes = NumberSetAttribute(null=True)  # the minutes of the day (UTC) in which a firing started
    service_day = UnicodeAttribute(null=True)  # "<account_id>#<day>#<service>": the service is read from it
    expires_at = TTLAttribute(null=True)
    by_service = AlertDaysByService()


class IncidentsByOpened(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_opened"
        projection = AllProjection()
    account_id = UnicodeAttribute(hash_key=True)
    opened_at = UnicodeAttribute(range_key=True)


class Incident(Model):
    """An incident of an account, with every status change."""
    Meta = _meta("incidents")
    account_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # "<source>#<id>"
    number = NumberAttribute(null=True)
    title = UnicodeAttribute()
    service = UnicodeAttribute(null=True)
    urgency = UnicodeAttribute(null=True)
    priority = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    opened_at = UnicodeAttribute()
    acknowledged_at = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    assignees = JSONAttribute(null=True)
    escalation = UnicodeAttribute(null=True)
    timeline = JSONAttribute(null=True)
    alert_keys = JSONAttribute(null=True)
    url = UnicodeAttribute(null=True)
    source = UnicodeAttribute()
    integration_id = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)
    version = VersionAttribute()
    by_opened = IncidentsByOpened()


class ChangesByService(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_service"
        projection = AllProjection()
    service_key = UnicodeAttribute(hash_key=True)  # "<account_id>#<service>"
    at_key = UnicodeAttribute(range_key=True)


class Change(Model):
    """A change of an account (a deploy, a config change) on a service."""
    Meta = _meta("changes")
    account_id = UnicodeAttribute(hash_key=True)
    at_key = UnicodeAttribute(range_key=True)  # "<at>#<key>"
    key = UnicodeAttribute()  # "<source>#<id>"
    service = UnicodeAttribute(null=True)
    service_key = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()
    environment = UnicodeAttribute(null=True)
    who = UnicodeAttribute(null=True)
    at = UnicodeAttribute()
    link = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    source = UnicodeAttribute()
    integration_id = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)  # when the news of it is from: an older one never overwrites
    expires_at = TTLAttribute(null=True)
    by_service = ChangesByService()


ALL_MODELS = (Account, User, ApiKey, Team, Membership, Runner, Automation,
              TriggerToken, Run, ScheduleEntry, SchedulerState, SessionEntry, Event, EventTriggerEntry, EventWindow,
              Integration, Alert, AlertFiring, AlertDay, Incident, Change, McpServer, Document, AgentProfile)


def configure(table_prefix: str, region: str) -> None:
    """Point every model at the tables of `table_prefix` in `region`."""
    for model in ALL_MODELS:
        if (model.Meta.table_name, model.Meta.region) != (f"{table_prefix}-{model.Meta.short_name}", region):
            model.Meta.table_name = f"{table_prefix}-{model.Meta.short_name}"
            model.Meta.region = region
            model._connection = None  # made again, for the new table and region



def ttl_attribute(model) -> str | None:
    """The name of the model's TTL attribute, if it has one."""
    return next((a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)), None)
