"""The sweeper (minute tick): no run stays `queued` (or `retrying` past its
due time) because its message was lost: the local stack restarted, or a send
that seemed to succeed never arrived. It reads the sparse `waiting` index for
runs waiting longer than SWEEP_AFTER_SECONDS (never less than the jitter
window plus 10 seconds, so runs merely delayed by their start offset are left
alone), sends each one's message again (the worker starts a run once, so a
message that was not lost after all does no harm), and after SWEEP_MAX_RESENDS
re-sends ends the run `failed`, saying why.
"""
from datetime import datetime, timedelta

from chalicelib import settings
from chalicelib.clock import iso, parse_iso
from chalicelib.runs import queue, records
from chalicelib.runs.lifecycle import STARTABLE, finish
from chalicelib.store import ConditionFailed, repos


def sweep_after() -> int:
    """Seconds a run may wait for a worker before its message is sent again."""
    return max(settings.current().sweep_after_seconds, records.jitter_window() + 10)


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"


def sweep(now: datetime) -> dict:
    """Re-send or end every run waiting too long; returns their ids."""
    after, limit = sweep_after(), max(0, settings.current().sweep_max_resends)
    cutoff = now - timedelta(seconds=after)
    resent, failed = [], []
    for run in records.waiting_runs(cutoff):
        if run.status not in STARTABLE or run.pool or (run.resent_at and parse_iso(run.resent_at) > cutoff):
            continue  # ended, waiting for a runner of its pool (claims.py's business), or re-sent lately
        resends = int(run.resends or 0)
        if resends >= limit:
            reason = (f"No worker ever started this run: its message was sent again {resends} time(s), "
                      f"{_minutes(after)} apart, and was never picked up (lost, or no worker is running).")
            if finish(run, "failed", reason, now, only_from=STARTABLE):
                failed.append(run.id)
            continue
        try:  # claim this re-send, so two overlapping minute ticks send it once
            repos.runs.note_resend(run, resent_at=iso(now), only_from=STARTABLE)
        except ConditionFailed:
            continue
        queue.send_run(run)
        resent.append(run.id)
    return {"resent": resent, "failed": failed}
