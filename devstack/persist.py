"""Keeping the local stack's state across restarts and crashes.

moto keeps everything in memory. Every write it applies is journaled before
it answers (devstack/journal.py), so nothing acknowledged is lost even to a
SIGKILL; every few seconds when something changed, and on shutdown, a
snapshot of moto's memory takes the journal in and the journal starts
afresh. On start the snapshot is loaded and the journal replayed over it.
The snapshot, all read from moto's memory while writes wait:

- every DynamoDB table, to `.local/dynamodb.json`;
- every Secrets Manager secret, to `.local/secrets.json` (readable by its
  owner only: it holds the values);
- every message in the queues, in flight and delayed ones too (each with the
  time it becomes visible, when a delay or ChangeMessageVisibility set one),
  to `.local/queues.json` (owner only).

(moto's request recorder would replay every call, queue polling included,
and grow without bound; a snapshot and a short journal stay small.)
"""
import json
import os
from pathlib import Path

from chalicelib.store import config, tables
from devstack import atomic, journal, journaled

DYNAMODB, SECRETS, QUEUES = "dynamodb.json", "secrets.json", "queues.json"


def _write(path: Path, data, private: bool = False) -> None:
    """Replace `path` atomically and durably (a crash leaves the old file or the new one)."""
    tmp = Path(f"{path}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read(path: Path):
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _backends():
    """moto's DynamoDB, Secrets Manager and SQS of the stack's region."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.secretsmanager.models import secretsmanager_backends
    from moto.sqs.models import sqs_backends

    region = config()["region"]
    return (dynamodb_backends[DEFAULT_ACCOUNT_ID][region], secretsmanager_backends[DEFAULT_ACCOUNT_ID][region],
            sqs_backends[DEFAULT_ACCOUNT_ID][region])


def _queue_names(queues: dict) -> dict:
    """moto's queue name -> the stack's name for it ("runs", "fanout", ...)."""
    return {url.rsplit("/", 1)[1]: name for name, url in queues.items()}


def snapshot(state_dir: Path, queues: dict) -> dict:
    """Write the tables, secrets and queued messages to `state_dir`, then drop
    the journal files they hold; returns the counts ({"items", "secrets",
    "messages"}). The copy is taken while writes wait (a Scan through moto's
    HTTP API took 3.5 s of CPU for 2,000 items), in the format `restore` loads."""
    dynamodb, secretsmanager, sqs = _backends()
    names, log = _queue_names(queues), journal.current()
    with atomic.writes_held():
        items = {name: [item.to_json()["Attributes"] for item in dynamodb.tables[name].all_items()]
                 for name in tables.table_names()}
        secrets = [image for image in map(journaled.secret_image, secretsmanager.secrets.values())
                   if "string" in image]
        # a copy of each list first: a receive moves a message to a dead-letter queue without the lock
        messages = {names[queue.name]: [journaled.message_image(m) for m in list(queue._messages)]
                    for queue in sqs.queues.values() if queue.name in names}
        generation = log.rotate() if log is not None else None  # later writes go to the next file
    state_dir = Path(state_dir)
    _write(state_dir / DYNAMODB, items)
    _write(state_dir / SECRETS, secrets, private=True)
    _write(state_dir / QUEUES, messages, private=True)
    # the journal files the snapshot holds (all of them when the journal is off: replayed, never again)
    journal.drop_before(state_dir, generation if log is not None else None)
    return {"items": sum(len(i) for i in items.values()), "secrets": len(secrets),
            "messages": sum(len(m) for m in messages.values())}


def restore(state_dir: Path, queues: dict) -> dict:
    """Load the snapshot in `state_dir` into moto (its tables and queues made,
    empty), then replay the journal over it; call it before the journal starts.
    Returns the counts ({"items", "secrets", "messages", "replayed"})."""
    dynamodb, secretsmanager, sqs = _backends()
    state_dir, names = Path(state_dir), _queue_names(queues)
    counts = {"items": 0, "secrets": 0, "messages": 0}
    known = set(tables.table_names())
    for table, items in (_read(state_dir / DYNAMODB) or {}).items():
        if table in known:
            for item in items:
                dynamodb.put_item(table, item)
            counts["items"] += len(items)
    for secret in _read(state_dir / SECRETS) or []:
        if "string" in secret:
            journaled.put_secret(secretsmanager, secret)
            counts["secrets"] += 1
    queue_of = {name: moto_name for moto_name, name in names.items()}
    for name, images in (_read(state_dir / QUEUES) or {}).items():
        if name in queue_of:
            for image in images:  # a body alone: a file written before messages had ids
                journaled.put_message(sqs, queue_of[name], image if isinstance(image, dict) else {"body": image},
                                      new=True)
            counts["messages"] += len(images)
    counts["replayed"] = replay(state_dir)
    return counts


def replay(state_dir: Path) -> int:
    """Apply every journaled write in `state_dir` to moto, oldest first; returns how many."""
    dynamodb, secretsmanager, sqs = _backends()
    count = 0
    for record in journal.read(Path(state_dir)):
        if "dynamodb" in record:
            atomic.apply(dynamodb, record)
        elif not journaled.apply(sqs, secretsmanager, record):
            raise journal.JournalCorrupt(f"a journal record of no known kind: {sorted(record)}")
        count += 1
    return count
