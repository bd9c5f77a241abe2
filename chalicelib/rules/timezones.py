"""IANA time zone names, checked."""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.errors import Invalid


def zone(name, field: str = "timezone") -> ZoneInfo:
    """The ZoneInfo for an IANA name, or Invalid naming the field."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise Invalid(f"{field} must be an IANA time zone name such as 'Europe/Berlin'", field=field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"{field}: unknown time zone {name!r}; use an IANA name such as 'Asia/Shanghai'",
                      field=field) from exc
