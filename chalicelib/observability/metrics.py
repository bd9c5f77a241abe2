"""CloudWatch metrics in Embedded Metric Format, through Powertools.

Each function writes one EMF document on stdout, which CloudWatch Logs turns
into metrics in the `SREAutomations` namespace: always with the `service`
dimension (`sre-automations-<stage>`), and where it says so also per
status, trigger or action type. Every document is written at once (nothing
waits for the end of the invocation, so a timed-out worker loses nothing).
Each call also logs one line, so a run's story is in the logs as well.
`POWERTOOLS_METRICS_DISABLED=true` turns the documents off (the local stack's default).
"""
import logging
from contextvars import ContextVar
from datetime import datetime

from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from chalicelib import settings
from chalicelib.clock import parse_iso

NAMESPACE = "SREAutomations"
log = logging.getLogger(__name__)
# Counts added up over one invocation (one document per POST /events, not one per event).
_tally: ContextVar[dict | None] = ContextVar("metrics_tally", default=None)


def service() -> str:
    """The `service` dimension of every metric."""
    return f"sre-automations-{settings.current().app_stage}"


def emit(values: dict, by: dict | None = None) -> None:
    """One EMF document: `values` {name: (unit, number)}, per `service` and,
    when `by` is given, also per `service` + `by`."""
    doc = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service=service())
    for name, (unit, number) in values.items():
        doc.add_metric(name=name, unit=unit, value=number)
    if by:
        for key, value in by.items():
            doc.add_dimension(name=key, value=str(value))
        doc.add_dimensions(service=service())
    doc.flush_metrics()


def start_tally() -> None:
    """From now on `add_up` adds counts up until `flush_tally` (the invocation's end)."""
    _tally.set({})


def add_up(**counts: int) -> None:
    """Counts for this invocation's one document; written at once outside an invocation."""
    tally = _tally.get()
    if tally is None:
        emit({name: ("Count", n) for name, n in counts.items()})
        return
    for name, n in counts.items():
        tally[name] = tally.get(name, 0) + n


def flush_tally() -> None:
    """Write the invocation's added-up counts (if any) as one document."""
    tally = _tally.get()
    _tally.set(None)
    if tally:
        emit({name: ("Count", n) for name, n in tally.items()})


def _ms_between(start: str | None, end: datetime) -> int | None:
    if not start:
        return None
    return max(0, int((end - parse_iso(start)).total_seconds() * 1000))


def run_queued(run) -> None:
    """A run was accepted (trigger URL, manual, event)."""
    log.info("run queued", extra={"run_id": run.id, "automation_id": run.automation_id,
                                  "account_id": run.account_id, "trigger": run.trigger})


def run_started(run, now: datetime, due: datetime) -> None:
    """A run went `running`. Queue wait (first attempt only): from when it was
    due (the schedule's hour plus its jitter, or when it was accepted) to now."""
    attempt = int(run.attempt or 1)
    values = {"RunsStarted": ("Count", 1)}
    wait = None
    if attempt == 1:
        wait = max(0, int((now - due).total_seconds() * 1000))
        values["QueueWait"] = ("Milliseconds", wait)
    emit(values, by={"trigger": run.trigger})
    log.info("run started", extra={"trigger": run.trigger, "attempt": attempt, "queue_wait_ms": wait})


def run_ended(run, status: str, reason: str | None) -> None:
    """A run reached its final status (after its actions: `partial` when one failed)."""
    values = {"RunsEnded": ("Count", 1)}
    duration = int(run.duration_ms) if run.duration_ms is not None else None
    if duration is not None:
        values["RunDuration"] = ("Milliseconds", duration)
    emit(values, by={"status": status})
    level = logging.INFO if status in ("succeeded", "skipped") else logging.WARNING
    log.log(level, "run ended", extra={"run_id": run.id, "automation_id": run.automation_id, "status": status,
                                       "reason": reason, "duration_ms": duration, "attempt": int(run.attempt or 0)})


def run_retrying(run, delay: int) -> None:
    """A transient failure: the run comes back after `delay` seconds."""
    log.warning("run retrying", extra={"status": "retrying", "reason": run.reason, "retry_in": delay})


def tick_completed(tick: datetime, jobs: int, seconds: float, caught_up: int = 0) -> None:
    """The scheduler tick queued its fan-out jobs (and caught up `caught_up` missed ticks)."""
    emit({"TicksCompleted": ("Count", 1), "TickDuration": ("Milliseconds", int(seconds * 1000)),
          "FanOutJobs": ("Count", jobs), "TicksCaughtUp": ("Count", caught_up)})
    log.info("scheduler tick completed", extra={"tick": tick.isoformat(), "jobs": jobs, "caught_up": caught_up,
                                                "took_ms": int(seconds * 1000)})


def rules_dispatched(slot: str, read: int, sent: int) -> None:
    """One fan-out job: schedule entries read, run messages sent (summed over
    an hour: the rules the tick dispatched)."""
    emit({"RulesDispatched": ("Count", sent), "ScheduleEntriesRead": ("Count", read)})
    log.info("fan-out job done", extra={"slot": slot, "read": read, "dispatched": sent})


ACTION_METRICS = {"sent": "ActionsSent", "failed": "ActionsFailed", "retrying": "ActionsRetried"}


def action_result(run, record: dict) -> None:
    """One try of one action: sent, failed or retrying."""
    emit({ACTION_METRICS[record["status"]]: ("Count", 1)}, by={"action_type": record["type"]})
    level = logging.WARNING if record["status"] == "failed" else logging.INFO
    log.log(level, f"action {record['status']}", extra={
        "run_id": run.id, "action_type": record["type"], "action_index": record["index"],
        "outcome": record["outcome"], "attempts": record["attempts"], "error": record.get("error")})


def event_ingested(event: dict, stored: bool, runs: list) -> None:
    """One event of a POST /events: kept (or a duplicate), and whether it started runs."""
    add_up(EventsIngested=int(stored), EventsDuplicate=int(not stored), EventsMatched=int(bool(runs)))
    log.info("event ingested" if stored else "event duplicate", extra={
        "event_id": event["id"], "event_name": event["event"], "runs": [r.id for r in runs]})
