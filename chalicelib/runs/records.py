"""Run records in DynamoDB and how the API shows them."""
import hashlib
from datetime import datetime, timedelta

from chalicelib import settings
from chalicelib.clock import iso, iso_ms, parse_iso
from chalicelib.identity import tokens
from chalicelib.store.models import Run

STATUSES = ("queued", "running", "retrying", "succeeded", "partial", "failed", "skipped", "abandoned")
WAITING_SHARDS = 8  # partitions of the sparse `waiting` index


def waiting_shard(run_id: str) -> str:
    """The `waiting` index partition of a run (stable per run)."""
    return f"w{int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:2], 'big') % WAITING_SHARDS}"


def waiting_runs(before: datetime, per_shard: int | None = None):
    """Runs waiting for a worker since before `before`: queued ones created
    earlier, retrying ones due back earlier. Reads the sparse index only
    (one Query per shard), oldest first within each shard (at most
    `per_shard` from each when given)."""
    for shard in range(WAITING_SHARDS):
        yield from Run.waiting_runs.query(f"w{shard}", Run.waiting_since < iso_ms(before), limit=per_shard,
                                          page_size=per_shard)


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
    run_id = run_id or new_run_id(automation_id, idempotency_key)
    return Run(
        run_id, automation_id=automation_id, note=note, reason=note,
        account_id=account_id, trigger=trigger, status="queued", context_text=text,
        idempotency_key=idempotency_key, scheduled_for=iso(scheduled_for),
        created_at=iso_ms(now), attempt=0, waiting=waiting_shard(run_id), waiting_since=iso_ms(now),
        expires_at=now + timedelta(days=settings.run_retention_days()))


def with_note(run: Run, reason: str | None) -> str | None:
    """A run's reason with its note (if it has one) after it."""
    return " ".join(part for part in (reason, run.note) if part) or None


def is_expired(run: Run, now: datetime) -> bool:
    """TTL deletion can lag by days: an expired run is treated as gone."""
    return run.expires_at is not None and run.expires_at <= now


def as_dict(value) -> dict:
    """A pynamodb MapAttribute (or a dict, or None) as a plain dict."""
    return value.as_dict() if hasattr(value, "as_dict") else dict(value or {})


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
        "actions": sorted(as_dict(run.action_results).values(),
                          key=lambda r: (r.get("outcome", ""), r.get("index", 0))),
        "status_url": f"{base_url}/runs/{run.id}",
    }
