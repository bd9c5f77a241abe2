"""Local-time schedules: a daily or weekly rule runs at its local hour in its
IANA time zone on every day of the year, whatever the zone's UTC offset is
that day.

The scheduler ticks every 15 minutes (every zone's offset is a whole number
of quarter hours: +05:30 Kolkata, +05:45 Kathmandu, +12:45 Chatham). A local
hour H:00 of a day is due at the first tick at which the zone's wall clock has
reached it:

- on most days, at the tick where the wall clock reads H:00;
- spring forward (H:00 does not exist that day): once, at the first tick
  after the gap;
- fall back (H:00 happens twice): once, at the first; when the wall clock
  reads it again it has been reached before;
- offsets with :30 or :45: at the :30 or :45 tick.

Two computations of the same rule live here on purpose: `due_hours` (what a
tick fires) and `run_time` (when a given day's run happens, for next_runs);
tests check that they agree.
"""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TICK_MINUTES = 15
TICK = timedelta(minutes=TICK_MINUTES)
_HOUR = timedelta(hours=1)
_REPEAT_TICKS = 12  # three hours of ticks: longer than any fall back (Antarctica/Troll: two hours)


def floor_tick(at: datetime) -> datetime:
    """The tick (UTC, on the quarter hour) that `at` falls in."""
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % TICK_MINUTES, second=0, microsecond=0)


def ceil_tick(at: datetime) -> datetime:
    """The first tick at or after `at`."""
    floor = floor_tick(at)
    return floor if floor == at else floor + TICK


def wall_clock(at: datetime, zone: ZoneInfo) -> datetime:
    """The zone's wall clock (naive) at the instant `at`."""
    return at.astimezone(zone).replace(tzinfo=None)


def due_hours(zone: ZoneInfo, tick: datetime) -> list[tuple[int, int]]:
    """(local hour, local weekday with 0 = Sunday) of every local hour due at
    `tick` in `zone`: the whole hours the wall clock reaches at this tick for
    the first time. "For the first time": after a fall back the wall clock
    reads an hour again; the highest it read over the ticks of the last three
    hours (more than any fall back) is where this tick's hours begin."""
    now, before = wall_clock(tick, zone), wall_clock(tick - TICK, zone)
    if now.replace(minute=0, second=0, microsecond=0) <= before:
        return []  # no whole hour since the tick before (most ticks): no need to look further back
    high = max(before, *(wall_clock(tick - k * TICK, zone) for k in range(2, _REPEAT_TICKS + 1)))
    out = []
    hour = high.replace(minute=0, second=0, microsecond=0) + _HOUR
    while hour <= now:
        out.append((hour.hour, hour.isoweekday() % 7))
        hour += _HOUR
    return out


def run_time(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """The tick (UTC) at which the local hour `hour` of `day` runs: the first
    tick at which the zone's wall clock has reached it."""
    wall = datetime.combine(day, time(hour))
    first = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first of a repeated hour
    if wall_clock(first, zone) == wall:
        return ceil_tick(first)
    # In a gap: fold=1 reads the wall time with the offset after the change,
    # which is an instant before the gap; walk the ticks to the first past it.
    tick = ceil_tick(wall.replace(tzinfo=zone, fold=1).astimezone(UTC))
    while wall_clock(tick, zone) < wall:
        tick += TICK
    return tick


def next_runs(hour: int, weekday: int | None, zone: ZoneInfo, now: datetime, count: int = 5) -> list[datetime]:
    """The next `count` run times (UTC ticks) strictly after `now` of a daily
    (`weekday` None) or weekly rule at local `hour`."""
    day = wall_clock(now, zone).date() - timedelta(days=1)
    out = []
    while len(out) < count:
        if weekday is None or day.isoweekday() % 7 == weekday:
            at = run_time(day, hour, zone)
            if at > now:
                out.append(at)
        day += timedelta(days=1)
    return out


def utc_cron(hour: int, weekday: int | None, zone: ZoneInfo, now: datetime) -> str:
    """The 4-segment UTC cron of the rule's next run: the UTC hour (and
    weekday) it starts in. It changes with the zone's offset; the local time
    does not."""
    at = next_runs(hour, weekday, zone, now, 1)[0]
    return f"{at.hour} * * {at.isoweekday() % 7 if weekday is not None else '*'}"
