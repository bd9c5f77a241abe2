"""The Secrets Manager and SQS writes moto applies, journaled (devstack/journal.py;
the DynamoDB ones are in devstack/atomic.py), and how each record replays.

Secrets: after every write, the secret as it is now (name, value, tags), or
that it is gone (deleted, even with a recovery window: the snapshot keeps no
deleted secret either).

SQS, by message id, so that replaying a record twice changes nothing:
- `add`: a message put in a queue (sent, or moved to a dead-letter queue by
  a receive), with its delay;
- `delete`: a message deleted;
- `hide`: ChangeMessageVisibility (a run's retry backoff), with the time it
  is visible again;
- `purge`: a queue purged.
Receiving a message is not journaled: whatever received it dies with the
stack, so after a crash a message in flight is visible again at once (on AWS
its visibility timeout would run out first).
"""
import functools
import time

from devstack import atomic, journal

SECRET_WRITES = ("create_secret", "put_secret_value", "update_secret", "delete_secret", "restore_secret",
                 "rotate_secret", "update_secret_version_stage", "tag_resource", "untag_resource")


def install() -> None:
    """Journal moto's Secrets Manager and SQS writes, and make every request's
    answer wait for its records (idempotent)."""
    from moto.secretsmanager.models import SecretsManagerBackend
    from moto.sqs.models import Queue, SQSBackend

    journal.answer_after_sync()
    for name in SECRET_WRITES:
        _patch(SecretsManagerBackend, name, _secret_write)
    _patch(Queue, "add_message", _message_added)
    _patch(SQSBackend, "delete_message", _message_deleted)
    _patch(SQSBackend, "change_message_visibility", _message_hidden)
    _patch(SQSBackend, "purge_queue", _queue_purged)


def _patch(cls, name: str, hook) -> None:
    method = getattr(cls, name)
    if getattr(method, "_journaled", False):
        return
    wrapped = functools.wraps(method)(hook(method))
    wrapped._journaled = True
    setattr(cls, name, wrapped)


# --- Secrets Manager ------------------------------------------------------------

def _secret_write(write):
    def journaled(self, *args, **kw):
        secret_id = kw.get("secret_id") or kw.get("name") or (args[0] if args else None)
        with atomic.write_held():
            result = write(self, *args, **kw)
            if journal.recording() and secret_id:
                secret = self.secrets.get(secret_id)
                if secret is not None:
                    journal.record({"secret": secret_image(secret)})
            return result
    return journaled


def secret_image(secret) -> dict:
    """A secret as the snapshot keeps it: {"name", "tags", "string"}, no
    "string" when it has no text value or is deleted."""
    image = {"name": secret.name, "tags": list(secret.tags or [])}
    version = (secret.versions or {}).get(secret.default_version_id) or {}
    if not secret.is_deleted() and isinstance(version.get("secret_string"), str):
        image["string"] = version["secret_string"]
    return image


def put_secret(backend, image: dict) -> None:
    """Make moto's secret `image["name"]` what `image` says (the journal off)."""
    backend.secrets.pop(image["name"])
    if "string" in image:
        backend.create_secret(name=image["name"], secret_string=image["string"], secret_binary=None,
                              description=None, tags=image["tags"], kms_key_id=None, client_request_token=None,
                              replica_regions=[], force_overwrite=False)


# --- SQS ------------------------------------------------------------------------

def _message_added(add_message):
    def journaled(self, message):
        with atomic.write_held():
            if journal.recording():  # before it lands: a receive and delete cannot come first in the journal
                journal.record({"sqs": "add", "queue": self.name, **message_image(message)})
            return add_message(self, message)
    return journaled


def _message_deleted(delete_message):
    def journaled(self, queue_name, receipt_handle):
        with atomic.write_held():
            ids = [m.id for m in self.get_queue(queue_name)._messages if m.had_receipt_handle(receipt_handle)]
            delete_message(self, queue_name, receipt_handle)
            if ids and journal.recording():
                journal.record({"sqs": "delete", "queue": queue_name, "ids": ids})
    return journaled


def _message_hidden(change_message_visibility):
    def journaled(self, queue_name, receipt_handle, visibility_timeout):
        with atomic.write_held():
            change_message_visibility(self, queue_name, receipt_handle, visibility_timeout)
            message = next((m for m in self.get_queue(queue_name)._messages
                            if m.had_receipt_handle(receipt_handle)), None)
            if message is None:
                return  # moved to a dead-letter queue meanwhile: that move was journaled
            message.held_until = message.visible_at  # what a restart keeps (unlike a receive's)
            if journal.recording():
                journal.record({"sqs": "hide", "queue": queue_name, "id": message.id, "until": message.visible_at})
    return journaled


def _queue_purged(purge_queue):
    def journaled(self, queue_name):
        with atomic.write_held():
            purge_queue(self, queue_name)
            if journal.recording():
                journal.record({"sqs": "purge", "queue": queue_name})
    return journaled


def message_image(message) -> dict:
    """A message as the snapshot keeps it: id, body, and until when it stays
    delayed or hidden by ChangeMessageVisibility (epoch ms, 0: visible now)."""
    now, held = time.time() * 1000, getattr(message, "held_until", 0)
    return {"id": message.id, "body": message.body,
            "delayed_until": message.delayed_until if message.delayed_until > now else 0,
            "held_until": held if held > now else 0}


def put_message(backend, queue_name: str, image: dict, new: bool = False) -> None:
    """Put message `image` in queue `queue_name` of moto (the journal off),
    taking it out of any queue it is in first (a dead-letter move, or a
    record replayed twice) unless it is `new` (a snapshot's, loaded first)."""
    if not new:
        _remove(backend, image.get("id"))
    message = backend.send_message(queue_name, image["body"])
    if image.get("id"):
        message.id = image["id"]
    message.delayed_until = image.get("delayed_until") or 0
    message.visible_at = message.held_until = image.get("held_until") or 0


def _remove(backend, message_id: str | None) -> None:
    if not message_id:
        return
    for queue in backend.queues.values():
        queue._messages = [m for m in queue._messages if m.id != message_id]


def apply(sqs, secrets, record: dict) -> bool:
    """Replay one journaled SQS or Secrets Manager record; False when it is
    neither (the DynamoDB ones are atomic.apply's)."""
    if "secret" in record:
        put_secret(secrets, record["secret"])
        return True
    kind, queue_name = record.get("sqs"), record.get("queue")
    if kind is None:
        return False
    if queue_name not in sqs.queues:
        return True  # a queue this version no longer has
    queue = sqs.queues[queue_name]
    if kind == "add":
        put_message(sqs, queue_name, record)
    elif kind == "delete":
        queue._messages = [m for m in queue._messages if m.id not in set(record["ids"])]
    elif kind == "hide":
        for message in queue._messages:
            if message.id == record["id"]:
                message.visible_at = message.held_until = record["until"]
    elif kind == "purge":
        queue._messages = []
    return True
