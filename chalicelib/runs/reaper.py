"""The abandoned-run reaper (minute tick): runs still `running` past the
maximum run time plus a grace period are ended `abandoned`, so a crashed
worker never leaves a run running forever. Reads the sparse `active` index."""
from datetime import datetime, timedelta

from chalicelib import settings
from chalicelib.clock import iso
from chalicelib.runs.lifecycle import finish
from chalicelib.store import repos


def reap(now: datetime) -> list[str]:
    """End every overdue running run; returns their ids."""
    s = settings.current()
    limit = s.max_run_seconds
    cutoff = now - timedelta(seconds=limit + s.abandon_grace_seconds)
    span = f"{limit // 60}-minute" if limit % 60 == 0 else f"{limit}-second"
    reason = f"Ran past the {span} limit without finishing; terminated by the system."
    reaped = []
    for run in repos.runs.running_since_before(iso(cutoff)):
        if finish(run, "abandoned", reason, now):
            reaped.append(run.id)
    return reaped
