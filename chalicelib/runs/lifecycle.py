"""The run lifecycle: one run message in, one run through its statuses.

queued ─► running ─► succeeded | partial | failed
   │         └─► retrying ─► running …  (transient failure, backoff, up to MAX_ATTEMPTS)
   └─► skipped (rule disabled/deleted, or the previous run still running)
running past its time ─► abandoned (the reaper)   queued/running ─► failed "cancelled"

Every transition is a conditional write, so a message delivered twice makes
one run and one session. `now` is passed in; `clock` (a callable) stamps the
session while it runs.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import settings
from chalicelib.agents.base import PermanentAgentError, Task, TransientAgentError
from chalicelib.agents.registry import agent_for_settings
from chalicelib.agents.tools import Toolbox
from chalicelib.clock import iso, iso_ms, parse_iso
from chalicelib.events import run_events
from chalicelib.observability import metrics
from chalicelib.runs import notify, records
from chalicelib.sessions.store import SessionWriter
from chalicelib.store.models import Automation, Run

log = logging.getLogger(__name__)
TERMINAL = ("succeeded", "partial", "failed", "skipped", "abandoned")
STARTABLE = ("queued", "retrying")
OVERLAP_WINDOW = 5
THROTTLES = ("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded")


class Cancelled(Exception):
    """The run was cancelled (or reaped) while its session worked."""


@dataclass
class Outcome:
    """What the worker does with the message: delete it, or retry after a delay."""
    status: str
    retry_after: int | None = None


def _conflict(exc) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def ensure_run(message: dict, now: datetime) -> Run:
    """The run a message is about. (The tick's fan-out saves scheduled runs
    `queued` before sending their message; a message that still carries
    `scheduled_for`, from before that, has its run created here, once.)"""
    if message.get("trigger") == "schedule" and message.get("scheduled_for"):
        run = records.new_queued(message["automation_id"], message["account_id"], "schedule", now,
                                 scheduled_for=parse_iso(message["scheduled_for"]), run_id=message["run_id"])
        try:
            run.save(condition=Run.id.does_not_exist())
            return run
        except PutError as exc:
            if not _conflict(exc):
                raise
    return Run.get(message["run_id"])


def finish(run: Run, status: str, reason: str | None, now: datetime, only_from=("running",), rule=None) -> bool:
    """End a run (conditionally: a run another actor already ended stays as it is),
    with the `queued` records of the actions this status fires in the same write;
    then queue those actions and emit the run's event (notify.conclude).
    `rule` saves reading the automation again when the caller has it."""
    rule = rule if rule is not None else _rule_of(run)
    reason = records.with_note(run, reason)
    actions = [Run.status.set(status), Run.reason.set(reason) if reason else Run.reason.remove(),
               Run.finished_at.set(iso(now)), Run.active.remove(), Run.waiting.remove(), Run.waiting_since.remove()]
    if run.started_at:
        ms = max(0, int((now - parse_iso(run.started_at)).total_seconds() * 1000))
        actions.append(Run.duration_ms.set(ms))
    if rule is not None:
        actions += notify.record_updates(rule, status, now)
    try:
        run.update(actions=actions, condition=Run.status.is_in(*only_from))
    except UpdateError as exc:
        if _conflict(exc):
            return False
        raise
    notify.conclude(run, status, reason, now, rule)
    return True


def _rule_of(run: Run) -> Automation | None:
    try:
        return Automation.get(run.automation_id)
    except Automation.DoesNotExist:
        return None


def _skip_reason(run: Run, rule: Automation | None) -> str | None:
    if rule is None or rule.deleted_at:
        return "The automation was deleted before this run started."
    if not rule.enabled:
        return "The automation was disabled before this run started."
    if rule.overlap == "skip":
        # Only the newest few runs can be "the previous one": one small page,
        # no filter (a filter would page through the whole history).
        for other in Run.by_automation.query(rule.id, scan_index_forward=False, limit=OVERLAP_WINDOW,
                                             page_size=OVERLAP_WINDOW):
            if other.id != run.id and other.status == "running":
                return f"The previous run {other.id} is still running (overlap policy: skip)."
    return None


def _start(run: Run, rule: Automation, now: datetime) -> bool:
    attempt = int(run.attempt or 0) + 1
    try:
        run.update(actions=[
            Run.status.set("running"), Run.attempt.set(attempt), Run.active.set("running"),
            Run.started_at.set(run.started_at or iso(now)), Run.heartbeat_at.set(iso(now)),
            Run.session_id.set(f"ses_{run.id.removeprefix('run_')}_{attempt}"),
            Run.reason.set(run.note) if run.note else Run.reason.remove(),
            Run.waiting.remove(), Run.waiting_since.remove(),
        ], condition=Run.status.is_in(*STARTABLE))
    except UpdateError as exc:
        if _conflict(exc):
            return False
        raise
    metrics.run_started(run, now)
    run_events.emit(run, "running", None, now, name=rule.name)
    return True


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


class _Heartbeat:
    """Touches the run while its session writes, and notices a cancellation."""

    def __init__(self, run: Run, clock):
        self.run, self.clock, self.last = run, clock, clock()

    def __call__(self) -> None:
        now = self.clock()
        if (now - self.last).total_seconds() < settings.get_int("HEARTBEAT_SECONDS"):
            return
        self.last = now
        try:
            self.run.update(actions=[Run.heartbeat_at.set(iso(now))], condition=Run.status == "running")
        except UpdateError as exc:
            if _conflict(exc):
                raise Cancelled()
            raise


def process(message: dict, now: datetime, clock=None, agent=None) -> Outcome:
    """Work one run message through the lifecycle."""
    clock = clock or (lambda: now)
    run = ensure_run(message, now)
    if run.status not in STARTABLE:
        return Outcome(run.status)  # a duplicate delivery, or already ended (cancelled)
    rule = _rule_of(run)
    reason = _skip_reason(run, rule)
    if reason:
        finish(run, "skipped", reason, now, only_from=STARTABLE, rule=rule)
        return Outcome("skipped")
    if not _start(run, rule, now):
        return Outcome("duplicate")
    session = SessionWriter(run.session_id, run, clock, on_write=_Heartbeat(run, clock))
    try:
        agent = agent or agent_for_settings()
        system = getattr(agent, "system_prompt", None)
        if system:  # the whole conversation is kept, the model's instructions first
            session.message("system", system)
        prompt = render_prompt(rule, run, now)
        session.message("user", prompt)
        task = Task(prompt=prompt, automation_id=rule.id, run_id=run.id,
                    context={"text": run.context_text or ""})
        result = agent.run(task, session, Toolbox(task, session, clock))
    except Cancelled:
        return Outcome("cancelled")
    except TransientAgentError as exc:
        return _transient(run, rule, str(exc), clock())
    except PermanentAgentError as exc:
        finish(run, "failed", str(exc), clock(), rule=rule)
        return Outcome("failed")
    except Exception as exc:  # a bug must end the run, not leave it running
        if getattr(exc, "cause_response_code", None) in THROTTLES:
            return _transient(run, rule, f"AWS throttled the run ({exc.cause_response_code})", clock())
        log.exception("run %s crashed", run.id)
        finish(run, "failed", f"internal error ({type(exc).__name__}); see the service logs", clock(), rule=rule)
        return Outcome("failed")
    if result.failed_tool_calls or result.incomplete:
        reason = result.incomplete or f"{result.failed_tool_calls} of {result.tool_calls} tool call(s) failed"
        status = "partial"
    else:
        status, reason = "succeeded", None
    finish(run, status, reason, clock(), rule=rule)
    return Outcome(status)


def _transient(run: Run, rule: Automation, reason: str, now: datetime) -> Outcome:
    attempt, limit = int(run.attempt), settings.get_int("MAX_ATTEMPTS")
    if attempt >= limit:
        finish(run, "failed", f"Gave up after {attempt} attempts: {reason}", now, rule=rule)
        return Outcome("failed")
    delay = min(settings.get_int("RETRY_BASE_SECONDS") * 2 ** (attempt - 1), 900)
    try:
        run.update(actions=[Run.status.set("retrying"),
                            Run.reason.set(records.with_note(run, f"Attempt {attempt} failed: {reason}")),
                            Run.active.remove(), Run.waiting.set(records.waiting_shard(run.id)),
                            Run.waiting_since.set(iso_ms(now + timedelta(seconds=delay)))],
                   condition=Run.status == "running")
    except UpdateError as exc:
        if _conflict(exc):
            return Outcome("cancelled")
        raise
    metrics.run_retrying(run, delay)
    run_events.emit(run, "retrying", run.reason, now, name=rule.name)
    return Outcome("retrying", retry_after=delay)
