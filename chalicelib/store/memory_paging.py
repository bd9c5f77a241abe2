"""Copies and cursor pages of the in-memory twins, shared by memory.py and
memory_operations.py, as a table would hand them out; and the twin of a
table of an account's few items (integrations, agent profiles)."""
import base64
import copy
import json

from chalicelib.store import BadCursor, ConditionFailed


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


class MemoryAccountItems:
    """Records keyed by (account_id, id), as a table with that key holds them:
    add (once), get, the account's by id, change (while it exists), delete."""
    what = "item"

    def __init__(self):
        self.items: dict[tuple, object] = {}

    def add(self, record):
        if (record.account_id, record.id) in self.items:
            raise ConditionFailed(f"{self.what} {record.id} exists")
        self.items[(record.account_id, record.id)] = _copy(record)

    def get(self, account_id, item_id):
        return _copy(self.items.get((account_id, item_id)))

    def of_account(self, account_id):
        return [_copy(i) for (a, _), i in sorted(self.items.items()) if a == account_id]

    def _stored(self, record):
        stored = self.items.get((record.account_id, record.id))
        if stored is None:
            raise ConditionFailed(f"{self.what} {record.id} is gone")
        return stored

    def change(self, record, changes):
        stored = self._stored(record)
        for name, value in changes.items():
            setattr(stored, name, _copy(value))
            setattr(record, name, _copy(value))

    def delete(self, record):
        self.items.pop((record.account_id, record.id), None)
