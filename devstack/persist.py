"""Keeping the local stack's state across restarts.

moto keeps everything in memory, so the stack saves what a user wrote and what
is still to be done, every few seconds (the tables when something changed) and
on shutdown, and loads it back on start. (moto's request recorder would replay
every call, queue polling included, and grow without bound; a snapshot stays
small.)

- every DynamoDB table, to `.local/dynamodb.json`;
- every Secrets Manager secret, to `.local/secrets.json` (readable by its
  owner only: it holds the values);
- on shutdown, after the engine has stopped, the messages still visible in the
  queues, to `.local/queues.json`, sent again on the next start. Messages
  hidden at that moment (a run's retry backoff, an action's retry) cannot be
  read without their receipt; the runs among them are sent again by the
  sweeper, since every waiting run is in the `waiting` index.
"""
import json
import os

import boto3

from chalicelib.store import config, tables
from devstack import atomic


def _write(path: str, data, private: bool = False) -> None:
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def _read(path: str):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def snapshot(path: str) -> int:
    """Write every table's items to `path` atomically; returns the item count.
    Read from moto's memory while writes wait (a Scan through moto's HTTP API
    took 3.5 s of CPU for 2,000 items), in the wire format `restore` loads."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    stored = dynamodb_backends[DEFAULT_ACCOUNT_ID][config()["region"]].tables
    with atomic.writes_held():
        data = {name: [item.to_json()["Attributes"] for item in stored[name].all_items()]
                for name in tables.table_names()}
    _write(path, data)
    return sum(len(items) for items in data.values())


def restore(path: str) -> int:
    """Load a snapshot written by `snapshot` into the (empty) tables."""
    data = _read(path) or {}
    client = boto3.client("dynamodb")
    known = set(tables.table_names())
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


def snapshot_secrets(path: str) -> int:
    """Write every secret (name, value, tags) to `path`, readable by its owner only."""
    client = boto3.client("secretsmanager")
    secrets = []
    for page in client.get_paginator("list_secrets").paginate():
        for secret in page["SecretList"]:
            value = client.get_secret_value(SecretId=secret["ARN"])
            secrets.append({"name": secret["Name"], "tags": secret.get("Tags", []),
                            **({"string": value["SecretString"]} if "SecretString" in value else {})})
    _write(path, secrets, private=True)
    return len(secrets)


def restore_secrets(path: str) -> int:
    """Create the secrets written by `snapshot_secrets` (into an empty store)."""
    client = boto3.client("secretsmanager")
    secrets = [s for s in _read(path) or [] if "string" in s]
    for secret in secrets:
        client.create_secret(Name=secret["name"], SecretString=secret["string"], Tags=secret["tags"])
    return len(secrets)


def save_queues(path: str, queues: dict) -> int:
    """Take every visible message out of the queues and write them to `path`
    (call it once nothing polls the queues any more)."""
    sqs, saved = boto3.client("sqs"), {}
    for name, url in queues.items():
        bodies = saved.setdefault(name, [])
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300,
                                      WaitTimeSeconds=0).get("Messages", [])
            if not got:
                break
            bodies += [m["Body"] for m in got]
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    _write(path, saved, private=True)
    return sum(len(b) for b in saved.values())


def restore_queues(path: str, queues: dict) -> int:
    """Send the messages written by `save_queues` again, then forget them."""
    sqs, sent = boto3.client("sqs"), 0
    for name, bodies in (_read(path) or {}).items():
        if name not in queues:
            continue
        for start in range(0, len(bodies), 10):
            sqs.send_message_batch(QueueUrl=queues[name], Entries=[
                {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start:start + 10])])
        sent += len(bodies)
    if os.path.exists(path):
        os.remove(path)
    return sent
