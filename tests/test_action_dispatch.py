"""Actions fired by run outcomes and by event triggers, end to end in-process:
each send is a runs-queue message that the worker (worked here as Lambda
would) sends; the services are local HTTP servers, secrets live in moto."""
import base64
import json
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib import settings, worker
from chalicelib.clock import parse_iso, utcnow
from chalicelib.store import repos
from tests.conftest import NOW, rule_body, work_queue
from tests.servers import serve
from tests.signatures import Receiver, verify_legacy

pytestmark = pytest.mark.usefixtures("loopback")  # the stand-in services listen on 127.0.0.1






def agent(**changes):
    """The agent settings now, with some changed."""
    return replace(settings.current().agent, **changes)


def _run_manually(api, key, rule_id, aws):
    run = api.ok("POST", f"/automations/{rule_id}/runs", key, {}, status=202)["run"]
    worker.process({"run_id": run["id"], "automation_id": rule_id, "trigger": "manual"}, NOW)
    return run["id"]


def _run(api, key, run_id):
    return api.ok("GET", f"/runs/{run_id}", key)["run"]


def test_a_failed_run_queues_its_webhook_and_the_worker_sends_it_signed(api, owner, aws, override):
    override(agent=agent(backend="nope"))  # the run fails
    seen = []
    with serve(lambda *_: 204, record=seen) as url:
        created = api.ok("POST", "/automations", owner, rule_body(actions=[
            {"type": "webhook", "url": f"{url}/hook", "on": ["failed"]}]), status=201)
        rule, signing = created["automation"], created["webhook_signing"]
        run_id = _run_manually(api, owner, rule["id"], aws)
        queued = _run(api, owner, run_id)
        assert queued["status"] == "failed" and seen == []  # nothing sent yet: only queued
        assert [(a["type"], a["status"]) for a in queued["actions"]] == [("webhook", "queued")]
        work_queue(aws["runs"], clock=lambda: NOW)
    run = _run(api, owner, run_id)
    [request] = seen
    body = json.loads(request["body"])
    assert request["path"] == "/hook" and body["event"] == "automation.run.failed"
    assert body["related"] == [{"id": run_id, "kind": "run"}]
    assert request["headers"]["Idempotency-Key"] == f"{run_id}:failed:0"
    assert request["headers"]["X-Automation-Event-Id"] == body["id"]
    assert verify_legacy(signing["secret"], request["headers"]["X-Automation-Signature"], request["body"],
                         NOW.timestamp())
    assert request["headers"]["webhook-id"] == f"{run_id}:failed:0"
    assert Receiver(signing["secret"], now=NOW).accepts(request["body"], request["headers"])
    [result] = run["actions"]
    assert (result["type"], result["status"], result["code"], result["attempts"]) == ("webhook", "sent", 204, 1)
    # the secret is shown once: never in the automation's JSON, which has its hint
    again = api.ok("GET", f"/automations/{rule['id']}", owner)["automation"]
    assert signing["secret"] not in json.dumps(again) and again["webhook_signing"]["secret_hint"] == \
        "…" + signing["secret"][-4:]


def test_rotating_the_signing_secret_keeps_the_old_one_signing_for_24_hours(api, owner, aws, override):
    override(agent=agent(backend="nope"))  # each run fails, and fires its webhooks
    rule = api.ok("POST", "/automations", owner, rule_body(), status=201)
    assert "webhook_signing" not in rule  # no webhook, no secret
    rule_id = rule["automation"]["id"]
    with Receiver().running() as old_side, Receiver().running() as new_side:
        patched = api.ok("PATCH", f"/automations/{rule_id}", owner, {"actions": [
            {"type": "webhook", "url": f"{old_side.url}/hook", "on": ["failed"]},
            {"type": "webhook", "url": f"{new_side.url}/hook", "on": ["failed"]}]})
        old = patched["webhook_signing"]["secret"]  # the PATCH that added the first webhook shows it
        assert old.startswith("whsec_") and len(base64.b64decode(old[len("whsec_"):])) == 32
        assert patched["webhook_signing"]["previous_valid_until"] is None
        assert "webhook_signing" not in api.ok("PATCH", f"/automations/{rule_id}", owner, {"name": "renamed"})
        before = utcnow().replace(microsecond=0)  # the answer is to the second
        rotated = api.ok("POST", f"/automations/{rule_id}/webhook-secret/rotate", owner)["webhook_signing"]
        new, until = rotated["secret"], parse_iso(rotated["previous_valid_until"])
        assert new != old and new.startswith("whsec_")
        assert before + timedelta(hours=24) <= until <= utcnow() + timedelta(hours=24)
        shown = api.ok("GET", f"/automations/{rule_id}", owner)["automation"]
        assert old not in json.dumps(shown) and new not in json.dumps(shown)  # reads never show a secret
        assert shown["webhook_signing"]["previous_valid_until"] == rotated["previous_valid_until"]
        old_side.secret, new_side.secret = old, new  # one receiver not yet moved to the new secret, one moved

        during = until - timedelta(minutes=1)  # the sends pass their `now` in, and the receivers judge by it
        old_side.now = new_side.now = during
        run_id = _run_manually(api, owner, rule_id, aws)
        work_queue(aws["runs"], clock=lambda: during)
        assert [a["status"] for a in _run(api, owner, run_id)["actions"]] == ["sent", "sent"]
        for receiver in (old_side, new_side):  # both verified: each found its own signature
            [request] = receiver.seen
            assert request["verified"] and len(request["headers"]["webhook-signature"].split(" ")) == 2
            # the legacy header is signed with the current secret only, as before
            assert verify_legacy(new, request["headers"]["X-Automation-Signature"], request["body"],
                                 during.timestamp())
            assert not verify_legacy(old, request["headers"]["X-Automation-Signature"], request["body"],
                                     during.timestamp())

        after = until + timedelta(seconds=1)
        old_side.now = new_side.now = after
        run_id = _run_manually(api, owner, rule_id, aws)
        work_queue(aws["runs"], clock=lambda: after)
    assert [a["status"] for a in _run(api, owner, run_id)["actions"]] == ["failed", "sent"]
    late_old, late_new = old_side.seen[-1], new_side.seen[-1]
    assert not late_old["verified"] and late_new["verified"]  # only the new secret signs now
    assert len(late_new["headers"]["webhook-signature"].split(" ")) == 1


def test_a_retry_of_a_send_carries_the_same_webhook_id(api, owner, aws, override):
    override(agent=agent(backend="nope"))
    override(action_retry_base_seconds=0)
    receiver = Receiver(now=NOW)
    refusals = iter([(503, "busy")])

    def answer(*request):
        verified = receiver.answer(*request)
        return next(refusals, verified)  # the first attempt verifies, then is refused for now

    with serve(answer, with_headers=True) as url:
        created = api.ok("POST", "/automations", owner, rule_body(actions=[
            {"type": "webhook", "url": f"{url}/hook", "on": ["failed"], "retries": 2}]), status=201)
        receiver.secret = created["webhook_signing"]["secret"]
        run_id = _run_manually(api, owner, created["automation"]["id"], aws)
        times = iter([NOW, NOW + timedelta(seconds=30)])  # the retry is a later attempt
        work_queue(aws["runs"], clock=lambda: next(times, NOW + timedelta(seconds=30)))
    first, second = receiver.seen
    assert first["verified"] and second["verified"]
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == f"{run_id}:failed:0"
    assert first["headers"]["webhook-id"] == first["headers"]["Idempotency-Key"]
    assert (int(first["headers"]["webhook-timestamp"]), int(second["headers"]["webhook-timestamp"])) == \
        (int(NOW.timestamp()), int(NOW.timestamp()) + 30)  # each attempt has its own time
    assert repos.runs.get(run_id).action_results["failed:0"]["status"] == "sent"


def test_actions_only_fire_for_their_outcomes(api, owner, aws):
    seen = []
    with serve(lambda *_: 200, record=seen) as url:
        rule = api.ok("POST", "/automations", owner, rule_body(task_prompt="No URLs.", actions=[
            {"type": "webhook", "url": f"{url}/on-failure", "on": ["failed"]},
            {"type": "webhook", "url": f"{url}/on-success", "on": ["succeeded", "partial"]}]),
            status=201)["automation"]
        run_id = _run_manually(api, owner, rule["id"], aws)
        work_queue(aws["runs"])
    assert _run(api, owner, run_id)["status"] == "succeeded" and [r["path"] for r in seen] == ["/on-success"]


def test_a_failing_slack_action_turns_the_succeeded_run_partial_after_the_fact(api, owner, aws):
    seen = []
    with serve(lambda *_: (404, "no_team"), record=seen) as url, serve(lambda *_: 200) as partial_hook:
        assert api.call("PUT", "/secrets/slack-oncall", owner, {"value": f"{url}/services/T/B/X"})[0] == 201
        rule = api.ok("POST", "/automations", owner, rule_body(task_prompt="No URLs.", actions=[
            {"type": "slack", "webhook_url_secret": "slack-oncall", "on": ["succeeded"],
             "message": "Run {run.id} of {automation.name}: {run.status}"},
            {"type": "webhook", "url": f"{partial_hook}/p", "on": ["partial"]}]), status=201)["automation"]
        run_id = _run_manually(api, owner, rule["id"], aws)
        assert _run(api, owner, run_id)["status"] == "succeeded"
        work_queue(aws["runs"], clock=lambda: NOW + timedelta(seconds=5))  # the sends go out a little later
        run = _run(api, owner, run_id)
    assert json.loads(seen[0]["body"])["text"] == f"Run {run_id} of {rule['name']}: succeeded"
    assert run["status"] == "partial" and run["reason"].startswith("1 of 1 action(s) failed: slack")
    by_outcome = {a["outcome"]: a["status"] for a in run["actions"]}
    assert by_outcome == {"succeeded": "failed", "partial": "sent"}  # the partial action fired too
    events = [e["event"] for e in api.ok("GET", f"/events?resource_id={rule['id']}", owner)["events"]]
    # every status the run entered, newest first: the succeeded event, then the partial one it turned into
    assert events == ["automation.run.partial", "automation.run.succeeded", "automation.run.running"]


def test_a_transient_failure_is_retried_through_the_queue(api, owner, aws, override):
    override(agent=agent(backend="nope"))
    override(action_retry_base_seconds=0)  # no backoff to wait for in a test
    answers = iter([(503, "busy"), 200])
    seen = []
    with serve(lambda *_: next(answers), record=seen) as url:
        rule = api.ok("POST", "/automations", owner, rule_body(actions=[
            {"type": "webhook", "url": f"{url}/hook", "on": ["failed"], "retries": 2}]), status=201)["automation"]
        run_id = _run_manually(api, owner, rule["id"], aws)
        handled = work_queue(aws["runs"])
    assert [m["attempt"] for m in handled if m.get("kind") == "action"] == [1, 2]
    assert len(seen) == 2 and seen[0]["headers"]["Idempotency-Key"] == seen[1]["headers"]["Idempotency-Key"]
    result = repos.runs.get(run_id).action_results["failed:0"]
    assert result["status"] == "sent" and result["attempts"] == 2
    assert repos.runs.get(run_id).status == "failed"  # the run's own outcome is untouched


def test_twilio_results_per_number_across_a_retry(api, owner, aws, override):
    from urllib.parse import parse_qs
    override(action_retry_base_seconds=0)
    first_try = {"+15550000003": True}

    def twilio(method, path, body):
        to = parse_qs(body.decode())["To"][0]
        if to == "+15550000002":
            return 400, {"code": 21211, "message": "invalid To"}
        if to == "+15550000003" and first_try.pop(to, False):
            return 503, "busy"
        return 201, {"sid": "SM1"}

    seen = []
    with serve(twilio, record=seen) as url:
        override(twilio_api_base=url)
        api.call("PUT", "/secrets/twilio", owner, {"value": "tok"})
        rule = api.ok("POST", "/automations", owner, rule_body(task_prompt="No URLs.", actions=[
            {"type": "twilio", "account_sid": "AC" + "0" * 32, "auth_token_secret": "twilio", "on": ["succeeded"],
             "from_number": "+15557654321", "phone_numbers": ["+15550000001", "+15550000002", "+15550000003"]}]),
            status=201)["automation"]
        run_id = _run_manually(api, owner, rule["id"], aws)
        work_queue(aws["runs"])
    assert [parse_qs(r["body"].decode())["To"][0] for r in seen] == \
        ["+15550000001", "+15550000002", "+15550000003", "+15550000003"]
    run = _run(api, owner, run_id)
    [result] = [a for a in run["actions"] if a["outcome"] == "succeeded"]
    assert {d["to"]: d["status"] for d in result["deliveries"]} == \
        {"+15550000001": "sent", "+15550000002": "failed", "+15550000003": "sent"}
    assert result["status"] == "failed" and "+15550000002" in result["error"] and run["status"] == "partial"


def test_event_triggered_actions_are_queued_with_the_run_and_sent_by_the_worker(api, owner, aws):
    seen = []
    with serve(lambda *_: 200, record=seen) as url:
        rule = api.ok("POST", "/automations", owner, rule_body(triggers=[
            {"type": "event", "expect": ["incident.*"], "match": {"resource.severity": "critical"}}], actions=[
            {"type": "webhook", "url": f"{url}/pager", "on": ["triggered"]}]), status=201)["automation"]
        answer = api.ok("POST", "/events", owner, {"id": "inc-9", "event": "incident.triggered",
                                                   "resource": {"id": "db-1", "severity": "critical"}}, status=202)
        [run_id] = answer["runs"]
        assert seen == [] and [a["status"] for a in _run(api, owner, run_id)["actions"]] == ["queued"]
        work_queue(aws["runs"])
    [request] = seen
    assert json.loads(request["body"])["id"] == "inc-9"
    triggered = [a for a in _run(api, owner, run_id)["actions"] if a["outcome"] == "triggered"]
    assert [a["status"] for a in triggered] == ["sent"]
    code, data = api.call("POST", "/automations", owner, rule_body(actions=[
        {"type": "webhook", "url": f"{url}/x", "on": ["triggered"]}]))
    assert code == 400 and "triggered" in data["Message"]
    assert rule["actions"][0]["on"] == ["triggered"]


def test_post_events_returns_at_once_while_the_receiver_is_slow(api, owner, aws):
    """The API request only queues: a receiver that takes 3 s does not slow it."""
    seen = []
    with serve(lambda *_: time.sleep(3) or 200, record=seen) as url:
        api.ok("POST", "/automations", owner, rule_body(triggers=[{"type": "event", "expect": ["deploy.*"]}], actions=[
            {"type": "webhook", "url": f"{url}/slow", "on": ["triggered"]} for _ in range(3)]), status=201)
        start = time.monotonic()
        api.ok("POST", "/events", owner, {"event": "deploy.finished", "resource": {"id": "svc"}}, status=202)
        assert time.monotonic() - start < 1.5 and seen == []
        start = time.monotonic()
        work_queue(aws["runs"])
        assert time.monotonic() - start < 7  # the three slow sends go out side by side, not one after another
    assert len(seen) == 3


def test_the_cancel_route_only_queues_the_actions_of_the_cancelled_run(api, owner, aws):
    seen = []
    with serve(lambda *_: time.sleep(3) or 200, record=seen) as url:
        rule = api.ok("POST", "/automations", owner, rule_body(actions=[
            {"type": "webhook", "url": f"{url}/failed", "on": ["failed"]}]), status=201)["automation"]
        run = api.ok("POST", f"/automations/{rule['id']}/runs", owner, {}, status=202)["run"]
        start = time.monotonic()
        cancelled = api.ok("POST", f"/runs/{run['id']}/cancel", owner)["run"]
        assert time.monotonic() - start < 1.5 and seen == []
        assert cancelled["status"] == "failed" and [a["status"] for a in cancelled["actions"]] == ["queued"]
        work_queue(aws["runs"])
    assert len(seen) == 1 and json.loads(seen[0]["body"])["payload"]["reason"] == "cancelled"


def test_a_send_that_cannot_be_queued_is_recorded_failed(api, owner, aws, monkeypatch):
    rule = api.ok("POST", "/automations", owner, rule_body(task_prompt="No URLs.", actions=[
        {"type": "webhook", "url": "https://hooks.example.com/x", "on": ["succeeded"]}]), status=201)["automation"]
    monkeypatch.setattr(repos.queues, "send_batch", lambda *_: (_ for _ in ()).throw(ConnectionError("sqs down")))
    run_id = _run_manually(api, owner, rule["id"], aws)
    [result] = _run(api, owner, run_id)["actions"]
    assert result["status"] == "failed" and "could not be queued" in result["error"]


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


def test_reserved_event_names_cannot_be_sent_in(api, owner):
    answer = api.ok("POST", "/events", owner, [{"event": "automation.run.failed", "resource": {"id": "aut_x"}},
                                               {"event": "deploy.done", "resource": {"id": "svc"}}], status=202)
    assert len(answer["accepted"]) == 1 and "reserved" in answer["rejected"][0]["reason"]
