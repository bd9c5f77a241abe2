"""The local stack's journal (devstack/journal.py), in-process on the tests'
moto: every write the service makes is journaled, replaying the journal over
an emptied moto gives back every item, secret and queued message, a snapshot
takes the journal in, and a request's answer waits for one fsync of all its
writes. The SIGKILL loop on a real stack is tests/test_e2e_durability.py."""
import json

import boto3
import pytest

from chalicelib.store import tables
from devstack import journal, journaled, persist
from tests.conftest import rule_body, sqs


@pytest.fixture
def journal_dir(aws, tmp_path):
    """A journal in tmp_path that moto's writes go to, for the test only."""
    journaled.install()
    journal.start(tmp_path)
    yield tmp_path
    journal.stop()


def _scan_everything() -> dict:
    """What a user could read back: every item of every table, every secret's value."""
    dynamodb, secrets = boto3.client("dynamodb"), boto3.client("secretsmanager")
    items = {}
    for name in tables.table_names():
        pages = dynamodb.get_paginator("scan").paginate(TableName=name)
        items[name] = sorted(json.dumps(i, sort_keys=True) for page in pages for i in page["Items"])
    values = {s["Name"]: secrets.get_secret_value(SecretId=s["Name"])["SecretString"]
              for page in secrets.get_paginator("list_secrets").paginate() for s in page["SecretList"]}
    return {"items": items, "secrets": values}


def _depth(url: str) -> dict:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    got = sqs().get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return {"visible": int(got[names[0]]), "hidden": int(got[names[1]]), "delayed": int(got[names[2]])}


def _wipe(queues: dict) -> None:
    """What a crash leaves in moto's memory: nothing (the journal is off while wiping)."""
    tables.empty_tables()
    secrets = boto3.client("secretsmanager")
    for page in secrets.get_paginator("list_secrets").paginate(IncludePlannedDeletion=True):
        for secret in page["SecretList"]:
            secrets.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True)
    for url in queues.values():
        sqs().purge_queue(QueueUrl=url)
    assert not any(_scan_everything()["items"].values()) and _depth(queues["runs"])["visible"] == 0


def _service_writes(api, owner) -> dict:
    """Writes of every kind the service makes: transactions (saves), single
    puts and updates, batch writes, secrets, queue sends, a delete, a
    ChangeMessageVisibility (a retry's backoff) and a delayed message."""
    created = api.ok("POST", "/automations", owner, rule_body(), status=201)
    automation_id = created["automation"]["id"]
    api.ok("PATCH", f"/automations/{automation_id}", owner, {"name": "renamed"})
    other = api.ok("POST", "/automations", owner, rule_body(name="to delete"), status=201)["automation"]["id"]
    api.ok("DELETE", f"/automations/{other}", owner, status=204)
    run_ids = [api.ok("POST", f"/automations/{automation_id}/runs", owner, {"text": f"n{n}"},
                      status=202)["run"]["id"] for n in range(3)]
    api.ok("POST", "/events", owner, [{"event": "deploy.finished", "id": "ev-1", "resource": {"id": "svc"}}],
           status=202)
    api.ok("PUT", "/secrets/hook", owner, {"value": "https://hooks.example.com/a"}, status=201)
    api.ok("PUT", "/secrets/hook", owner, {"value": "https://hooks.example.com/b"})
    return {"automation_id": automation_id, "run_ids": run_ids}


def test_replaying_the_journal_over_an_emptied_moto_gives_back_every_write(journal_dir, api, owner, aws):
    wrote = _service_writes(api, owner)
    client = sqs()
    first = client.receive_message(QueueUrl=aws["runs"], MaxNumberOfMessages=1)["Messages"][0]
    client.delete_message(QueueUrl=aws["runs"], ReceiptHandle=first["ReceiptHandle"])  # worked
    second = client.receive_message(QueueUrl=aws["runs"], MaxNumberOfMessages=1)["Messages"][0]
    client.change_message_visibility(QueueUrl=aws["runs"], ReceiptHandle=second["ReceiptHandle"],
                                     VisibilityTimeout=600)  # a retry's backoff: still hidden after a restart
    client.receive_message(QueueUrl=aws["runs"], MaxNumberOfMessages=1)  # in flight: visible after a restart
    client.send_message(QueueUrl=aws["fanout"], MessageBody='{"job": 1}', DelaySeconds=600)
    before = _scan_everything()
    assert wrote["automation_id"] in json.dumps(before["items"]) and len(before["secrets"]) == 1
    assert journal.current().durable == journal.current().written > 0  # every answer waited for its fsync

    journal.stop()
    _wipe(aws)
    replayed = persist.replay(journal_dir)

    assert replayed > 10
    assert _scan_everything() == before
    assert api.ok("GET", f"/automations/{wrote['automation_id']}", owner)["automation"]["name"] == "renamed"
    for run_id in wrote["run_ids"]:
        assert api.ok("GET", f"/runs/{run_id}", owner)["run"]["status"] == "queued"
    assert _depth(aws["runs"]) == {"visible": 1, "hidden": 1, "delayed": 0}
    assert _depth(aws["fanout"]) == {"visible": 0, "hidden": 0, "delayed": 1}
    again = client.receive_message(QueueUrl=aws["runs"], MaxNumberOfMessages=10)["Messages"]
    assert [m["MessageId"] for m in again] != [second["MessageId"]]  # the hidden one stays hidden


def test_a_snapshot_takes_the_journal_in_and_a_restart_replays_only_what_came_after(journal_dir, api, owner, aws):
    _service_writes(api, owner)
    saved = persist.snapshot(journal_dir, aws)
    assert saved["items"] > 0 and saved["secrets"] == 1 and saved["messages"] == 3
    assert journal.generations(journal_dir) == [journal.current().generation]  # the older files are gone
    assert journal.path_of(journal_dir, journal.current().generation).read_bytes() == b""
    left_behind = journal_dir / "kept.jsonl"
    created = api.ok("POST", "/automations", owner, rule_body(name="after the snapshot"), status=201)
    journal.path_of(journal_dir, journal.current().generation).rename(left_behind)  # what came after it
    journal.path_of(journal_dir, journal.current().generation).touch()
    before = _scan_everything()
    journal.stop()

    # a crash between the snapshot's files and the old journal's removal: that journal replays again
    left_behind.rename(journal.path_of(journal_dir, 1))
    _wipe(aws)
    counts = persist.restore(journal_dir, aws)

    assert counts["items"] == saved["items"] and counts["replayed"] > 0
    assert _scan_everything() == before
    assert api.ok("GET", f"/automations/{created['automation']['id']}", owner)["automation"]["name"] == \
        "after the snapshot"
    assert _depth(aws["runs"])["visible"] == 3


def test_one_request_waits_for_one_fsync_of_all_its_writes(journal_dir, monkeypatch):
    synced = []
    real = journal._sync
    monkeypatch.setattr(journal, "_sync", lambda fd: (synced.append(journal.current().written), real(fd)))
    table = tables.table_names()[0]
    key_names = [k["AttributeName"] for k in boto3.client("dynamodb").describe_table(TableName=table)
                 ["Table"]["KeySchema"]]
    boto3.client("dynamodb").batch_write_item(RequestItems={table: [
        {"PutRequest": {"Item": {name: {"S": f"item-{n}"} for name in key_names}}} for n in range(25)]})
    assert synced == [25]  # 25 records, one fsync, before the answer
    lines = journal.path_of(journal_dir, journal.current().generation).read_text().splitlines()
    assert len(lines) == 25 and all(json.loads(line)["dynamodb"][0][0] == table for line in lines)


def test_a_torn_last_line_is_skipped_and_a_bad_line_inside_a_file_refused(tmp_path):
    good = json.dumps({"sqs": "purge", "queue": "q"})
    journal.path_of(tmp_path, 1).write_text(f"{good}\n{good}\n{good[:9]}")  # a crash mid-append
    assert list(journal.read(tmp_path)) == [json.loads(good)] * 2
    journal.path_of(tmp_path, 2).write_text(f"{good[:9]}\n{good}\n")
    with pytest.raises(journal.JournalCorrupt, match="line 1"):
        list(journal.read(tmp_path))
