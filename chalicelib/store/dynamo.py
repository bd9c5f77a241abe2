"""What the DynamoDB repositories share: records to and from items,
expectations as condition expressions, changes as update actions, a failed
condition as ConditionFailed, transactions, one BatchGetItem for items of
several tables, and opaque page cursors."""
import base64
import functools
import json
import random
import time
from contextlib import contextmanager
from dataclasses import MISSING, fields

from pynamodb.attributes import MapAttribute, UnicodeSetAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.store import BadCursor, ConditionFailed, config
from chalicelib.store.expect import ABSENT, PRESENT, Below, In

CONFLICT = ("ConditionalCheckFailedException", "TransactionCanceledException")
MAX_ROUNDS = 8  # tries of a batch read whose keys come back unprocessed (throttling): under 2 s of waits
WIDEST_PAGE = 1000  # items read per call at most (DynamoDB stops at 1 MB anyway)


def record_of(item, record_cls):
    """The record of a pynamodb item (None stays None)."""
    if item is None:
        return None
    values = {}
    for spec in fields(record_cls):
        value = getattr(item, spec.name, None)
        if isinstance(value, MapAttribute):
            value = value.as_dict()
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if value is None and spec.default_factory is not MISSING:
            value = spec.default_factory()
        values[spec.name] = value
    return record_cls(**values)


def item_of(record, model):
    """The pynamodb item of a record (fields the model lacks are left out)."""
    names = model.get_attributes()
    return model(**{spec.name: getattr(record, spec.name) for spec in fields(record)
                    if spec.name in names and getattr(record, spec.name) is not None})


def condition(model, expect: dict):
    """An expectation (store/expect.py) as a pynamodb condition, or None for none."""
    out = None
    for name, wanted in (expect or {}).items():
        attr = getattr(model, name)
        if wanted is ABSENT:
            part = attr.does_not_exist()
        elif wanted is PRESENT:
            part = attr.exists()
        elif isinstance(wanted, In):
            part = attr.is_in(*wanted.values)
        elif isinstance(wanted, Below):
            part = attr < wanted.value
        else:
            part = attr == wanted
        out = part if out is None else out & part
    return out


def actions(model, changes: dict) -> list:
    """Changes as update actions: None removes a field; `action_results.<key>`
    sets one entry of a map; a set attribute given as a set is replaced."""
    out = []
    for name, value in changes.items():
        if "." in name:
            top, key = name.split(".", 1)
            out.append(getattr(model, top)[key].set(value))
            continue
        attr = getattr(model, name)
        if value is None:
            out.append(attr.remove())
        elif isinstance(attr, UnicodeSetAttribute) and not value:
            out.append(attr.remove())  # DynamoDB keeps no empty sets
        else:
            out.append(attr.set(value))
    return out


def conflict(exc) -> bool:
    """Whether a pynamodb error is a failed condition (of a write or a transaction)."""
    return getattr(exc, "cause_response_code", None) in CONFLICT


@contextmanager
def conditional():
    """Turns a failed condition of the writes inside into ConditionFailed."""
    try:
        yield
    except (PutError, UpdateError, DeleteError, TransactWriteError) as exc:
        if conflict(exc):
            raise ConditionFailed(str(exc)) from exc
        raise


def update(item, changes: dict, expect: dict | None = None) -> None:
    """A conditional UpdateItem; `item` holds the stored values after it."""
    with conditional():
        item.update(actions=actions(type(item), changes), condition=condition(type(item), expect))


def put(item, expect: dict | None = None) -> None:
    """A conditional PutItem."""
    with conditional():
        item.save(condition=condition(type(item), expect))


@functools.cache
def _connection(region: str | None) -> Connection:
    # One per container, as the models have: a new Connection builds a new botocore client on first use,
    # which cost about 175 ms per save when every transaction made its own.
    return Connection(region=region)


@contextmanager
def transaction():
    """A write transaction: every write in it lands, or none does (a failed
    condition of any raises ConditionFailed)."""
    with conditional():
        with TransactWrite(connection=_connection(config()["region"])) as tx:
            yield tx


MAX_KEY_BYTES = 1024  # a range key's limit (a hash key's is 2048): no item has a longer key


def possible_key(*keys) -> bool:
    """Whether an item can have these keys: DynamoDB refuses an empty or an
    over-long string key outright (a 500, were it asked), and stores none."""
    return all(not isinstance(key, str) or 0 < len(key.encode()) <= MAX_KEY_BYTES for key in keys)


def get(model, *keys, consistent: bool = False):
    """The item with these keys, or None (also for keys no item can have)."""
    if not possible_key(*keys):
        return None
    try:
        return model.get(*keys, consistent_read=consistent)
    except model.DoesNotExist:
        return None


def backoff(attempt: int, base: float = 0.05, most: float = 1.0) -> float:
    """Seconds to wait before try `attempt` + 1 of an unprocessed batch: doubling from
    `base`, at most `most`, with full jitter (readers throttled together do not come back together)."""
    return random.uniform(0, min(most, base * 2 ** attempt))


def get_many(*wanted: tuple, sleep=time.sleep) -> list:
    """The items named by (model, hash key), in that order, None for each that
    does not exist, in one BatchGetItem. Strongly consistent, as a conditional
    write that follows expects (models with a hash key only, one key per table).
    Keys DynamoDB leaves unprocessed (throttling) are asked for again after a
    backoff with jitter, up to MAX_ROUNDS tries."""
    def key(model, value):
        attribute = model._hash_key_attribute()
        return {model._hash_keyname: {attribute.attr_type: attribute.serialize(value)}}

    tables = {model.Meta.table_name: (model, key(model, value)) for model, value in wanted if possible_key(value)}
    request = {table: {"Keys": [k], "ConsistentRead": True} for table, (_, k) in tables.items()}
    client = wanted[0][0]._get_connection().connection.client
    found: dict[str, dict] = {}
    for attempt in range(MAX_ROUNDS):
        if attempt:
            sleep(backoff(attempt - 1))
        answer = client.batch_get_item(RequestItems=request) if request else {}
        for table, items in answer.get("Responses", {}).items():
            if items:
                found[table] = items[0]
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            break
    else:
        raise RuntimeError(f"BatchGetItem left keys unread after {MAX_ROUNDS} tries: {sorted(request)}")
    return [tables[table][0].from_raw_data(found[table]) if table in found else None
            for table in (model.Meta.table_name for model, _ in wanted)]


def encode_cursor(key: dict[str, str]) -> str:
    """A cursor for a last-read key given as {attribute: string value}."""
    raw = {name: {"S": value} for name, value in key.items()}
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


def decode_cursor(value: str | None, names: set[str], pinned: dict[str, str]) -> dict | None:
    """The DynamoDB key of a cursor, which must have exactly `names` (all
    strings) and the `pinned` values (the same automation or account);
    BadCursor otherwise."""
    if not value:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(value.encode() + b"==="))
        if (not isinstance(key, dict) or set(key) != names
                or not all(isinstance(v, dict) and len(v) == 1 and isinstance(v.get("S"), str) for v in key.values())
                or any(key[name]["S"] != wanted for name, wanted in pinned.items())):
            raise ValueError
        return key
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadCursor("not a cursor of this listing") from exc


def take(results, keep, limit: int, key_of, most_read: int | None = None) -> tuple[list, str | None]:
    """Up to `limit` items of a pynamodb query (`results`, asked for with
    page_size=limit) for which `keep(item)` holds, and the cursor after the
    last one (None when the results ran out first). `most_read` bounds the
    items read, kept or not: a filter few items pass then costs what the page
    size allows, not what the table holds (the cursor goes on from there)."""
    results.page_iter = _WideningPages(results.page_iter, most_read)
    page, read = [], 0
    for item in results:
        read += 1
        if keep(item):
            page.append(item)
            if len(page) == limit:
                return page, encode_cursor(key_of(item))
        if most_read is not None and read >= most_read:
            return page, encode_cursor(key_of(item))
    return page, None


class _WideningPages:
    """A query's pages, each asked for four times as large as the one before.
    DynamoDB filters a page after reading it, so a listing whose filter few
    items pass would otherwise cost one call per `limit` items read; the first
    page is still `limit` items, so a listing that finds its page at once reads
    no more than before."""

    def __init__(self, pages, most: int | None = None):
        self.pages, self.most = pages, most or WIDEST_PAGE

    def __iter__(self):
        return self

    def __next__(self):
        page = next(self.pages)
        self.pages.page_size = min(self.pages.page_size * 4, WIDEST_PAGE, self.most)
        return page

    def __getattr__(self, name):  # last_evaluated_key, key_names, …: the query's own
        return getattr(self.pages, name)
