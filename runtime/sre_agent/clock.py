"""Time helpers of the runtime (the service's clock module builds on these)."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware UTC. Read at the edges only."""
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, second precision (None stays None)."""
    if dt is None:
        return None
    return dt.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"  # a four-digit year, always
