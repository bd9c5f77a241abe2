"""Where runs execute: Auto, the Cloud Sandbox and runner pools; runner claims
and their races; leases lost and runs returned; the runner token's scope;
session batches; the sandbox function against the real routes."""
import json
import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from app import app
from bench.aws_calls import CallMeter
from chalicelib import settings, worker
from chalicelib.clock import utcnow
from chalicelib.environments import claims, leases, sandbox
from chalicelib.runs import lifecycle
from chalicelib.store import repos
from tests.conftest import rule_body, sqs, work_queue
from tests.servers import serve, slow


def _runner(api, owner, **body):
    data = api.ok("POST", "/runners", owner, {"name": "box", "team_id": 0, **body}, status=201)
    return data["runner"], data["token"]


def _rule(api, key, environment, **over):
    body = rule_body(task_prompt="Summarise the recent runs.", environment=environment, overlap="allow", **over)
    return api.ok("POST", "/automations", key, body, status=201)["automation"]


def _place(api, key, rule, now=None):
    """A manual run, handed to the worker: returns the run's JSON after placement."""
    run = api.ok("POST", f"/automations/{rule['id']}/runs", key, {"text": "go"}, status=202)["run"]
    worker.process({"run_id": run["id"], "automation_id": rule["id"], "trigger": "manual"}, now or utcnow())
    return api.ok("GET", f"/runs/{run['id']}", key)["run"]


def _claim(api, runner, token):
    return api.ok("POST", f"/runners/{runner['id']}/claim", token, {"wait": 0})["run"]


def _beat(api, runner, token):
    api.ok("POST", f"/runners/{runner['id']}/heartbeat", token, {})


def _lease(work):
    return work["lease"]["token"]


def _headers(run_id, attempts):
    """The header items of a run's sessions (one session per attempt)."""
    return [item for attempt in range(1, attempts + 1)
            for item in repos.sessions.items(f"ses_{run_id.removeprefix('run_')}_{attempt}")
            if item.kind == "header"]


def test_a_runner_rule_waits_for_its_pool_then_a_runner_claims_and_reports(api, owner):
    runner, token = _runner(api, owner, pool="lab")
    rule = _rule(api, owner, {"type": "runner", "runner_id": runner["id"]})
    run = _place(api, owner, rule)
    assert run["status"] == "queued" and run["environment"] == {"type": "runner", "pool": "lab"}
    assert "Waiting for a runner of pool 'lab': none is healthy now" in run["reason"]
    assert repos.runs.get(run["id"]).pool == "lab"  # what the lost-message sweeper tells apart

    work = _claim(api, runner, token)
    assert work["run_id"] == run["id"] and work["attempt"] == 1 and "go" in work["prompt"]
    assert set(work) == {"run_id", "session_id", "attempt", "automation", "prompt", "context", "recent_runs",
                         "environment", "first_seq", "lease", "template_id", "locale", "tools",
                         "knowledge"}  # no rule, no secret
    assert {spec["name"] for spec in work["tools"]} >= {"query_alerts", "incident_timeline", "oncall_load"}
    assert _claim(api, runner, token) is None  # nothing else waits
    running = api.ok("GET", f"/runs/{run['id']}", owner)["run"]
    assert running["status"] == "running" and running["environment"] == {
        "type": "runner", "pool": "lab", "runner_id": runner["id"], "runner_name": "box"}
    assert api.ok("GET", "/runners", owner)["runners"][0]["last_heartbeat"]  # the claim was its heartbeat

    lease = _lease(work)
    items = [{"seq": 1, "kind": "message", "data": json.dumps({"role": "user", "content": work["prompt"],
                                                               "at": "2026-12-01T10:00:00Z"})}]
    assert api.ok("POST", f"/runs/{run['id']}/session", lease, {"items": items})["written"] == 1
    assert api.ok("POST", f"/runs/{run['id']}/lease", lease)["lease_expires_at"]
    assert api.ok("POST", f"/runs/{run['id']}/outcome", lease, {"status": "succeeded"})["status"] == "succeeded"
    done = api.ok("GET", f"/runs/{run['id']}", owner)["run"]
    assert done["status"] == "succeeded" and done["environment"]["runner_id"] == runner["id"]
    session = api.ok("GET", f"/sessions/{done['session_id']}", owner)["session"]
    assert session["environment"]["runner_name"] == "box" and session["messages"][0]["content"] == work["prompt"]
    # the lease is spent: the environment is told to stop
    assert api.call("POST", f"/runs/{run['id']}/lease", lease)[0] == 409
    assert api.call("POST", f"/runs/{run['id']}/outcome", lease, {"status": "failed", "reason": "x"})[0] == 409


def test_auto_picks_a_team_runner_before_a_global_one_and_the_sandbox_when_none_is_up(api, people):
    owner, alice = people["owner"]["key"], people["alice"]["key"]
    global_runner, global_token = _runner(api, owner, pool="shared")
    team_runner, team_token = _runner(api, owner, name="red box", team_id=people["red"], pool="red")
    team_rule = _rule(api, alice, {"type": "auto"}, team_id=people["red"])
    personal_rule = _rule(api, alice, {"type": "auto"})

    assert _place(api, alice, team_rule)["environment"] == {"type": "cloud_sandbox"}  # nobody is up
    _beat(api, global_runner, global_token)
    assert _place(api, alice, team_rule)["environment"] == {"type": "runner", "pool": "shared"}
    _beat(api, team_runner, team_token)
    placed = _place(api, alice, team_rule)
    assert placed["environment"] == {"type": "runner", "pool": "red"}
    assert _place(api, alice, personal_rule)["environment"] == {"type": "runner", "pool": "shared"}
    assert _claim(api, team_runner, team_token)["run_id"] == placed["id"]
    # a runner that says it is stopping is no longer picked
    api.ok("POST", f"/runners/{team_runner['id']}/heartbeat", team_token, {"state": "offline"})
    api.ok("POST", f"/runners/{global_runner['id']}/heartbeat", global_token, {"state": "offline"})
    assert _place(api, alice, team_rule)["environment"] == {"type": "cloud_sandbox"}


def test_a_team_runner_never_claims_another_scopes_run(api, people):
    owner = people["owner"]["key"]
    red_runner, red_token = _runner(api, owner, team_id=people["red"], pool="p")
    global_runner, global_token = _runner(api, owner, pool="p")
    personal = _rule(api, owner, {"type": "runner", "runner_id": global_runner["id"]})
    run = _place(api, owner, personal)
    assert _claim(api, red_runner, red_token) is None  # a personal rule is served by global runners only
    assert _claim(api, global_runner, global_token)["run_id"] == run["id"]


def test_two_runners_racing_for_one_run_one_gets_it(api, owner):
    runners = [_runner(api, owner, pool="race") for _ in range(4)]
    rule = _rule(api, owner, {"type": "runner", "runner_id": runners[0][0]["id"]})
    run = _place(api, owner, rule)
    records = [repos.runners.by_id(r["id"]) for r, _ in runners]
    start, got = threading.Barrier(len(records)), []

    def race(runner):
        start.wait()
        got.append(claims.claim_once(runner, utcnow()))

    threads = [threading.Thread(target=race, args=(r,)) for r in records]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [w for w in got if w]
    assert len(winners) == 1 and winners[0]["run_id"] == run["id"]
    assert repos.runs.get(run["id"]).attempt == 1
    assert len(_headers(run["id"], len(records))) == 1


@pytest.fixture
def two_attempts(aws):
    with settings.override(max_attempts=2):
        yield


def test_a_lost_runner_returns_the_run_then_it_ends_failed_saying_so(api, owner, aws, two_attempts):
    runner, token = _runner(api, owner, name="flaky", pool="lab")
    rule = _rule(api, owner, {"type": "runner", "runner_id": runner["id"]})
    run = _place(api, owner, rule)
    work = _claim(api, runner, token)
    now = utcnow()
    assert leases.expire_lost(now) == []  # the lease is fresh
    later = now + timedelta(seconds=lifecycle.lease_seconds() + 1)
    assert leases.expire_lost(later) == [run["id"]]
    back = api.ok("GET", f"/runs/{run['id']}", owner)["run"]
    assert back["status"] == "queued" and back["attempt"] == 1 and back["environment"] is None
    assert back["reason"].startswith(f"The runner flaky ({runner['id']}) was lost mid-run: its lease expired")
    assert "back in the queue for attempt 2 of 2" in back["reason"]
    assert api.call("POST", f"/runs/{run['id']}/session", _lease(work), {"items": []})[0] == 409  # told to stop
    message = json.loads(sqs().receive_message(QueueUrl=aws["runs"])["Messages"][0]["Body"])
    worker.process(message, later)  # the message sent back: placed on the pool again
    second = _claim(api, runner, token)
    assert second["attempt"] == 2 and second["session_id"].endswith("_2")
    assert api.call("POST", f"/runs/{run['id']}/lease", _lease(work))[0] == 401  # the first lease is gone
    much_later = utcnow() + timedelta(seconds=lifecycle.lease_seconds() + 1)
    assert leases.expire_lost(much_later) == [run["id"]]
    failed = api.ok("GET", f"/runs/{run['id']}", owner)["run"]
    assert failed["status"] == "failed" and "runner flaky" in failed["reason"]
    assert "was lost mid-run" in failed["reason"]
    assert failed["reason"].endswith("gave up after 2 attempt(s).")


@pytest.fixture
def ten_minute_runner_queue(aws):
    with settings.override(runner_queue_seconds=600):
        yield


def test_runs_for_a_pool_with_no_healthy_runner_wait_then_fail_with_a_clear_reason(api, owner,
                                                                                    ten_minute_runner_queue):
    runner, _ = _runner(api, owner, pool="gone")
    rule = _rule(api, owner, {"type": "runner", "runner_id": runner["id"]})
    run = _place(api, owner, rule)
    now = utcnow()
    assert claims.expire_waiting(now + timedelta(minutes=9)) == []
    assert claims.expire_waiting(now + timedelta(minutes=11)) == [run["id"]]
    failed = api.ok("GET", f"/runs/{run['id']}", owner)["run"]
    assert failed["status"] == "failed"
    assert failed["reason"].startswith("No runner of pool 'gone' took this run within 10 minutes (0 of its runners")


def _public_routes(doc: dict) -> set:
    """(path, METHOD) of the routes that take no credential at all (health, the document, the console's pages)."""
    return {(path, method.upper()) for path, ops in doc["paths"].items() for method, op in ops.items()
            if op.get("security") == []}


def test_the_runner_token_is_refused_on_every_route_but_its_own(api, owner):
    runner, token = _runner(api, owner, pool="p")
    other, other_token = _runner(api, owner, pool="p")
    rule = _rule(api, owner, {"type": "runner", "runner_id": runner["id"]})
    run = _place(api, owner, rule)
    own = {("POST", f"/runners/{runner['id']}/heartbeat"), ("POST", f"/runners/{runner['id']}/claim")}
    # a real integration: its hooks take its own secret, so a runner's token is a 401 there too
    hook = api.ok("POST", "/integrations", owner, {"type": "alertmanager", "name": "am"}, status=201)["integration"]
    ids = {"runner_id": runner["id"], "run_id": run["id"], "automation_id": rule["id"], "team_id": "1",
           "user_id": "usr_x", "key_id": "k", "session_id": "ses_x", "trigger_id": "trg_x", "name": "s",
           "rule_id": "aut_x", "integration_id": hook["id"], "secret": "s", "source": "events", "fingerprint": "f",
           "incident_id": "i", "mcp_server_id": "mcp_x", "document_id": "kb_x", "agent_id": "agt_x"}
    tried, public = 0, _public_routes(api.call("GET", "/openapi.json")[1])
    for path, methods in app.routes.items():
        for method in methods:
            url = path.format(**ids)
            if (method, url) in own or (path, method) in public:
                continue
            code, body = api.call(method, url, token, {})
            assert code == 401, (method, url, code, body)
            tried += 1
    assert tried > 30
    work = _claim(api, other, other_token)  # the other runner holds the lease now
    for method, url in own:
        assert api.call(method, url, token, {})[0] == 200
        assert api.call(method, url.replace(runner["id"], other["id"]), token, {})[0] == 401
    for path in ("session", "lease", "outcome"):
        assert api.call("POST", f"/runs/{run['id']}/{path}", token, {"items": [], "status": "succeeded"})[0] == 401
    assert work and api.ok("POST", f"/runs/{run['id']}/lease", _lease(work))


def test_a_rotated_runner_token_stops_at_once(api, owner, people):
    runner, token = _runner(api, owner)
    assert api.call("POST", f"/runners/{runner['id']}/token/rotate", people["alice"]["key"])[0] == 403
    new = api.ok("POST", f"/runners/{runner['id']}/token/rotate", owner)["token"]
    assert api.call("POST", f"/runners/{runner['id']}/heartbeat", token, {})[0] == 401
    assert api.call("POST", f"/runners/{runner['id']}/heartbeat", new, {})[0] == 200


def test_session_batches_are_checked_and_written_in_one_call_per_25_items(api, owner):
    runner, token = _runner(api, owner, pool="p")
    rule = _rule(api, owner, {"type": "runner", "runner_id": runner["id"]})
    run = _place(api, owner, rule)
    lease = _lease(_claim(api, runner, token))
    items = [{"seq": i, "kind": "message", "data": json.dumps({"role": "assistant", "content": f"m{i}"}),
              "part": 0, "parts": 1} for i in range(1, 31)]
    with CallMeter() as meter, meter.counting():
        api.ok("POST", f"/runs/{run['id']}/session", lease, {"items": items})
    calls = [operation for (operation, table), n in meter.calls.items() if table == "sessions" for _ in range(n)]
    assert calls.count("BatchWriteItem") == 2 and "PutItem" not in calls
    for bad in ({"seq": 0, "kind": "message", "data": "{}"}, {"seq": 5, "kind": "header", "data": "{}"},
                {"seq": 5, "kind": "message", "data": "x" * 40_000}):
        code, body = api.call("POST", f"/runs/{run['id']}/session", lease, {"items": [bad]})
        assert code == 400, body
    session = api.ok("GET", f"/sessions/{repos.runs.get(run['id']).session_id}", owner)["session"]
    assert [m["content"] for m in session["messages"]] == [f"m{i}" for i in range(1, 31)]
    assert session["run_id"] == run["id"]  # the header is the service's


@pytest.fixture
def sandbox_queue_and_loopback(aws):
    agent = settings.current().agent
    with settings.override(cloud_sandbox="queue",
                           agent=replace(agent, outbound=replace(agent.outbound, allow_loopback=True))):
        yield


def test_the_sandbox_function_works_a_run_through_the_real_routes(api, owner, aws, transport,
                                                                  sandbox_queue_and_loopback):
    """CLOUD_SANDBOX=queue: the worker hands the started run to the sandbox
    queue; the sandbox handler reports over the API with the lease token."""
    hooks = []
    with serve(lambda *_: 200, record=hooks) as hook:
        rule = api.ok("POST", "/automations", owner, rule_body(
            task_prompt="Summarise.", environment={"type": "cloud_sandbox"},
            actions=[{"type": "webhook", "url": f"{hook}/done", "on": ["succeeded"]}]), status=201)["automation"]
        run = _place(api, owner, rule)
        assert run["status"] == "running" and run["environment"] == {"type": "cloud_sandbox"}
        got = sqs().receive_message(QueueUrl=aws["sandbox"])["Messages"]
        assert sandbox.handle([{"messageId": m["MessageId"], "body": m["Body"]} for m in got],
                              http=transport) == {"batchItemFailures": []}
        work_queue(aws["runs"], clock=utcnow)  # the actions the outcome queued, sent by the worker
    done = api.ok("GET", f"/runs/{run['id']}", owner)["run"]
    assert done["status"] == "succeeded", done
    assert [c[1].rsplit("/", 1)[1] for c in transport.calls] == ["session", "outcome"]  # one batch, one outcome
    assert run["id"] in hooks[0]["body"].decode()  # its actions fired as for any run
    session = api.ok("GET", f"/sessions/{done['session_id']}", owner)["session"]
    assert session["environment"] == {"type": "cloud_sandbox"} and session["artifacts"][0]["name"] == "report.md"


@pytest.mark.parametrize("status", ["partial", "failed", "retry"])
def test_outcomes_other_than_success_need_a_reason(api, owner, status):
    runner, token = _runner(api, owner, pool="p")
    run = _place(api, owner, _rule(api, owner, {"type": "runner", "runner_id": runner["id"]}))
    lease = _lease(_claim(api, runner, token))
    assert api.call("POST", f"/runs/{run['id']}/outcome", lease, {"status": status})[0] == 400
    assert api.call("POST", f"/runs/{run['id']}/outcome", lease, {"status": "done"})[0] == 400
    api.ok("POST", f"/runs/{run['id']}/outcome", lease, {"status": status, "reason": "model endpoint 503"})
    after = api.ok("GET", f"/runs/{run['id']}", owner)["run"]
    assert after["status"] == {"retry": "retrying"}.get(status, status) and "model endpoint 503" in after["reason"]


def test_the_sandbox_stops_before_its_functions_limit_with_room_to_report():
    assert sandbox.working_seconds(300) == 285  # the deployed limit: 15 s to report
    assert sandbox.working_seconds(12) == 9 and sandbox.working_seconds(10) == 7.5  # short limits keep a quarter


class _Timed:
    """The transport, noting when the outcome reached the API."""

    def __init__(self, transport):
        self.transport, self.outcome_at = transport, None

    def post(self, url, **kw):
        answer = self.transport.post(url, **kw)
        if url.endswith("/outcome"):
            self.outcome_at = time.monotonic()
        return answer


MODEL_ANSWER = json.dumps({"choices": [{"index": 0, "finish_reason": "stop", "message": {
    "role": "assistant", "content": "Everything is fine, I checked it all very carefully."}}]}).encode()


@pytest.mark.parametrize("model, during", [
    ({"first_byte_after": 30}, "during a model call"),  # a model that thinks past the stop
    ({"per_byte": 0.5}, "during a model call"),  # a reply that trickles past it
    ({"status": 429, "headers": {"Retry-After": "30"}},  # a wait that would end past it
     "waiting to call the model again (the endpoint asked to wait 30 s, "),
])
def test_the_sandbox_reports_the_session_so_far_at_its_stop_during_a_model_call(api, owner, aws, transport,
                                                                                 sandbox_queue_and_loopback, model,
                                                                                 during):
    """SANDBOX_SECONDS 4 (the stop 3 s in): whatever the model endpoint does,
    the run is reported before the function's limit, `failed` with a reason
    that says where it stopped, and its session so far is kept."""
    timed = _Timed(transport)
    with slow(MODEL_ANSWER, **model) as url, settings.override(
            sandbox_seconds=4, agent=replace(settings.current().agent, backend="openai",
                                             openai_base_url=f"{url}/v1", openai_api_key_secret="")):
        rule = api.ok("POST", "/automations", owner, rule_body(
            task_prompt="Summarise.", environment={"type": "cloud_sandbox"}), status=201)["automation"]
        run = _place(api, owner, rule)
        got = sqs().receive_message(QueueUrl=aws["sandbox"])["Messages"]
        started = time.monotonic()
        sandbox.handle([{"messageId": m["MessageId"], "body": m["Body"]} for m in got], http=timed)
    reported = timed.outcome_at - started
    assert reported < 4, reported  # at the stop (3 s in), or before: reported within the function's 4 s
    done = api.ok("GET", f"/runs/{run['id']}", owner)["run"]
    assert done["status"] == "failed"
    assert done["reason"].startswith(f"Stopped at the cloud sandbox's time limit (3 s) {during}"), done["reason"]
    assert done["reason"].endswith("; the session so far is kept.")
    session = api.ok("GET", f"/sessions/{done['session_id']}", owner)["session"]
    assert [m["role"] for m in session["messages"]] == ["system", "user"]
    assert "Summarise." in session["messages"][1]["content"]
