"""Checks of input values the whole core shares; each refusal is an
`Invalid` naming the field it is about."""
from chalicelib.errors import Invalid

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def whole_number(value) -> int | None:
    """A JSON integer as an int, or None. 3.0 is an integer in JSON (and in the
    OpenAPI document's schemas), so it counts; true and false do not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else None


def page_size(query: dict) -> int:
    """`?limit=`: 1-200, default 50."""
    raw = query.get("limit") or str(DEFAULT_LIMIT)
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:  # int() takes no "²"
        raise Invalid(f"limit must be an integer 1-{MAX_LIMIT}", field="limit")
    return int(raw)


def name(value, field: str = "name", limit: int = 255) -> str:
    """A required, non-empty name of at most `limit` characters, trimmed."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise Invalid(f"{field} must be a non-empty string of at most {limit} characters", field=field)
    return value.strip()


def bad_cursor() -> Invalid:
    """The refusal of a cursor the store did not make for this listing."""
    return Invalid("cursor is not valid here; pass next_cursor from the previous page", field="cursor")
