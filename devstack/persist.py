"""Keeping the local stack's DynamoDB data across restarts.

moto keeps everything in memory, so the stack snapshots every table to
`.local/dynamodb.json` every few seconds and on shutdown, and loads it back on
start. (moto's request recorder would replay every call, queue polling
included, and grow without bound; a snapshot of the tables stays small.)
"""
import json
import os

import boto3

from chalicelib.store.models import ALL_MODELS


def snapshot(path: str) -> int:
    """Write every table's items to `path` atomically; returns the item count."""
    client = boto3.client("dynamodb")
    data, count = {}, 0
    for model in ALL_MODELS:
        items = []
        for page in client.get_paginator("scan").paginate(TableName=model.Meta.table_name):
            items.extend(page["Items"])
        data[model.Meta.table_name] = items
        count += len(items)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(tmp, path)
    return count


def restore(path: str) -> int:
    """Load a snapshot written by `snapshot` into the (empty) tables."""
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    client = boto3.client("dynamodb")
    known = {m.Meta.table_name for m in ALL_MODELS}
    count = 0
    for table, items in data.items():
        if table not in known:
            continue
        for start in range(0, len(items), 25):
            chunk = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
            pending = {table: chunk}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        count += len(items)
    return count
