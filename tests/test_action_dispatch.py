"""Actions fired by run outcomes and by event triggers, end to end in-process:
the services are local HTTP servers, secrets live in moto's Secrets Manager."""
import json

import boto3
import pytest

from chalicelib.runs import lifecycle, worker
from chalicelib.store.models import Run
from tests.conftest import NOW, rule_body
from tests.servers import serve


@pytest.fixture(autouse=True)
def _loopback(monkeypatch):
    monkeypatch.setenv("ALLOW_LOOPBACK", "true")


def _run_manually(api, key, rule_id):
    run = api.ok("POST", f"/automations/{rule_id}/runs", key, {}, status=202)["run"]
    lifecycle.process({"run_id": run["id"], "automation_id": rule_id, "trigger": "manual"}, NOW)
    return api.ok("GET", f"/runs/{run['id']}", key)["run"]


def test_a_failed_run_calls_the_webhook_with_the_run_event(api, owner, monkeypatch):
    monkeypatch.setenv("AGENT_BACKEND", "nope")  # the run fails
    seen = []
    with serve(lambda *_: 204, record=seen) as url:
        rule = api.ok("POST", "/automations", owner, rule_body(actions=[
            {"type": "webhook", "url": f"{url}/hook", "on": ["failed"]}]), status=201)["automation"]
        run = _run_manually(api, owner, rule["id"])
    assert run["status"] == "failed"
    [request] = seen
    body = json.loads(request["body"])
    assert request["path"] == "/hook" and body["event"] == "automation.run.failed"
    assert body["related"] == [{"id": run["id"], "kind": "run"}]
    assert request["headers"]["Idempotency-Key"] == f"{run['id']}:failed:0"
    [result] = run["actions"]
    assert (result["type"], result["status"], result["code"], result["attempts"]) == ("webhook", "sent", 204, 1)


def test_actions_only_fire_for_their_outcomes(api, owner):
    seen = []
    with serve(lambda *_: 200, record=seen) as url:
        rule = api.ok("POST", "/automations", owner, rule_body(task_prompt="No URLs.", actions=[
            {"type": "webhook", "url": f"{url}/on-failure", "on": ["failed"]},
            {"type": "webhook", "url": f"{url}/on-success", "on": ["succeeded", "partial"]}]),
            status=201)["automation"]
        run = _run_manually(api, owner, rule["id"])
    assert run["status"] == "succeeded" and [r["path"] for r in seen] == ["/on-success"]


def test_a_failing_slack_action_makes_the_run_partial(api, owner):
    seen = []
    with serve(lambda *_: (404, "no_team"), record=seen) as url:
        assert api.call("PUT", "/secrets/slack-oncall", owner, {"value": f"{url}/services/T/B/X"})[0] == 201
        rule = api.ok("POST", "/automations", owner, rule_body(task_prompt="No URLs.", actions=[
            {"type": "slack", "webhook_url_secret": "slack-oncall", "on": ["succeeded"],
             "message": "Run {run.id} of {automation.name}: {run.status}"}]), status=201)["automation"]
        run = _run_manually(api, owner, rule["id"])
    assert json.loads(seen[0]["body"])["text"] == f"Run {run['id']} of {rule['name']}: succeeded"
    assert run["status"] == "partial" and run["reason"].startswith("1 of 1 action(s) failed: slack")
    events = [e["event"] for e in api.ok("GET", f"/events?resource_id={rule['id']}", owner)["events"]]
    assert sorted(events) == ["automation.run.partial", "automation.run.running"]  # never "succeeded"


def test_a_transient_failure_is_retried_through_the_queue(api, owner, aws, monkeypatch):
    monkeypatch.setenv("AGENT_BACKEND", "nope")
    monkeypatch.setenv("ACTION_RETRY_BASE_SECONDS", "0")  # no backoff to wait for in a test
    answers = iter([(503, "busy"), 200])
    seen = []
    with serve(lambda *_: next(answers), record=seen) as url:
        rule = api.ok("POST", "/automations", owner, rule_body(actions=[
            {"type": "webhook", "url": f"{url}/hook", "on": ["failed"], "retries": 2}]), status=201)["automation"]
        run = _run_manually(api, owner, rule["id"])
        assert run["actions"][0]["status"] == "retrying" and "503" in run["actions"][0]["error"]
        got = boto3.client("sqs").receive_message(QueueUrl=aws["runs"], MaxNumberOfMessages=10)["Messages"]
        retries = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
                   for m in got if json.loads(m["Body"]).get("kind") == "action"]
        assert len(retries) == 1
        assert worker.handle_batch(retries, clock=lambda: NOW) == {"batchItemFailures": []}
    assert len(seen) == 2 and seen[0]["headers"]["Idempotency-Key"] == seen[1]["headers"]["Idempotency-Key"]
    result = Run.get(run["id"]).action_results.as_dict()["failed:0"]
    assert result["status"] == "sent" and result["attempts"] == 2
    assert Run.get(run["id"]).status == "failed"  # the run's own outcome is untouched


def test_event_triggered_actions_fire_on_triggered(api, owner):
    seen = []
    with serve(lambda *_: 200, record=seen) as url:
        rule = api.ok("POST", "/automations", owner, rule_body(triggers=[
            {"type": "event", "expect": ["incident.*"], "match": {"resource.severity": "critical"}}], actions=[
            {"type": "webhook", "url": f"{url}/pager", "on": ["triggered"]}]), status=201)["automation"]
        api.ok("POST", "/events", owner, {"id": "inc-9", "event": "incident.triggered",
                                          "resource": {"id": "db-1", "severity": "critical"}}, status=202)
    [request] = seen
    assert json.loads(request["body"])["id"] == "inc-9"
    code, data = api.call("POST", "/automations", owner, rule_body(actions=[
        {"type": "webhook", "url": f"{url}/x", "on": ["triggered"]}]))
    assert code == 400 and "triggered" in data["Message"]
    assert rule["actions"][0]["on"] == ["triggered"]


def test_test_fire_previews_without_sending_and_explains_the_match(api, owner):
    seen = []
    with serve(lambda *_: 200, record=seen) as url:
        rule = api.ok("POST", "/automations", owner, rule_body(triggers=[
            {"type": "event", "expect": ["incident.*"], "match": {"resource.severity": "critical"}}], actions=[
            {"type": "webhook", "url": f"{url}/pager", "on": ["triggered", "failed"],
             "payload": '{"summary": "{{ event.resource.id }} is {{ event.resource.severity }}"}'}]),
            status=201)["automation"]
        hit = api.ok("POST", f"/automations/{rule['id']}/test", owner, {"event": {
            "event": "incident.triggered", "resource": {"id": "db-1", "severity": "critical"}}})
        miss = api.ok("POST", f"/automations/{rule['id']}/test", owner, {"event": {
            "event": "incident.triggered", "resource": {"id": "db-1", "severity": "low"}}})
        outcome = api.ok("POST", f"/automations/{rule['id']}/test", owner, {"outcome": "failed"})
    assert seen == [] and hit["sent"] is False
    assert hit["trigger"]["matches"] is True and hit["actions"][0]["fires"] is True
    assert "db-1 is critical" in json.dumps(hit["actions"][0]["preview"])
    assert miss["trigger"]["matches"] is False and "resource.severity" in miss["trigger"]["why"]
    assert outcome["event"]["event"] == "automation.run.failed" and outcome["actions"][0]["fires"] is True
    assert api.call("POST", f"/automations/{rule['id']}/test", owner, {"outcome": "exploded"})[0] == 400


def test_secrets_are_written_by_admins_and_never_returned(api, people):
    owner, member = people["owner"]["key"], people["alice"]["key"]
    code, data = api.call("PUT", "/secrets/pagerduty-key", owner, {"value": "R0UT1NGKEY"})
    assert code == 201 and "R0UT1NGKEY" not in json.dumps(data)
    assert api.call("PUT", "/secrets/pagerduty-key", owner, {"value": "NEWKEY"})[0] == 200
    assert api.call("PUT", "/secrets/pagerduty-key", member, {"value": "x"})[0] == 403
    assert api.call("PUT", "/secrets/bad name!", owner, {"value": "x"})[0] == 400
    assert api.call("PUT", "/secrets/empty", owner, {"value": ""})[0] == 400
