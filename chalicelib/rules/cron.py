"""The 4-segment cron of a schedule trigger: `hour day-of-month month day-of-week`.

Each segment is `*` or one number. Evaluated in UTC. When both day-of-month and
day-of-week are set, standard cron applies: either one matching is enough.
"""
import calendar
from datetime import UTC, datetime

from croniter import croniter

from chalicelib.errors import Invalid

SEGMENTS = (
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 7),
)
_MAX_DAYS = {m: max(calendar.monthrange(2024, m)[1], calendar.monthrange(2023, m)[1])
             for m in range(1, 13)}


def parse(expr, field: str = "cron") -> tuple[str, str, str, str]:
    """Validate a cron and return its normalised segments.

    Numbers lose leading zeros and day-of-week 7 becomes 0. Raises Invalid
    with a message naming the bad segment.
    """
    if not isinstance(expr, str):
        raise Invalid(f"{field} must be a string like '9 * * 1' (hour day-of-month month day-of-week)", field=field)
    parts = expr.split()
    if len(parts) != 4:
        raise Invalid(
            f"{field} must have exactly 4 segments 'hour day-of-month month day-of-week' "
            f"(no minute segment); got {len(parts)} in {expr!r}", field=field)
    out = []
    for raw, (name, lo, hi) in zip(parts, SEGMENTS, strict=True):
        if raw == "*":
            out.append("*")
            continue
        if not raw.isascii() or not raw.isdigit():
            raise Invalid(
                f"{field}: {name} segment {raw!r} is not allowed; use * or a single number "
                f"{lo}-{hi} (ranges, lists, steps and names are not supported)", field=field)
        value = int(raw)
        if not lo <= value <= hi:
            raise Invalid(f"{field}: {name} segment {raw!r} is out of range {lo}-{hi}", field=field)
        if name == "day-of-week" and value == 7:
            value = 0
        out.append(str(value))
    hour, dom, month, dow = out
    if dom != "*" and month != "*" and dow == "*" and int(dom) > _MAX_DAYS[int(month)]:
        raise Invalid(
            f"{field}: day-of-month {dom} never occurs in month {month}, so this schedule would never run",
            field=field)
    return hour, dom, month, dow


def normalise(expr, field: str = "cron") -> str:
    """The canonical string of a valid cron (see `parse`)."""
    return " ".join(parse(expr, field))


def next_runs(expr: str, now: datetime, count: int = 5) -> list[datetime]:
    """The next `count` UTC times at which the cron is due, strictly after `now`."""
    hour, dom, month, dow = parse(expr)
    it = croniter(f"0 {hour} {dom} {month} {dow}", now.astimezone(UTC), day_or=True)
    return [it.get_next(datetime).astimezone(UTC) for _ in range(count)]


def is_due(expr: str, at: datetime) -> bool:
    """True when the cron is due at the hour containing `at` (UTC)."""
    hour, dom, month, dow = parse(expr)
    at = at.astimezone(UTC)
    if hour != "*" and int(hour) != at.hour:
        return False
    if month != "*" and int(month) != at.month:
        return False
    weekday = at.isoweekday() % 7
    dom_ok = dom == "*" or int(dom) == at.day
    dow_ok = dow == "*" or int(dow) == weekday
    if dom != "*" and dow != "*":
        return dom_ok or dow_ok  # standard cron: either day field may match
    return dom_ok and dow_ok
