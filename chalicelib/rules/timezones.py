"""Converting a local hour (and weekday) in an IANA time zone to UTC.

Daily and weekly schedules are picked in the user's time zone and stored as a
UTC cron. The conversion uses the offset in force at the next occurrence after
`now`. A cron has no minute segment, so in zones with a fractional offset
(Asia/Kolkata, +05:30) the run is placed at the first UTC hour at or after the
chosen local time: it never starts before the time the user picked.
"""
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.errors import BadRequest


def zone(name, field: str = "timezone") -> ZoneInfo:
    """The ZoneInfo for an IANA name, or BadRequest naming the field."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise BadRequest(f"{field} must be an IANA time zone name such as 'Europe/Berlin'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"{field}: unknown time zone {name!r}; use an IANA name such as 'Asia/Shanghai'")


def to_utc(hour: int, weekday: int | None, tz_name: str, now: datetime) -> tuple[int, int | None]:
    """Convert a local hour (and weekday, 0 = Sunday) to the UTC (hour, weekday).

    The weekday shifts when the conversion crosses midnight: Monday 02:00 in
    Asia/Shanghai is Sunday 18:00 UTC.
    """
    tz = zone(tz_name)
    local_now = now.astimezone(tz)
    local_day = local_now.date()
    if weekday is not None:
        local_day += timedelta(days=(weekday - local_day.isoweekday() % 7) % 7)
    local = datetime.combine(local_day, time(hour), tzinfo=tz)
    if local <= local_now:  # today's occurrence has passed: the next one sets the offset
        local = datetime.combine(local_day + timedelta(days=7 if weekday is not None else 1), time(hour), tzinfo=tz)
    utc = local.astimezone(UTC)
    if utc.minute or utc.second:
        utc = utc.replace(minute=0, second=0) + timedelta(hours=1)
    return utc.hour, (utc.isoweekday() % 7 if weekday is not None else None)
