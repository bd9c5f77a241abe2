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
cancelled transaction puts those items back: the same all-or-nothing result.

Journaled (devstack/journal.py, on the local stack): under the same lock,
right after a write lands, the after-image of every item it changed is
appended to the journal (a transaction's items as one record), so the journal
has the writes in the order they landed; the request's answer waits for the
fsync. The lock is also the one the Secrets Manager and SQS hooks
(devstack/journaled.py) take, and the one a snapshot holds."""
import contextlib
import copy
import functools
import threading

from devstack import journal

_LOCK = threading.RLock()
_local = threading.local()  # per thread: inside a transaction (its items are journaled as one record)?
WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_written = 0  # writes taken so far (batch writes are put_item/delete_item calls inside moto)


def write_count() -> int:
    """How many writes moto has taken (DynamoDB, and Secrets Manager and SQS
    on the local stack): unchanged means nothing changed."""
    return _written


@contextlib.contextmanager
def write_held():
    """One write of another service (devstack/journaled.py) under the lock, counted."""
    global _written
    with _LOCK:
        _written += 1
        yield


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
        locked = functools.wraps(method)(
            _transaction(method) if name == "transact_write_items" else _one_item(method))
        locked._serialised = True
        setattr(DynamoDBBackend, name, locked)


def _one_item(write):
    """PutItem, UpdateItem or DeleteItem (BatchWriteItem calls them per item)
    under the lock, journaled unless it is part of a transaction."""
    def locked(self, table_name, item_or_key, *args, **kw):
        global _written
        with _LOCK:
            _written += 1
            result = write(self, table_name, item_or_key, *args, **kw)
            if journal.recording() and not getattr(_local, "transaction", False):
                table = self.get_table(table_name)
                key = {name: item_or_key[name] for name in (table.hash_key_attr, table.range_key_attr) if name}
                journal.record({"dynamodb": [_after_image(self, table, key)]})
            return result
    return locked


def _transaction(transact_write_items):
    """moto's transaction under the lock, undone item by item when it fails,
    and journaled as one record when it lands."""
    def transaction(self, transact_items, *args, **kw):
        global _written
        with _LOCK:
            _written += 1
            saved = _items_before(self, transact_items)
            _local.transaction = True
            try:
                result = transact_write_items(self, transact_items, *args, **kw)
            except Exception:
                _put_back(saved)
                raise
            finally:
                _local.transaction = False
            if journal.recording():
                journal.record({"dynamodb": [_after_image(self, table, key) for table, key, *_ in saved]})
            return result
    return transaction


def _after_image(backend, table, key: dict) -> list:
    """[table name, key, the item as it is now or None] (wire format, as the
    snapshot keeps items)."""
    item = table.get_item(*backend.get_keys_value(table, key))
    return [table.name, key, item.to_json()["Attributes"] if item is not None else None]


def apply(backend, record: dict) -> None:
    """Replay one journaled DynamoDB record into moto's backend (the journal off)."""
    for table_name, key, item in record["dynamodb"]:
        if table_name not in backend.tables:
            continue  # a table this version no longer has
        if item is None:
            backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, item)


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
    """(table, key, hash key, range key, a copy of the item or None) for every
    item the transaction writes, before it runs (a ConditionCheck writes nothing)."""
    saved = []
    for entry in transact_items if isinstance(transact_items, list) else []:
        kind, op = next(iter(entry.items()), (None, None)) if isinstance(entry, dict) else (None, None)
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        if table is None or kind == "ConditionCheck":
            continue  # no table: moto refuses the transaction before it writes anything
        key = op.get("Key") or {name: value for name, value in (op.get("Item") or {}).items()
                                if name in (table.hash_key_attr, table.range_key_attr)}
        try:
            hash_key, range_key = backend.get_keys_value(table, key)
        except Exception:  # noqa: BLE001 - a malformed key: moto refuses it before writing
            continue
        saved.append((table, key, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return saved


def _put_back(saved: list[tuple]) -> None:
    """Undo a cancelled transaction: every item it named as it was (the first
    copy wins when an item is named twice)."""
    for table, _key, hash_key, range_key, item in reversed(saved):
        items, key = (table.items, hash_key) if range_key is None else (table.items[hash_key], range_key)
        if item is None:
            items.pop(key, None)
        else:
            items[key] = item
