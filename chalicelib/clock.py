"""Time helpers. Callers pass `now` in; only the edges read the wall clock.

Time zones come from the `tzdata` package the project pins (requirements.txt),
never from the operating system's database: `zoneinfo` reads the system's
first, and it lags or differs (Debian's was 2025b when the pin was 2026f; a
Lambda image has whatever it was built with). Importing this module (every
function imports it first thing) makes the pinned package the only source.
"""
import zoneinfo
from datetime import UTC, datetime, timedelta

import tzdata

from chalicelib.errors import Invalid
from sre_agent.clock import iso, utcnow

__all__ = ["TZDATA_VERSION", "before", "iso", "iso_ms", "parse_iso", "parse_time", "utcnow"]

zoneinfo.reset_tzpath(to=())  # no system path: the tzdata package is the only source of zones
zoneinfo.ZoneInfo.clear_cache()  # a zone read before this line came from the system: read it again
TZDATA_VERSION = tzdata.IANA_VERSION


def iso_ms(dt: datetime) -> str:
    """ISO 8601 UTC with milliseconds: sortable, for range keys (a four-digit
    year whatever the year: strftime writes the year 653 as "653")."""
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; naive values are taken as UTC. ValueError
    also for a time whose UTC is outside years 1-9999 (0001-01-01T00:30+01:00)."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{value!r} is outside the years 1-9999 in UTC") from exc


def before(dt: datetime, delta: timedelta) -> datetime:
    """`delta` before `dt`, or the first moment of year 1 when that is earlier
    (a default window ending early in year 1)."""
    try:
        return dt - delta
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def parse_time(value, field: str, default: datetime) -> datetime:
    """An ISO time from a query parameter, or the default; Invalid naming the field when malformed."""
    if value in (None, ""):
        return default
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise Invalid(f"{field} must be an ISO 8601 time such as 2026-11-01T00:00:00Z; got {value!r}",
                      field=field) from exc
