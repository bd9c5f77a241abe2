"""The run lifecycle: one run message in, one run through its statuses.

queued ─► (placed) ─► running ─► succeeded | partial | failed
   │         │            └─► retrying ─► queued … (transient failure, backoff, up to MAX_ATTEMPTS)
   │         └─ waits in queued for a runner of a pool (`pool` set) until one claims it
   └─► skipped (rule disabled/deleted, or the previous run still running)
running past its time ─► abandoned (the reaper)   queued/running ─► failed "cancelled"
running whose lease is lost ─► queued again (placed anew) or failed (attempts used up)

The worker places each run (environments/placement.py): on the cloud sandbox
it starts the run with a lease and hands the work to the sandbox function; on
a runner pool it leaves the run queued for a runner's claim. Whoever holds the
lease streams the session and reports the outcome (environments/work.py);
every end goes through `finish`. Every transition is a conditional write, so
a message delivered twice makes one run and one session. `now` is passed in;
`clock` (a callable) stamps the session while it runs.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import settings
from chalicelib.agents.tools import RECENT_RUNS
from chalicelib.clock import iso, iso_ms, parse_iso
from chalicelib.events import run_events
from chalicelib.events.triggers import runs_watched
from chalicelib.identity import tokens
from chalicelib.observability import metrics
from chalicelib.runs import notify, records
from chalicelib.sessions import store as sessions
from chalicelib.store import reads
from chalicelib.store.models import Account, Automation, Run, get_or_none

log = logging.getLogger(__name__)
TERMINAL = ("succeeded", "partial", "failed", "skipped", "abandoned")
STARTABLE = ("queued", "retrying")
OVERLAP_WINDOW = 5


@dataclass
class Outcome:
    """What the worker does with the message: delete it, or retry after a delay."""
    status: str
    retry_after: int | None = None


def _conflict(exc) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def ensure_run(message: dict, now: datetime) -> tuple[Run, Automation | None, Account | None]:
    """The run a message is about, with its automation and account, read in
    one BatchGetItem when the message names all three (as queue.run_message
    does). (The tick's fan-out saves scheduled runs `queued` before sending
    their message; a message that still carries `scheduled_for`, from before
    that, has its run created here, once.)"""
    if message.get("trigger") == "schedule" and message.get("scheduled_for"):
        run = records.new_queued(message["automation_id"], message["account_id"], "schedule", now,
                                 scheduled_for=parse_iso(message["scheduled_for"]), run_id=message["run_id"])
        try:
            run.save(condition=Run.id.does_not_exist())
        except PutError as exc:
            if not _conflict(exc):
                raise
    ids = (message.get("automation_id"), message.get("account_id"))
    if not all(ids):
        run = Run.get(message["run_id"])
        return (run, *rule_and_account(run))
    run, rule, account = reads.get_many((Run, message["run_id"]), (Automation, ids[0]), (Account, ids[1]))
    if run is None:
        raise Run.DoesNotExist(f"no run {message['run_id']}")
    if (run.automation_id, run.account_id) != ids:  # a message that does not match its run: trust the run
        return (run, *rule_and_account(run))
    return run, rule, account


def finish(run: Run, status: str, reason: str | None, now: datetime, only_from=("running",), rule=None,
           condition=None, watched: bool = True) -> bool:
    """End a run (conditionally: a run another actor already ended stays as it is;
    `condition` narrows it further, e.g. to the lease that reports), with the
    `queued` records of the actions this status fires in the same write; then
    queue those actions and emit the run's event (notify.conclude).
    `rule` saves reading the automation again when the caller has it;
    `watched` False (from the account's marker) saves reading the trigger index."""
    rule = rule if rule is not None else rule_of(run)
    reason = records.with_note(run, reason)
    actions = [Run.status.set(status), Run.reason.set(reason) if reason else Run.reason.remove(),
               Run.finished_at.set(iso(now)), Run.active.remove(), Run.waiting.remove(), Run.waiting_since.remove(),
               Run.pool.remove(), Run.runner_teams.remove(), Run.work_key.remove(), Run.work_at.remove()]
    if run.started_at:
        ms = max(0, int((now - parse_iso(run.started_at)).total_seconds() * 1000))
        actions.append(Run.duration_ms.set(ms))
    if rule is not None:
        actions += notify.record_updates(rule, status, now)
    only = Run.status.is_in(*only_from)
    try:
        run.update(actions=actions, condition=only & condition if condition is not None else only)
    except UpdateError as exc:
        if _conflict(exc):
            return False
        raise
    notify.conclude(run, status, reason, now, rule, watched=watched)
    return True


def rule_of(run: Run) -> Automation | None:
    """The run's automation (None once it is gone for good)."""
    return get_or_none(Automation, run.automation_id)


def rule_and_account(run: Run) -> tuple[Automation | None, Account | None]:
    """The run's automation (None once it is gone for good) and its account, in one BatchGetItem."""
    return tuple(reads.get_many((Automation, run.automation_id), (Account, run.account_id)))


def recent_runs(rule: Automation, now: datetime) -> list[Run]:
    """The rule's newest runs (one small page): the overlap check reads the
    first few, the work carries them for the query_runs tool."""
    return [r for r in Run.by_automation.query(rule.id, scan_index_forward=False, limit=RECENT_RUNS,
                                               page_size=RECENT_RUNS) if not records.is_expired(r, now)]


def recent_json(runs: list[Run], run_id: str) -> list[dict]:
    """The recent runs as the query_runs tool shows them (without this run)."""
    return [{"id": r.id, "status": r.status, "reason": r.reason, "trigger": r.trigger,
             "created_at": iso(parse_iso(r.created_at)),
             "duration_ms": int(r.duration_ms) if r.duration_ms is not None else None}
            for r in runs if r.id != run_id]


def skip_reason(run: Run, rule: Automation | None, recent: list[Run] | None = None) -> str | None:
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
    return max(3, settings.get_int("LEASE_SECONDS"))


def start(run: Run, rule: Automation, environment: dict, now: datetime, condition=None,
          watched: bool = True) -> str | None:
    """queued/retrying -> running in `environment`, with a fresh lease: returns
    the lease token (shown to the environment once, kept as a hash), or None
    when another delivery or runner got the run first."""
    attempt = int(run.attempt or 0) + 1
    token = tokens.new_trigger_token(tokens.LEASE_TOKEN_PREFIX)
    session_id = f"ses_{run.id.removeprefix('run_')}_{attempt}"
    try:
        run.update(actions=[
            Run.status.set("running"), Run.attempt.set(attempt), Run.active.set("running"),
            Run.started_at.set(run.started_at or iso(now)), Run.heartbeat_at.set(iso(now)),
            Run.session_id.set(session_id), Run.environment.set(environment),
            Run.reason.set(run.note) if run.note else Run.reason.remove(),
            Run.waiting.remove(), Run.waiting_since.remove(), Run.pool.remove(), Run.runner_teams.remove(),
            Run.lease_hash.set(tokens.hash_token(token)), Run.work_key.set("lease"),
            Run.work_at.set(iso_ms(now + timedelta(seconds=lease_seconds()))),
        ], condition=condition if condition is not None else Run.status.is_in(*STARTABLE))
    except UpdateError as exc:
        if _conflict(exc):
            return None
        raise
    metrics.run_started(run, now)
    sessions.write_header(session_id, run, environment)
    run_events.emit(run, "running", None, now, name=rule.name, watched=watched)
    return token


def render_prompt(rule: Automation, run: Run, now: datetime) -> str:
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


def work_for(run: Run, rule: Automation, token: str, now: datetime, recent: list[Run]) -> dict:
    """What an environment needs to work the run, and nothing more: no rule,
    no secret, no other run beyond the recent ones the query_runs tool shows."""
    lease = lease_seconds()
    return {"run_id": run.id, "session_id": run.session_id, "attempt": int(run.attempt),
            "automation": {"id": rule.id, "name": rule.name}, "prompt": render_prompt(rule, run, now),
            "context": {"text": run.context_text or ""}, "recent_runs": recent_json(recent, run.id),
            "environment": run.environment, "first_seq": 1,
            "lease": {"token": token, "seconds": lease, "renew_seconds": max(1, lease // 3)}}


def process(message: dict, now: datetime, clock=None, agent=None) -> Outcome:
    """Work one run message: skip it, place it on a runner pool, or start it
    on the cloud sandbox."""
    from chalicelib.environments import placement, sandbox

    clock = clock or (lambda: now)
    run, rule, account = ensure_run(message, now)
    if run.status not in STARTABLE:
        return Outcome(run.status)  # a duplicate delivery, or already ended (cancelled)
    if run.pool and run.status == "queued":
        return Outcome("waiting")  # already waiting for a runner (a duplicate delivery)
    watched = runs_watched(account)
    recent = recent_runs(rule, now) if rule is not None and not rule.deleted_at and rule.enabled else None
    reason = skip_reason(run, rule, recent)
    if reason:
        finish(run, "skipped", reason, now, only_from=STARTABLE, rule=rule, watched=watched)
        return Outcome("skipped")
    where = placement.place(rule, now, account)
    if where.error:
        finish(run, "failed", where.error, now, only_from=STARTABLE, rule=rule, watched=watched)
        return Outcome("failed")
    if where.pool:
        return Outcome("waiting" if placement.wait_for_runner(run, where, now) else "duplicate")
    token = start(run, rule, {"type": "cloud_sandbox"}, now, watched=watched)
    if not token:
        return Outcome("duplicate")
    work = work_for(run, rule, token, now, recent)
    if settings.get("CLOUD_SANDBOX") == "inline":
        return sandbox.run_inline(work, clock, agent, run=run, rule=rule, watched=watched)
    sandbox.launch(work)
    return Outcome("running")


def retry_later(run: Run, rule: Automation | None, reason: str, now: datetime, condition=None,
                watched: bool = True) -> int | None:
    """A transient failure: `retrying` with exponential backoff (returns the
    delay in seconds), or `failed` when the attempts are used up (None)."""
    attempt, limit = int(run.attempt), settings.get_int("MAX_ATTEMPTS")
    only = Run.status == "running"
    if attempt >= limit:
        finish(run, "failed", f"Gave up after {attempt} attempts: {reason}", now, rule=rule, condition=condition,
               watched=watched)
        return None
    delay = min(settings.get_int("RETRY_BASE_SECONDS") * 2 ** (attempt - 1), 900)
    try:
        run.update(actions=[Run.status.set("retrying"),
                            Run.reason.set(records.with_note(run, f"Attempt {attempt} failed: {reason}")),
                            Run.active.remove(), Run.waiting.set(records.waiting_shard(run.id)),
                            Run.work_key.remove(), Run.work_at.remove(),
                            Run.waiting_since.set(iso_ms(now + timedelta(seconds=delay)))],
                   condition=only & condition if condition is not None else only)
    except UpdateError as exc:
        if _conflict(exc):
            return None
        raise
    metrics.run_retrying(run, delay)
    run_events.emit(run, "retrying", run.reason, now, name=rule.name if rule else None, watched=watched)
    return delay
