"""No lost tick: the scheduler records every tick it completes, and a tick
that finds ticks missing since the last completed one (the Lambda failed,
timed out or was throttled) fires them too, within a bounded look-back
(SCHEDULER_LOOKBACK_HOURS, default 6). Their runs keep the time they were due
for (so their ids, and idempotency, are unchanged) and say in their reason that
they started late. A catch-up emits `scheduler.tick.missed` into every account
with scheduled rules, so an automation can alert on it.
"""
from datetime import datetime, timedelta

from chalicelib import settings
from chalicelib.clock import iso, iso_ms, parse_iso
from chalicelib.rules.local_time import TICK, TICK_MINUTES, floor_tick
from chalicelib.runs import fire
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import Tick

LAST, LAST_CATCH_UP = "last", "last_catch_up"


def lookback() -> timedelta:
    """How far back a tick catches up missed ticks."""
    return timedelta(hours=max(0, settings.current().scheduler_lookback_hours))


def last_completed() -> datetime | None:
    """The time of the last completed tick (None before the first)."""
    last = repos.schedule.tick(LAST)
    return parse_iso(last.slot) if last else None


def missed_ticks(last: datetime | None, tick: datetime) -> tuple[list[datetime], int]:
    """The ticks after `last` and before `tick` to catch up (oldest first, at
    most the look-back), and how many older ones are beyond it."""
    if last is None or last >= tick:
        return [], 0
    earliest = tick - lookback()
    missed, dropped, at = [], 0, last + TICK
    while at < tick:
        if at >= earliest:
            missed.append(at)
        else:
            dropped += 1
        at += TICK
    return missed, dropped


def late_note(due: datetime, caught_up_by: datetime) -> str:
    """What a caught-up run says about itself."""
    return (f"Started late: the scheduler tick of {iso(due)} did not complete, and the tick of "
            f"{iso(caught_up_by)} caught it up.")


def record(tick: datetime, started: datetime, finished: datetime, missed: list[datetime], dropped: int,
           jobs: int, accounts: list[str]) -> dict:
    """Record a completed tick (never moving the record back to an older
    one), and a catch-up with its event when there was one."""
    data = {"tick": iso(tick), "started_at": iso_ms(started), "completed_at": iso_ms(finished),
            "took_ms": int((finished - started).total_seconds() * 1000), "jobs": jobs,
            "caught_up": [iso(t) for t in missed], "dropped": dropped}
    try:
        repos.schedule.record_tick(Tick(LAST, iso(tick), data))
    except ConditionFailed:  # a newer tick is already recorded: keep it
        pass
    if missed or dropped:
        repos.schedule.record_tick(Tick(LAST_CATCH_UP, iso(tick), data), only_if_newer=False)
        for account_id in accounts:
            fire.record(account_id, missed_event(data, finished), finished)
    return data


def missed_event(data: dict, now: datetime) -> dict:
    """The `scheduler.tick.missed` event of a catch-up."""
    missed, dropped = data["caught_up"], data["dropped"]
    reason = (f"{len(missed)} scheduler tick(s) from {missed[0] if missed else '-'} did not complete; the tick of "
              f"{data['tick']} caught them up")
    if dropped:
        reason += (f"; {dropped} older tick(s) were beyond the {lookback().total_seconds() / 3600:g}-hour look-back "
                   "and were not caught up")
    return {"id": f"scheduler.tick.missed.{data['tick']}", "event": "scheduler.tick.missed",
            "occurred": iso_ms(now), "received": iso_ms(now),
            "resource": {"id": "scheduler", "kind": "scheduler", "name": "scheduler tick"},
            "related": [], "payload": {"caught_up": missed, "dropped": dropped, "tick": data["tick"],
                                       "lookback_hours": lookback().total_seconds() / 3600, "reason": reason}}


def view(now: datetime) -> dict:
    """The scheduler as GET /status shows it: one Query of its records."""
    items = repos.schedule.ticks()
    last = items.get(LAST)
    due = floor_tick(now)
    behind = None
    if last is not None:
        behind = max(0, int((due - parse_iso(last.slot)) / TICK))
    return {"tick_minutes": TICK_MINUTES, "lookback_hours": lookback().total_seconds() / 3600,
            "last_tick": last.data if last else None,
            "last_catch_up": items[LAST_CATCH_UP].data if LAST_CATCH_UP in items else None,
            "ticks_behind": behind,
            "on_time": behind is not None and behind <= 1}

