"""Copies and cursor pages of the in-memory twins, shared by memory.py and
memory_operations.py, as a table would hand them out."""
import base64
import copy
import json

from chalicelib.store import BadCursor


def _copy(record):
    return copy.deepcopy(record)


def _cursor(listing: str, position) -> str:
    return base64.urlsafe_b64encode(json.dumps([listing, position]).encode()).decode().rstrip("=")


def _position(cursor: str | None, listing: str):
    if not cursor:
        return None
    try:
        found, position = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"==="))
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadCursor("not a cursor of this listing") from exc
    if found != listing:
        raise BadCursor("not a cursor of this listing")
    return position


def _page(items: list, key_of, listing: str, limit: int, cursor: str | None, keep,
          most_read: int | None = None) -> tuple[list, str | None]:
    """Items (already in order) after the cursor's, those `keep` holds for, up to `limit`
    (and at most `most_read` items looked at)."""
    after = _position(cursor, listing)
    if after is not None:
        keys = [key_of(item) for item in items]
        items = items[keys.index(after) + 1:] if after in keys else [i for i in items if key_of(i) < after]
    out = []
    for read, item in enumerate(items, 1):
        if keep(item):
            out.append(item)
            if len(out) == limit:
                return [_copy(i) for i in out], _cursor(listing, key_of(item))
        if most_read is not None and read >= most_read:
            return [_copy(i) for i in out], _cursor(listing, key_of(item))
    return [_copy(i) for i in out], None
