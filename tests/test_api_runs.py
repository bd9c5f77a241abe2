"""Manual runs, cancel, and sessions through the API."""
import json

import boto3
import pytest

from chalicelib import worker
from chalicelib.runs import records
from chalicelib.sessions.items import open_writer
from chalicelib.store import repos
from tests.conftest import NOW, rule_body


@pytest.fixture
def rule(api, people):
    return api.ok("POST", "/automations", people["alice"]["key"], rule_body(team_id=people["red"]),
                  status=201)["automation"]


def test_manual_run_is_queued_with_its_text(api, people, rule, aws):
    run = api.ok("POST", f"/automations/{rule['id']}/runs", people["bob"]["key"], {"text": "after deploy"},
                 status=202)["run"]
    assert run["trigger"] == "manual" and run["status"] == "queued" and run["context"] == {"text": "after deploy"}
    got = boto3.client("sqs").receive_message(QueueUrl=aws["runs"], MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["run_id"] for m in got] == [run["id"]]
    assert api.ok("POST", f"/automations/{rule['id']}/runs", people["bob"]["key"], raw=b"", status=202)


def test_manual_run_needs_edit_rights_and_an_enabled_rule(api, people, rule):
    assert api.call("POST", f"/automations/{rule['id']}/runs", people["carol"]["key"], {})[0] == 404
    personal = api.ok("POST", "/automations", people["alice"]["key"], rule_body(), status=201)["automation"]
    code, data = api.call("POST", f"/automations/{personal['id']}/runs", people["carol"]["key"], {})
    assert code == 403
    api.ok("POST", f"/automations/{rule['id']}/disable", people["alice"]["key"])
    code, data = api.call("POST", f"/automations/{rule['id']}/runs", people["alice"]["key"], {})
    assert code == 409 and "disabled" in data["Message"]
    assert api.call("POST", f"/automations/{personal['id']}/runs", people["alice"]["key"], {"text": 3})[0] == 400


def test_cancel_a_queued_run_then_it_never_starts(api, people, rule):
    key = people["alice"]["key"]
    run = api.ok("POST", f"/automations/{rule['id']}/runs", key, {}, status=202)["run"]
    cancelled = api.ok("POST", f"/runs/{run['id']}/cancel", key)["run"]
    assert cancelled["status"] == "failed" and cancelled["reason"] == "cancelled" and cancelled["finished_at"]
    message = {"run_id": run["id"], "automation_id": rule["id"], "trigger": "manual"}
    assert worker.process(message, NOW).status == "failed"
    code, data = api.call("POST", f"/runs/{run['id']}/cancel", key)
    assert code == 409 and "already ended (failed)" in data["Message"]
    assert api.call("POST", f"/runs/{run['id']}/cancel", people["carol"]["key"])[0] == 404


def test_session_route_shows_the_whole_session_to_editors_only(api, people, rule, monkeypatch):
    key = people["alice"]["key"]
    run = api.ok("POST", f"/automations/{rule['id']}/runs", key, {"text": "ctx"}, status=202)["run"]
    worker.process({"run_id": run["id"], "automation_id": rule["id"], "trigger": "manual"}, NOW)
    run = api.ok("GET", f"/runs/{run['id']}", key)["run"]
    # the prompt names https://example.com, which this sandbox cannot reach: one failed check
    assert run["status"] == "partial" and run["session_id"]
    assert run["reason"].startswith("1 of 2 tool call(s) failed; first: http_check https://example.com")
    session = api.ok("GET", f"/sessions/{run['session_id']}", key)["session"]
    assert session["hidden"] is True and session["run_id"] == run["id"] and session["automation_id"] == rule["id"]
    assert session["messages"][0]["role"] == "user" and "ctx" in session["messages"][0]["content"]
    assert [t["tool"] for t in session["tool_calls"]] == ["http_check", "query_runs"]
    assert session["tool_calls"][0]["input"] == {"url": "https://example.com"}
    assert session["artifacts"][0]["name"] == "report.md" and "# Health report" in session["artifacts"][0]["content"]
    assert api.call("GET", f"/sessions/{run['session_id']}", people["carol"]["key"])[0] == 404
    assert api.call("GET", "/sessions/ses_missing", key)[0] == 404


def test_a_session_larger_than_a_dynamodb_item_is_stored_whole(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(), status=201)["automation"]
    run = records.new_queued(rule["id"], repos.rules.get(rule["id"]).account_id, "manual", NOW)
    run.session_id = "ses_big"
    repos.runs.add(run)
    writer = open_writer("ses_big", run, clock=lambda: NOW)
    big = "".join(chr(0x4E00 + i % 2000) for i in range(600_000))  # ~1.8 MB as UTF-8
    writer.message("user", "look at this")
    writer.artifact("dump.txt", "text/plain", big)
    writer.tool_call("http_check", {"url": "https://example.com"}, {"ok": True, "body": "x" * 500_000})
    session = api.ok("GET", "/sessions/ses_big", owner)["session"]
    assert session["artifacts"][0]["content"] == big
    assert len(session["tool_calls"][0]["output"]["body"]) == 500_000
    assert session["messages"] == [{"role": "user", "content": "look at this", "at": "2026-11-23T10:00:00Z", "seq": 1}]
    assert repos.runs.get(run.id).session_id == "ses_big"
