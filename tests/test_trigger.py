"""The trigger URL: token checks, body checks, the queued run and its message,
idempotency, and the cost of the hot path in AWS calls."""
import json
import logging

import boto3
import pytest

from bench.aws_calls import CallMeter
from chalicelib import settings
from chalicelib.store import repos
from tests.conftest import rule_body


@pytest.fixture
def rule(api, owner):
    data = api.ok("POST", "/automations", owner, rule_body(), status=201)
    data["path"] = data["api_trigger"]["url"].replace("http://testserver", "")
    data["token"] = data["api_trigger"]["token"]
    return data


def _messages(queue_url):
    sqs = boto3.client("sqs")
    got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def test_trigger_queues_a_run_with_the_text(api, owner, rule, aws):
    code, data = api.call("POST", rule["path"], rule["token"], {"text": "disk full on db-3"})
    assert code == 202 and data["status"] == "queued"
    assert data["status_url"] == f"http://testserver/runs/{data['run_id']}"
    run = api.ok("GET", f"/runs/{data['run_id']}", owner)["run"]
    assert run["trigger"] == "api" and run["status"] == "queued" and run["automation_id"] == rule["automation"]["id"]
    assert run["context"] == {"text": "disk full on db-3"} and run["attempt"] == 0
    account_id = repos.accounts.user(api.ok("GET", "/me", owner)["user"]["id"]).account_id
    assert _messages(aws["runs"]) == [{"run_id": data["run_id"], "automation_id": rule["automation"]["id"],
                                       "account_id": account_id, "trigger": "api"}]


def test_empty_body_is_a_run_without_text(api, owner, rule):
    code, data = api.call("POST", rule["path"], rule["token"], raw=b"")
    assert code == 202
    assert api.ok("GET", f"/runs/{data['run_id']}", owner)["run"]["context"] == {}


@pytest.mark.parametrize("auth", [None, "Bearer ", "Bearer srett_wrong", "Basic x", "Bearer sreak_notatrigger"])
def test_bad_tokens_get_one_401(api, rule, auth):
    headers = {"Authorization": auth} if auth else {}
    code, data = api.call("POST", rule["path"], headers=headers, body={"text": "x"})
    assert code == 401 and data["Message"].startswith("Missing, wrong or rotated trigger token")


def test_unknown_trigger_id_gets_the_same_401(api, rule):
    code, data = api.call("POST", "/trigger/trg_unknown", rule["token"], {"text": "x"})
    assert code == 401 and data["Message"].startswith("Missing, wrong or rotated trigger token")


def test_token_of_another_rule_is_refused(api, owner, rule):
    other = api.ok("POST", "/automations", owner, rule_body(name="other"), status=201)
    assert api.call("POST", rule["path"], other["api_trigger"]["token"], {})[0] == 401


@pytest.mark.parametrize("raw, message", [(b"[1]", "JSON object"), (b"not json", "JSON object"),
                                          (b'{"text": 5}', "text must be a string")])
def test_bad_bodies_are_400(api, rule, raw, message):
    code, data = api.call("POST", rule["path"], rule["token"], raw=raw)
    assert code == 400 and message in data["Message"]


def test_body_over_64_kib_is_413_and_at_the_limit_is_accepted(api, rule):
    filler = "x" * (64 * 1024 - len('{"text": ""}'))
    assert api.call("POST", rule["path"], rule["token"], raw=json.dumps({"text": filler}).encode())[0] == 202
    code, data = api.call("POST", rule["path"], rule["token"], raw=json.dumps({"text": filler + "x"}).encode())
    assert code == 413 and "64 KiB" in data["Message"]


def test_disabled_rule_is_409_until_enabled(api, owner, rule):
    rule_id = rule["automation"]["id"]
    api.ok("POST", f"/automations/{rule_id}/disable", owner)
    code, data = api.call("POST", rule["path"], rule["token"], {"text": "x"})
    assert code == 409 and "disabled" in data["Message"]
    api.ok("POST", f"/automations/{rule_id}/enable", owner)
    assert api.call("POST", rule["path"], rule["token"], {"text": "x"})[0] == 202


def test_idempotency_key_returns_the_same_run_and_sends_once(api, rule, aws):
    headers = {"Idempotency-Key": "deploy-4711"}
    first = api.call("POST", rule["path"], rule["token"], {"text": "a"}, headers=headers)[1]
    second = api.call("POST", rule["path"], rule["token"], {"text": "a"}, headers=headers)[1]
    other = api.call("POST", rule["path"], rule["token"], {"text": "a"}, headers={"Idempotency-Key": "x"})[1]
    assert first["run_id"] == second["run_id"] != other["run_id"]
    assert sorted(m["run_id"] for m in _messages(aws["runs"])) == sorted([first["run_id"], other["run_id"]])


def test_the_same_idempotency_key_with_another_body_is_a_conflict(api, rule, aws):
    headers = {"Idempotency-Key": "deploy-4712"}
    first = api.call("POST", rule["path"], rule["token"], {"text": "deploy 4712 finished"}, headers=headers)
    code, data = api.call("POST", rule["path"], rule["token"], {"text": "deploy 4713 finished"}, headers=headers)
    assert first[0] == 202 and code == 409 and data["Code"] == "Conflict"
    assert "Idempotency-Key was used with a different body" in data["Message"] and first[1]["run_id"] in data["Message"]
    assert api.call("POST", rule["path"], rule["token"], None, headers=headers)[0] == 409  # no text is other text too
    assert [m["run_id"] for m in _messages(aws["runs"])] == [first[1]["run_id"]]  # one run, one message


def test_hot_path_costs_three_aws_calls(api, rule):
    with CallMeter() as meter, meter.counting():  # every AWS call, whichever client makes it
        assert api.call("POST", rule["path"], rule["token"], {"text": "x"})[0] == 202
    seen = [operation for (operation, _), times in meter.calls.items() for _ in range(times)]
    assert sorted(seen) == ["GetItem", "PutItem", "SendMessage"]


def test_queue_failure_leaves_no_orphan_run(api, owner, rule, aws):
    with settings.override(runs_queue_url=aws["runs"] + "-missing"):
        code, data = api.call("POST", rule["path"], rule["token"], {"text": "x"},
                              headers={"Idempotency-Key": "k1"})
    assert code == 503 and "Retry" in data["Message"]
    code, data = api.call("POST", rule["path"], rule["token"], {"text": "x"}, headers={"Idempotency-Key": "k1"})
    assert code == 202 and [m["run_id"] for m in _messages(aws["runs"])] == [data["run_id"]]


def test_no_token_appears_in_any_log_line(api, owner, rule, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    api.call("POST", rule["path"], rule["token"], {"text": "x"})
    api.call("POST", rule["path"], rule["token"] + "x", {"text": "x"})
    rotated = api.ok("POST", f"/automations/{rule['automation']['id']}/api-trigger/rotate", owner)
    api.call("POST", "/automations", owner, raw=b"{broken")
    out, err = capfd.readouterr()
    text = caplog.text + out + err
    assert "run queued" in text  # the run's own lines were logged, so there was something to leak into
    for token in (rule["token"], rotated["token"], owner):
        assert token[-40:] not in text  # the secret part (an API key's id may appear; it is not secret)
