"""Runs as records: making a new one, when it was due to start, and how the
API shows it."""
import hashlib
from datetime import datetime, timedelta

from chalicelib import settings
from chalicelib.clock import iso, iso_ms, parse_iso
from chalicelib.identity import tokens
from chalicelib.store import repos
from chalicelib.store.records import Run
from chalicelib.store.runs import is_expired

STATUSES = ("queued", "running", "retrying", "succeeded", "partial", "failed", "skipped", "abandoned")
__all__ = ["STATUSES", "is_expired", "new_queued", "new_run_id", "run_json", "start_due", "waiting_runs",
           "with_note", "jitter_of", "jitter_window"]


def waiting_runs(before: datetime, per_shard: int | None = None):
    """Runs waiting for a worker since before `before`: queued ones created
    earlier, retrying ones due back earlier (the sparse `waiting` index, one
    Query per shard; oldest first within each shard, at most `per_shard` of each)."""
    return repos.runs.waiting(iso_ms(before), per_shard)


def new_run_id(automation_id: str, idempotency_key: str | None = None) -> str:
    """A run id: random, or derived from the key so a repeated call maps to one run."""
    if idempotency_key is None:
        return f"run_{tokens.new_id(10)}"
    digest = hashlib.sha256(f"{automation_id}\n{idempotency_key}".encode()).hexdigest()[:20]
    return f"run_{digest}"


def new_queued(automation_id: str, account_id: str, trigger: str, now: datetime,
               text: str | None = None, idempotency_key: str | None = None,
               scheduled_for: datetime | None = None, run_id: str | None = None, note: str | None = None) -> Run:
    """A `queued` run, not yet saved (its id random, from the idempotency key, or given).
    A `note` (e.g. that it starts late) stays in its reason whatever the outcome."""
    return Run(
        run_id or new_run_id(automation_id, idempotency_key), automation_id=automation_id, note=note, reason=note,
        account_id=account_id, trigger=trigger, status="queued", context_text=text,
        idempotency_key=idempotency_key, scheduled_for=iso(scheduled_for), created_at=iso_ms(now), attempt=0,
        expires_at=now + timedelta(days=settings.current().run_retention_days))


def with_note(run: Run, reason: str | None) -> str | None:
    """A run's reason with its note (if it has one) after it."""
    return " ".join(part for part in (reason, run.note) if part) or None


def jitter_window() -> int:
    """The jitter window in seconds (JITTER_SECONDS, at most SQS's 900)."""
    return max(0, min(settings.current().jitter_seconds, 900))


def jitter_of(automation_id: str) -> int:
    """A rule's stable start offset within the jitter window (SQS allows 900 s)."""
    window = jitter_window()
    if window <= 0:
        return 0
    return int.from_bytes(hashlib.sha256(automation_id.encode()).digest()[4:8], "big") % window


def start_due(run: Run) -> datetime:
    """When a run was due to start: a scheduled run at its time plus its
    rule's start offset (it waits `queued` until then on purpose), any other
    when it was queued."""
    if run.trigger == "schedule" and run.scheduled_for:
        return parse_iso(run.scheduled_for) + timedelta(seconds=jitter_of(run.automation_id))
    return parse_iso(run.created_at)


def run_json(run: Run, base_url: str = "") -> dict:
    """A run as the API shows it."""
    return {
        "id": run.id, "automation_id": run.automation_id, "trigger": run.trigger,
        "status": run.status, "reason": run.reason, "scheduled_for": run.scheduled_for,
        "created_at": iso(parse_iso(run.created_at)), "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": int(run.duration_ms) if run.duration_ms is not None else None,
        "session_id": run.session_id, "attempt": int(run.attempt or 0), "environment": run.environment,
        "context": {**({"text": run.context_text} if run.context_text is not None else {}),
                    **({"started_by": run.started_by} if run.started_by else {})},
        "actions": sorted((run.action_results or {}).values(),
                          key=lambda r: (r.get("outcome", ""), r.get("index", 0))),
        "status_url": f"{base_url}/runs/{run.id}",
    }
