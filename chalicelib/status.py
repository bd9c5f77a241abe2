"""GET /status: whether the engine is healthy, at a glance (owner and admins).

- the scheduler: the last completed tick (when, how long it took, what it
  caught up), the last catch-up, and how many ticks it is behind;
- the queues' depths (SQS GetQueueAttributes) and, for the runs queue, the
  age of the oldest run waiting for a worker. SQS's ApproximateAgeOfOldestMessage
  is a CloudWatch metric, not a queue attribute, and moto does not produce it;
  the sparse `waiting` index holds every queued run (since it was queued) and
  every retrying run (since it was due back), so its oldest item is that age,
  on moto and on AWS alike (one Query of one item per shard);
- the account's runs running now (the sparse `active` index);
- the service's version, and the version of the time-zone data schedules use
  (the pinned tzdata package, chalicelib/clock.py).
"""
from datetime import datetime

from chalicelib import __version__, settings
from chalicelib.clock import TZDATA_VERSION, iso, parse_iso
from chalicelib.errors import Forbidden
from chalicelib.runs import catch_up, records
from chalicelib.store import repos

QUEUES = (("runs", "runs"), ("fanout", "fanout"), ("dead_letter", "runs_dlq"))  # (shown as, queue name)


def _age(since: str | None, now: datetime) -> float | None:
    return round((now - parse_iso(since)).total_seconds(), 1) if since else None


def oldest_waiting(now: datetime) -> dict | None:
    """The run that has waited longest for a worker (due now, not retrying later)."""
    oldest = min(records.waiting_runs(now, per_shard=1), key=lambda r: r.waiting_since, default=None)
    if oldest is None:
        return None
    return {"run_id": oldest.id, "status": oldest.status, "waiting_since": iso(parse_iso(oldest.waiting_since)),
            "age_seconds": _age(oldest.waiting_since, now)}


def status(caller, now: datetime) -> dict:
    """The status document; 403 for members."""
    if not caller.is_admin:
        raise Forbidden("Only the account owner and admins can see the service status (GET /status).")
    queues = {shown: repos.queues.depth(name) for shown, name in QUEUES}
    oldest = oldest_waiting(now)
    queues["runs"]["oldest_age_seconds"] = oldest["age_seconds"] if oldest else 0
    queues["runs"]["oldest_waiting"] = oldest
    running = repos.runs.running_in_account(caller.account_id)
    started = min((r.started_at for r in running if r.started_at), default=None)
    return {"version": __version__, "stage": settings.current().app_stage, "tzdata": TZDATA_VERSION,
            "checked_at": iso(now),
            "scheduler": catch_up.view(now), "queues": queues,
            "runs": {"running": len(running), "oldest_running_since": started,
                     "oldest_running_seconds": _age(started, now)}}
