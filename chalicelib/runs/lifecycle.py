"""The run lifecycle: a run through its statuses.

queued ─► (placed) ─► running ─► succeeded | partial | failed
   │         │            └─► retrying ─► queued … (transient failure, backoff, up to MAX_ATTEMPTS)
   │         └─ waits in queued for a runner of a pool (`pool` set) until one claims it
   └─► skipped (rule disabled/deleted, or the previous run still running)
running past its time ─► abandoned (the reaper)   queued/running ─► failed "cancelled"
running whose lease is lost ─► queued again (placed anew) or failed (attempts used up)

Every transition is a named conditional write of the runs repository, so a
message delivered twice makes one run and one session. Whoever changes a
status hands in the publisher of run events (`events`, by default the one
that records them and starts the runs they fire); the worker
(chalicelib/worker.py) decides where a run goes (placement, the sandbox) and
asks this module for the status changes; this module imports neither.
`now` is passed in.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import settings
from chalicelib.clock import iso, iso_ms, parse_iso
from chalicelib.identity import tokens
from chalicelib.knowledge import prompt as knowledge_prompt
from chalicelib.mcp import servers as mcp_servers
from chalicelib.observability import metrics
from chalicelib.ops import tools
from chalicelib.runs import notify, records
from chalicelib.runs.publish import RUN_EVENTS, RunEvents
from chalicelib.sessions import items as sessions
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import Account, Rule, Run

TERMINAL = ("succeeded", "partial", "failed", "skipped", "abandoned")
STARTABLE = ("queued", "retrying")
OVERLAP_WINDOW = 5
RECENT_RUNS = 20  # how many of the automation's newest runs come with the work (the query_runs tool reads them)


@dataclass(frozen=True)
class Guard:
    """What a status change expects beside the status, when the caller knows
    more: the lease it holds, the pool the run waits in (its `pool`, or its
    `work` key), or the lease expiry it saw."""
    lease_hash: str | None = None
    pool: str | None = None
    from_pool: str | None = None
    lease_until: str | None = None


NO_GUARD = Guard()


def ensure_run(message: dict, now: datetime) -> tuple[Run, Rule | None, Account | None]:
    """The run a message is about, with its automation and account, read in
    one BatchGetItem when the message names all three (as queue.run_message
    does). (The tick's fan-out saves scheduled runs `queued` before sending
    their message; a message that still carries `scheduled_for`, from before
    that, has its run created here, once.)"""
    if message.get("trigger") == "schedule" and message.get("scheduled_for"):
        run = records.new_queued(message["automation_id"], message["account_id"], "schedule", now,
                                 scheduled_for=parse_iso(message["scheduled_for"]), run_id=message["run_id"])
        try:
            repos.runs.add(run)
        except ConditionFailed:
            pass
    ids = (message.get("automation_id"), message.get("account_id"))
    if not all(ids):
        run = repos.runs.get(message["run_id"])
        if run is None:
            raise LookupError(f"no run {message['run_id']}")
        return (run, *rule_and_account(run))
    run, rule, account = repos.runs.with_rule(message["run_id"], *ids)
    if run is None:
        raise LookupError(f"no run {message['run_id']}")
    if (run.automation_id, run.account_id) != ids:  # a message that does not match its run: trust the run
        return (run, *rule_and_account(run))
    return run, rule, account


def finish(run: Run, status: str, reason: str | None, now: datetime, only_from=("running",), rule=None,
           guard: Guard = NO_GUARD, watched: bool = True, events: RunEvents = RUN_EVENTS) -> bool:
    """End a run (conditionally: a run another actor already ended stays as it is;
    `guard` narrows it further, e.g. to the lease that reports), with the
    `queued` records of the actions this status fires in the same write; then
    queue those actions and emit the run's event (notify.conclude). False when
    the run was not as expected. `rule` saves reading the automation again when
    the caller has it; `watched` False (from the account's marker) saves reading the trigger index."""
    rule = rule if rule is not None else rule_of(run)
    reason = records.with_note(run, reason)
    duration = max(0, int((now - parse_iso(run.started_at)).total_seconds() * 1000)) if run.started_at else None
    try:
        repos.runs.finish(run, status=status, reason=reason, finished_at=iso(now), duration_ms=duration,
                          only_from=tuple(only_from),
                          action_records=notify.queued_records(rule, status, now) if rule is not None else None,
                          lease_hash=guard.lease_hash, pool=guard.pool, from_pool=guard.from_pool,
                          lease_until=guard.lease_until)
    except ConditionFailed:
        return False
    notify.conclude(run, status, reason, now, rule, events, watched=watched)
    return True


def rule_of(run: Run) -> Rule | None:
    """The run's automation (None once it is gone for good)."""
    return repos.rules.get(run.automation_id)


def rule_and_account(run: Run) -> tuple[Rule | None, Account | None]:
    """The run's automation (None once it is gone for good) and its account, in one BatchGetItem."""
    return repos.rules.with_account(run.automation_id, run.account_id)


def recent_runs(rule: Rule, now: datetime) -> list[Run]:
    """The rule's newest runs (one small page): the overlap check reads the
    first few, the work carries them for the query_runs tool."""
    return [r for r in repos.runs.recent(rule.id, RECENT_RUNS) if not records.is_expired(r, now)]


def recent_json(runs: list[Run], run_id: str) -> list[dict]:
    """The recent runs as the query_runs tool shows them (without this run)."""
    return [{"id": r.id, "status": r.status, "reason": r.reason, "trigger": r.trigger,
             "created_at": iso(parse_iso(r.created_at)),
             "duration_ms": int(r.duration_ms) if r.duration_ms is not None else None}
            for r in runs if r.id != run_id]


def skip_reason(run: Run, rule: Rule | None, recent: list[Run] | None = None) -> str | None:
    """Why a run must not start now (None when it may)."""
    if rule is None or rule.deleted_at:
        return "The automation was deleted before this run started."
    if not rule.enabled:
        return "The automation was disabled before this run started."
    if rule.overlap == "skip" and recent is not None:
        # Only the newest few runs can be "the previous one".
        for other in recent[:OVERLAP_WINDOW]:
            if other.id != run.id and other.status == "running":
                return f"The previous run {other.id} is still running (overlap policy: skip)."
    return None


def lease_seconds() -> int:
    """How long a lease lasts without renewal (renewed every third of it)."""
    return max(3, settings.current().lease_seconds)


def lease_until(now: datetime) -> str:
    """When a lease taken or renewed now expires."""
    return iso_ms(now + timedelta(seconds=lease_seconds()))


def start(run: Run, rule: Rule, environment: dict, now: datetime, from_pool: str | None = None,
          watched: bool = True, events: RunEvents = RUN_EVENTS) -> str | None:
    """queued/retrying (or, `from_pool`, queued in that pool) -> running in
    `environment`, with a fresh lease: returns the lease token (shown to the
    environment once, kept as a hash), or None when another delivery or
    runner got the run first."""
    attempt = int(run.attempt or 0) + 1
    token = tokens.new_trigger_token(tokens.LEASE_TOKEN_PREFIX)
    session_id = f"ses_{run.id.removeprefix('run_')}_{attempt}"
    try:
        repos.runs.start(run, attempt=attempt, session_id=session_id, environment=environment,
                         started_at=run.started_at or iso(now), heartbeat_at=iso(now), reason=run.note,
                         lease_hash=tokens.hash_token(token), lease_until=lease_until(now),
                         only_from=("queued",) if from_pool else STARTABLE, from_pool=from_pool)
    except ConditionFailed:
        return None
    metrics.run_started(run, now, records.start_due(run))
    sessions.write_header(session_id, run, environment)
    events.emit(run, "running", None, now, name=rule.name, watched=watched)
    return token


def render_prompt(rule: Rule, run: Run, now: datetime) -> str:
    """The session's first message: the task prompt and the context of this firing."""
    lines = [rule.task_prompt.strip(), "", "---", "Context of this run:",
             f"- automation: {rule.name} ({rule.id})", f"- trigger: {run.trigger}", f"- time: {iso(now)}"]
    if run.scheduled_for:
        lines.append(f"- scheduled for: {run.scheduled_for}")
    started = run.started_by or {}
    if started:
        lines.append(f"- started by: automation {started.get('automation_name')} ({started.get('automation_id')}), "
                     f"run {started.get('run_id')}, event {started.get('event')} ({started.get('event_id')})")
    if run.context_text:
        lines += ["- text from the caller:", "", run.context_text]
    return "\n".join(lines)


def work_for(run: Run, rule: Rule, token: str, now: datetime, recent: list[Run], agent: dict | None = None,
             account: Account | None = None) -> dict:
    """What an environment needs to work the run, and nothing more: no rule,
    no other run beyond the recent ones the query_runs tool shows, no secret
    but the model key of the run's agent profile (`agent`, resolved by
    chalicelib/agents/work.py as the run starts; None: the environment's own
    backend) and the header secrets of the MCP servers the automation chose
    (read now, at its start); the knowledge of its scope that best matches its
    prompt (or None), for the system prompt."""
    lease, prompt = lease_seconds(), render_prompt(rule, run, now)
    work = {"run_id": run.id, "session_id": run.session_id, "attempt": int(run.attempt),
            "automation": {"id": rule.id, "name": rule.name}, "prompt": prompt,
            "knowledge": knowledge_prompt.for_run(rule, prompt, account),
            "context": {"text": run.context_text or "", "event": run.trigger_event},
            "recent_runs": recent_json(recent, run.id), "template_id": rule.template_id,
            "locale": rule.locale or "en-US", "tools": tools.SPECS, "environment": run.environment, "first_seq": 1,
            **({"agent": agent} if agent else {}),
            "lease": {"token": token, "seconds": lease, "renew_seconds": max(1, lease // 3)}}
    if rule.mcp_server_ids:  # only then: a run without servers reads nothing more
        work["mcp_servers"] = mcp_servers.for_run(rule.account_id, rule.mcp_server_ids, int(rule.team_id))
    return work


def retry_later(run: Run, rule: Rule | None, reason: str, now: datetime, lease_hash: str | None = None,
                watched: bool = True, events: RunEvents = RUN_EVENTS) -> int | None:
    """A transient failure: `retrying` with exponential backoff (returns the
    delay in seconds), or `failed` when the attempts are used up (None)."""
    s = settings.current()
    attempt = int(run.attempt)
    if attempt >= s.max_attempts:
        finish(run, "failed", f"Gave up after {attempt} attempts: {reason}", now, rule=rule,
               guard=Guard(lease_hash=lease_hash), watched=watched, events=events)
        return None
    delay = min(s.retry_base_seconds * 2 ** (attempt - 1), 900)
    try:
        repos.runs.retry(run, reason=records.with_note(run, f"Attempt {attempt} failed: {reason}"),
                         due_at=iso_ms(now + timedelta(seconds=delay)), lease_hash=lease_hash)
    except ConditionFailed:
        return None
    metrics.run_retrying(run, delay)
    events.emit(run, "retrying", run.reason, now, name=rule.name if rule else None, watched=watched)
    return delay
