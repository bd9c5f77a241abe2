"""DynamoDB is atomic per item: of two conditional writes racing for one item,
exactly one passes its condition. moto checks a condition and then writes
without a lock, so two threads (two runners claiming one run through the
local stack's threaded moto server) can both pass. This makes moto's write
operations take one lock, as DynamoDB's per-item serialisation would, so the
local stack and the tests see the same races as AWS."""
import functools
import threading

_LOCK = threading.RLock()
WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def serialise_dynamodb_writes() -> None:
    """Patch moto's DynamoDB backend once (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in WRITES:
        method = getattr(DynamoDBBackend, name)
        if getattr(method, "_serialised", False):
            continue

        def locked(self, *args, _method=method, **kw):
            with _LOCK:
                return _method(self, *args, **kw)

        locked = functools.wraps(method)(locked)
        locked._serialised = True
        setattr(DynamoDBBackend, name, locked)
