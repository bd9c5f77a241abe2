"""Items of several tables read in one call: one BatchGetItem instead of a
GetItem each (the worker reads a run, its automation and its account at once)."""
from pynamodb.models import Model

MAX_ROUNDS = 5  # unprocessed keys (throttling) asked for again, at most this often


def _key(model: type[Model], hash_key: str) -> dict:
    attribute = model._hash_key_attribute()
    return {model._hash_keyname: {attribute.attr_type: attribute.serialize(hash_key)}}


def get_many(*wanted: tuple[type[Model], str]) -> list[Model | None]:
    """The items named by (model, hash key), in that order, None for each that
    does not exist. Strongly consistent, as a conditional write that follows
    expects (models with a hash key only, one key per table)."""
    tables = {model.Meta.table_name: (model, _key(model, key)) for model, key in wanted}
    request = {table: {"Keys": [key], "ConsistentRead": True} for table, (_, key) in tables.items()}
    client = wanted[0][0]._get_connection().connection.client
    found: dict[str, dict] = {}
    for _ in range(MAX_ROUNDS):
        answer = client.batch_get_item(RequestItems=request)
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
