"""Time helpers. Callers pass `now` in; only the edges read the wall clock."""
from datetime import UTC, datetime

from chalicelib.errors import Invalid
from sre_agent.clock import iso, utcnow

__all__ = ["iso", "iso_ms", "parse_iso", "parse_time", "utcnow"]


def iso_ms(dt: datetime) -> str:
    """ISO 8601 UTC with milliseconds: sortable, for range keys."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; naive values are taken as UTC."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def parse_time(value, field: str, default: datetime) -> datetime:
    """An ISO time from a query parameter, or the default; Invalid naming the field when malformed."""
    if value in (None, ""):
        return default
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise Invalid(f"{field} must be an ISO 8601 time such as 2026-11-01T00:00:00Z; got {value!r}",
                      field=field) from exc
