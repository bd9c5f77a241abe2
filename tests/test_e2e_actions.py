"""The control actions and queued sends end to end through the real local
stack (`python -m devstack`, as `make run` starts it), driven over HTTP. The
agent backend is an OpenAI-compatible stand-in on 127.0.0.1 that fails a task
that says FAIL-ME, keeps one that says HANG-ME waiting, and answers the rest."""
import json
import threading
import time

import pytest
import requests

from tests.servers import serve
from tests.signatures import verify, verify_legacy
from tests.test_e2e_stack import Stack, _wait_for, _wait_for_end

RELEASE = threading.Event()


def _model(method, path, body):
    prompt = json.loads(body)["messages"][1]["content"] if body else ""
    if "FAIL-ME" in prompt:
        return 400, {"error": {"message": "this task is refused", "type": "invalid_request_error"}}
    if "HANG-ME" in prompt:
        RELEASE.wait(60)
    return 200, {"choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": "All good."}}],
                 "usage": {"total_tokens": 10}}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with serve(_model) as model:
        running = Stack(tmp_path_factory.mktemp("stack"), AGENT_BACKEND="openai", OPENAI_BASE_URL=f"{model}/v1",
                        ACTION_HTTP_TIMEOUT="30", ACTION_RETRY_BASE_SECONDS="1")
        info = running.start()
        try:
            yield info["api_url"], {"Authorization": f"Bearer {info['api_key']}"}
        finally:
            RELEASE.set()
            assert running.stop() == 0
            log = running.log.read_text()
            assert "Traceback" not in log, log[-3000:]


def _create(url, key, **body):
    body = {"team_id": 0, "task_prompt": "Check things.", "triggers": [{"type": "api"}], **body}
    created = requests.post(f"{url}/automations", headers=key, json=body, timeout=10)
    assert created.status_code == 201, created.text
    return created.json()


def _trigger(created, text=""):
    api = created["api_trigger"]
    fired = requests.post(api["url"], headers={"Authorization": f"Bearer {api['token']}"}, json={"text": text},
                          timeout=10)
    assert fired.status_code == 202, fired.text
    return fired.json()


def _get(url, key, path):
    return requests.get(f"{url}{path}", headers=key, timeout=10).json()


def test_post_events_answers_at_once_while_a_receiver_takes_20_seconds(stack):
    url, key = stack
    seen = []

    def slow(method, path, body):
        time.sleep(20)
        return 200

    with serve(slow, record=seen) as hook:
        created = _create(url, key, name="page on incidents", triggers=[{"type": "event", "expect": ["incident.*"]}],
                          actions=[{"type": "webhook", "url": f"{hook}/slow", "on": ["triggered"]}])
        _create(url, key, name="warm-up", triggers=[{"type": "event", "expect": ["warmup.*"]}])
        # a first event through the same path: the API process makes its SQS client once (a cold start)
        requests.post(f"{url}/events", headers=key, timeout=30, json={"event": "warmup.x", "resource": {"id": "w"}})
        start = time.monotonic()
        answer = requests.post(f"{url}/events", headers=key, timeout=30, json={
            "id": "inc-slow-1", "event": "incident.triggered", "resource": {"id": "db-1"}})
        took = time.monotonic() - start
        assert answer.status_code == 202 and took < 1.0, (answer.text, took)
        [run_id] = answer.json()["runs"]
        assert [a["status"] for a in _get(url, key, f"/runs/{run_id}")["run"]["actions"]] in (["queued"], ["sent"])
        sent = _wait_for(lambda: [a for a in _get(url, key, f"/runs/{run_id}")["run"]["actions"]
                                  if a["outcome"] == "triggered" and a["status"] == "sent"], seconds=60)
    assert sent, _get(url, key, f"/runs/{run_id}")["run"]["actions"]
    [request] = seen
    assert json.loads(request["body"])["id"] == "inc-slow-1"
    # the receiver checks the signature with the secret shown when the webhook was added (the package's
    # tolerance is 5 minutes; the send was about 20 seconds ago), and the legacy header as before
    secret = created["webhook_signing"]["secret"]
    assert verify(secret, request["body"], request["headers"])
    assert request["headers"]["webhook-id"] == request["headers"]["Idempotency-Key"]
    assert verify_legacy(secret, request["headers"]["X-Automation-Signature"], request["body"])


def test_an_event_cancels_a_running_run(stack):
    url, key = stack
    long_job = _create(url, key, name="long job", task_prompt="HANG-ME: take your time.")
    _create(url, key, name="stop runs", triggers=[{"type": "event", "expect": ["ops.stop"]}],
            actions=[{"type": "cancel_run", "on": ["triggered"], "run_id": "{event.resource.id}",
                      "reason": "{event.payload.why}"}])
    fired = _trigger(long_job)
    assert _wait_for(lambda: _get(url, key, f"/runs/{fired['run_id']}")["run"]["status"] == "running", 20)
    answer = requests.post(f"{url}/events", headers=key, timeout=10, json={
        "event": "ops.stop", "resource": {"id": fired["run_id"]}, "payload": {"why": "change freeze"}})
    assert answer.status_code == 202
    run = _wait_for_end(fired["status_url"], key)
    assert run["status"] == "failed" and run["reason"] == "cancelled by automation stop runs: change freeze", run


def test_a_failed_run_pauses_its_neighbour_and_a_later_event_resumes_it(stack):
    url, key = stack
    neighbour = _create(url, key, name="deploy checks", triggers=[
        {"type": "schedule", "mode": "hourly"}, {"type": "api"}])["automation"]
    breaker = _create(url, key, name="canary", task_prompt="FAIL-ME", actions=[
        {"type": "pause_automation", "automation_id": neighbour["id"], "on": ["failed"],
         "reason": "canary failed: {run.reason}"}])
    _create(url, key, name="all clear", triggers=[{"type": "event", "expect": ["ops.clear"]}], actions=[
        {"type": "resume_automation", "automation_id": neighbour["id"], "on": ["triggered"]}])
    fired = _trigger(breaker)
    assert _wait_for_end(fired["status_url"], key)["status"] == "failed"
    paused = _wait_for(lambda: (lambda a: a if not a["enabled"] else None)(
        _get(url, key, f"/automations/{neighbour['id']}")["automation"]), 20)
    assert paused, "the neighbour was never paused"
    assert paused["paused"]["by"] == {"kind": "automation", "id": breaker["automation"]["id"], "name": "canary"}
    assert paused["paused"]["run_id"] == fired["run_id"] and "HTTP 400" in paused["paused"]["reason"]
    refused = requests.post(f"{url}/automations/{neighbour['id']}/runs", headers=key, json={}, timeout=10)
    assert refused.status_code == 409  # paused means no runs
    requests.post(f"{url}/events", headers=key, timeout=10, json={"event": "ops.clear", "resource": {"id": "prod"}})
    resumed = _wait_for(lambda: (lambda a: a if a["enabled"] else None)(
        _get(url, key, f"/automations/{neighbour['id']}")["automation"]), 20)
    assert resumed and resumed["paused"] is None


def test_run_automation_starts_a_run_with_context(stack):
    url, key = stack
    target = _create(url, key, name="write the postmortem")["automation"]
    source = _create(url, key, name="incident review", actions=[
        {"type": "run_automation", "automation_id": target["id"], "on": ["succeeded"],
         "text": "Follow up on run {run.id} of {automation.name}"}])
    fired = _trigger(source, "prod is slow")
    assert _wait_for_end(fired["status_url"], key)["status"] == "succeeded"
    started = _wait_for(lambda: _get(url, key, f"/automations/{target['id']}/runs")["runs"], 20)
    assert started, "no run of the target was started"
    run = _wait_for_end(started[0]["status_url"], key)
    assert run["trigger"] == "automation" and run["status"] == "succeeded"
    assert run["context"]["text"] == f"Follow up on run {fired['run_id']} of incident review"
    assert run["context"]["started_by"]["run_id"] == fired["run_id"]
    session = _get(url, key, f"/sessions/{run['session_id']}")["session"]
    assert [m["role"] for m in session["messages"]] == ["system", "user", "assistant"]
    assert f"run {fired['run_id']}" in session["messages"][1]["content"]
