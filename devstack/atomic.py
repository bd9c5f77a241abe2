"""moto's DynamoDB, made to behave like DynamoDB where the local stack and the
tests depend on it.

Atomic per item: of two conditional writes racing for one item, exactly one
passes its condition. moto checks a condition and then writes without a lock,
so two threads (two runners claiming one run through the local stack's
threaded moto server) can both pass. moto's write operations here take one
lock, as DynamoDB's per-item serialisation would, so the local stack and the
tests see the same races as AWS.

Transactions cost what they touch: moto backs up every table a transaction
writes to with a deep copy of the whole table, so saving a rule took time in
proportion to the rules already stored (about 200 ms at 300 rules, 500 ms at
2,000). Here the backup is of the transaction's own items only, and undoing a
cancelled transaction puts those items back: the same all-or-nothing result."""
import contextlib
import copy
import functools
import threading

_LOCK = threading.RLock()
WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_written = 0  # writes taken so far (batch writes are put_item/delete_item calls inside moto)


def write_count() -> int:
    """How many writes moto's DynamoDB has taken: unchanged means no item changed."""
    return _written


@contextlib.contextmanager
def writes_held():
    """No write lands while this is open (for a consistent copy of every table)."""
    with _LOCK:
        yield


def serialise_dynamodb_writes() -> None:
    """Patch moto's DynamoDB backend once (idempotent)."""
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend

    models.copy = _TablesNotCopied  # the module moto's backend calls copy.deepcopy(table) through
    for name in WRITES:
        method = getattr(DynamoDBBackend, name)
        if getattr(method, "_serialised", False):
            continue
        inner = _undone_when_cancelled(method) if name == "transact_write_items" else method

        def locked(self, *args, _method=inner, **kw):
            global _written
            with _LOCK:
                _written += 1
                return _method(self, *args, **kw)

        locked = functools.wraps(method)(locked)
        locked._serialised = True
        setattr(DynamoDBBackend, name, locked)


def _undone_when_cancelled(transact_write_items):
    """moto's transaction, undone item by item when it fails (run under the lock)."""
    def transaction(self, transact_items, *args, **kw):
        saved = _items_before(self, transact_items)
        try:
            return transact_write_items(self, transact_items, *args, **kw)
        except Exception:
            _put_back(saved)
            raise
    return transaction


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB backend: a
    table's deep copy is the table itself (the items a transaction touches are
    backed up instead, by `_items_before`); everything else is copied as usual."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value, memo=None):
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _items_before(backend, transact_items: list) -> list[tuple]:
    """(table, hash key, range key, a copy of the item or None) for every item
    the transaction names, before it runs."""
    saved = []
    for entry in transact_items if isinstance(transact_items, list) else []:
        op = next(iter(entry.values()), None) if isinstance(entry, dict) else None
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        if table is None:
            continue  # moto refuses the transaction before it writes anything
        key = op.get("Key") or {name: value for name, value in (op.get("Item") or {}).items()
                                if name in (table.hash_key_attr, table.range_key_attr)}
        try:
            hash_key, range_key = backend.get_keys_value(table, key)
        except Exception:  # noqa: BLE001 - a malformed key: moto refuses it before writing
            continue
        saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return saved


def _put_back(saved: list[tuple]) -> None:
    """Undo a cancelled transaction: every item it named as it was (the first
    copy wins when an item is named twice)."""
    for table, hash_key, range_key, item in reversed(saved):
        items, key = (table.items, hash_key) if range_key is None else (table.items[hash_key], range_key)
        if item is None:
            items.pop(key, None)
        else:
            items[key] = item
