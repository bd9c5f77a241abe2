"""Structured logs and EMF metrics, as CloudWatch would receive them: every
stdout line of a real invocation (the app's Lambda handlers, called with a
Lambda context) parsed as JSON."""
import json
import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from chalice.local import LambdaContext

from chalicelib import settings
from chalicelib.observability import logs, metrics
from chalicelib.store import repos
from tests.conftest import rule_body, sqs
from tests.servers import outbound, serve

SECRET_WEBHOOK = "https://hooks.example.com/services/T0/B0/very-secret-part"


def _lines(out: str) -> list[dict]:
    """Every stdout line as JSON (one that is not JSON fails the test)."""
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _emf(lines, metric):
    return [doc for doc in lines if "_aws" in doc and metric in doc]


def _value(doc, name):
    """A metric's value (Powertools writes EMF values as a list)."""
    value = doc[name]
    return sum(value) if isinstance(value, list) else value


def _dims(doc):
    return doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"]


def _work_all(app, queue_url, context, rounds=5):
    """The worker Lambda, invoked for each batch until the queue is empty
    (a run's actions are messages of their own, sent after the run ends)."""
    for _ in range(rounds):
        event = _sqs_event(queue_url)
        if not event["Records"]:
            return
        assert app.run_worker(event, context) == {"batchItemFailures": []}
        sqs().delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(event["Records"])])


def _sqs_event(queue_url):
    got = sqs().receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                         "attributes": {}, "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:runs",
                         "awsRegion": "us-east-1"} for m in got.get("Messages", [])]}


@pytest.fixture
def triggered(api, owner, aws, capsys):
    """A run through the trigger URL and then the worker Lambda handler, with
    a webhook action that succeeds: (run id, automation, stdout lines)."""
    import app
    with outbound(allow_loopback=True), serve(lambda *_: 204) as url:
        created = api.ok("POST", "/automations", owner, rule_body(task_prompt="No URLs here.", actions=[
            {"type": "webhook", "url": f"{url}/hook", "on": ["succeeded"]}]), status=201)
        path = created["api_trigger"]["url"].replace("http://testserver", "")
        capsys.readouterr()
        code, answer = api.call("POST", path, created["api_trigger"]["token"], {"text": "disk full"})
        assert code == 202
        context = LambdaContext("sre-automations-prod-worker", memory_size=512)
        _work_all(app, aws["runs"], context)
    return answer["run_id"], created["automation"], context, _lines(capsys.readouterr().out)


def test_every_line_is_one_json_object_with_the_standard_keys(triggered):
    _, _, _, lines = triggered
    records = [doc for doc in lines if "_aws" not in doc]
    assert records
    for doc in records:
        assert {"timestamp", "level", "message", "function", "service", "name"} <= set(doc), doc
        assert doc["timestamp"].startswith("20") and doc["level"] in ("DEBUG", "INFO", "WARNING", "ERROR")


def test_a_runs_lines_carry_its_ids_from_the_trigger_to_the_end(triggered, api, owner):
    run_id, rule, context, lines = triggered
    account_id = api.ok("GET", "/me", owner)["user"]["id"] and _account_of(rule["id"])
    story = [doc for doc in lines if doc.get("run_id") == run_id and "_aws" not in doc]
    messages = [doc["message"] for doc in story]
    assert messages[:2] == ["run queued", "run started"]
    # the run ends, then the worker sends its action (a message of its own)
    assert messages[-2:] == ["run ended", "action sent"]
    worker_lines = [doc for doc in story if doc["function"] == "sre-automations-prod-worker"]
    assert worker_lines and all(doc["request_id"] == context.aws_request_id for doc in worker_lines)
    for doc in story:
        assert doc["automation_id"] == rule["id"] and doc["account_id"] == account_id, doc
    ended = story[-2]
    assert ended["status"] == "succeeded" and ended["duration_ms"] >= 0
    api_line = next(doc for doc in lines if doc.get("message") == "api request")
    assert api_line["route"] == "/trigger/{trigger_id}" and api_line["status"] == 202
    assert api_line["automation_id"] == rule["id"]


def _account_of(automation_id):
    return repos.rules.get(automation_id).account_id


def test_the_emf_documents_of_a_run(triggered):
    _, _, _, lines = triggered
    [started] = _emf(lines, "RunsStarted")
    assert started["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "SREAutomations"
    assert started["service"] == "sre-automations-local" and started["trigger"] == "api"
    assert _dims(started) == [["trigger", "service"], ["service"]]
    assert _value(started, "RunsStarted") == 1 and _value(started, "QueueWait") >= 0
    [ended] = _emf(lines, "RunsEnded")
    assert ended["status"] == "succeeded" and _value(ended, "RunsEnded") == 1 and _value(ended, "RunDuration") >= 0
    assert _dims(ended) == [["status", "service"], ["service"]]
    units = {m["Name"]: m["Unit"] for m in ended["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units == {"RunsEnded": "Count", "RunDuration": "Milliseconds"}
    [sent] = _emf(lines, "ActionsSent")
    assert sent["action_type"] == "webhook" and _dims(sent) == [["action_type", "service"], ["service"]]


def test_a_failed_action_and_a_failed_run_are_counted_by_type_and_status(api, owner, aws, capsys):
    import app
    with outbound(allow_loopback=True), serve(lambda *_: 400) as url, \
            settings.override(agent=replace(settings.current().agent, backend="no-such-backend")):  # the run fails
        rule = api.ok("POST", "/automations", owner, rule_body(actions=[
            {"type": "webhook", "url": f"{url}/hook", "on": ["failed"]}]), status=201)["automation"]
        api.ok("POST", f"/automations/{rule['id']}/runs", owner, {}, status=202)
        capsys.readouterr()
        _work_all(app, aws["runs"], LambdaContext("worker", memory_size=512))
    lines = _lines(capsys.readouterr().out)
    [failed] = _emf(lines, "ActionsFailed")
    assert failed["action_type"] == "webhook"
    [ended] = _emf(lines, "RunsEnded")
    assert ended["status"] == "failed" and "RunDuration" in ended
    line = next(doc for doc in lines if doc.get("message") == "run ended")
    assert line["level"] == "WARNING" and "unknown agent backend" in line["reason"]


def test_events_are_counted_once_per_call(api, owner, capsys):
    api.ok("POST", "/automations", owner, rule_body(triggers=[{"type": "event", "expect": ["deploy.*"]}]),
           status=201)
    capsys.readouterr()
    api.ok("POST", "/events", owner, [{"id": "e1", "event": "deploy.done", "resource": {"id": "svc"}},
                                      {"id": "e2", "event": "other.thing", "resource": {"id": "svc"}},
                                      {"id": "e1", "event": "deploy.done", "resource": {"id": "svc"}}], status=202)
    lines = _lines(capsys.readouterr().out)
    [doc] = _emf(lines, "EventsIngested")
    assert tuple(_value(doc, n) for n in ("EventsIngested", "EventsMatched", "EventsDuplicate")) == (2, 1, 1)
    assert {d["event_id"] for d in lines if d.get("message") == "event ingested"} == {"e1", "e2"}


def test_the_scheduler_tick_and_its_fan_out_report_what_they_did(api, owner, aws, capsys):
    import app
    from chalicelib.clock import utcnow
    from devstack.engine import scheduled_event
    api.ok("POST", "/automations", owner, rule_body(triggers=[{"type": "schedule", "mode": "hourly"}]), status=201)
    capsys.readouterr()
    next_hour = (utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)  # after the rule was made
    jobs = app.scheduler_tick(scheduled_event(next_hour, "scheduler_tick"),
                              LambdaContext("scheduler_tick", memory_size=128))["jobs"]
    while (batch := _sqs_event(aws["fanout"]))["Records"]:
        assert app.fan_out(batch, LambdaContext("fan_out", memory_size=128)) == {"batchItemFailures": []}
        sqs().delete_message_batch(QueueUrl=aws["fanout"], Entries=[
            {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(batch["Records"])])
    lines = _lines(capsys.readouterr().out)
    [tick] = _emf(lines, "TicksCompleted")
    assert _value(tick, "FanOutJobs") == jobs > 0 and _value(tick, "TickDuration") >= 0
    assert _value(tick, "TicksCaughtUp") == 0
    assert sum(_value(doc, "RulesDispatched") for doc in _emf(lines, "RulesDispatched")) == 1


def test_no_secret_reaches_a_json_line(api, owner, aws, capsys, caplog):
    """A secret's value, the API key and a trigger token: none is in any line,
    even at DEBUG (the AWS SDK's request dumps stay off)."""
    caplog.set_level(logging.DEBUG)
    import app
    with outbound(allow_loopback=True):
        api.ok("PUT", "/secrets/hook", owner, {"value": SECRET_WEBHOOK}, status=201)
        created = api.ok("POST", "/automations", owner, rule_body(actions=[
            {"type": "slack", "webhook_url_secret": "hook", "on": ["succeeded", "partial", "failed"]}]), status=201)
        token = created["api_trigger"]["token"]
        api.call("POST", created["api_trigger"]["url"].replace("http://testserver", ""), token, {"text": "x"})
        _work_all(app, aws["runs"], LambdaContext("worker", memory_size=512))  # the run, then its slack send
    out = capsys.readouterr().out
    lines = _lines(out)
    assert any(doc.get("message") == "run ended" for doc in lines)  # the run's story was logged
    for secret in (SECRET_WEBHOOK, "very-secret-part", token[-40:], owner[-40:]):
        assert secret not in out and secret not in caplog.text


def test_the_local_stacks_text_lines_show_the_ids():
    formatter = logs.TextFormatter()
    formatter.thread_safe_append_keys(run_id="run_1", function="worker", cold_start=True)
    try:
        record = logging.LogRecord("chalicelib.x", logging.INFO, "f", 1, "run %s", ("ended",), None)
        record.status = "succeeded"
        line = formatter.format(record)
    finally:
        formatter.thread_safe_clear_keys()
    assert line.endswith("INFO  chalicelib.x: run ended  [run_id=run_1 function=worker status=succeeded]")


def test_metrics_can_be_turned_off(capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    metrics.emit({"RunsStarted": ("Count", 1)})
    assert capsys.readouterr().out == ""
