"""IANA time zone names, checked."""
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
