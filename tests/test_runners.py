"""Runner heartbeats and the runners' SLA event (runner.unhealthy)."""
from datetime import timedelta

from chalicelib.environments import runner_health
from chalicelib.store import repos
from tests.conftest import NOW, rule_body


def _runner(api, owner, **body):
    data = api.ok("POST", "/runners", owner, {"name": "r", "team_id": 0, **body}, status=201)
    return data["runner"], data["token"]


def test_heartbeat_needs_the_runners_own_token(api, owner):
    runner, token = _runner(api, owner)
    other, other_token = _runner(api, owner)
    assert token.startswith("srert_") and runner["last_heartbeat"] is None
    beat = api.ok("POST", f"/runners/{runner['id']}/heartbeat", token)["runner"]
    assert beat["last_heartbeat"] is not None
    for key in (other_token, owner, None, token + "x"):
        assert api.call("POST", f"/runners/{runner['id']}/heartbeat", key)[0] == 401
    assert api.call("POST", "/runners/rnr_nope/heartbeat", token)[0] == 401
    assert api.call("POST", "/runners", owner, {"name": "x", "min_healthy": -1})[0] == 400


def test_pool_below_min_healthy_emits_runner_unhealthy_once_an_hour(api, owner):
    a, token_a = _runner(api, owner, pool="prod", min_healthy=2)
    b, token_b = _runner(api, owner, pool="prod", min_healthy=2)
    _runner(api, owner, pool="batch", min_healthy=0)
    for runner in repos.runners.every():
        repos.runners.set_heartbeat(runner, "2026-11-23T09:59:30Z")
    assert runner_health.check(NOW) == []  # both heard from 30 s ago
    later = NOW + timedelta(minutes=3)
    still_beating = next(r for r in repos.runners.every() if r.id == a["id"])
    repos.runners.set_heartbeat(still_beating, "2026-11-23T10:02:30Z")
    [event] = runner_health.check(later)
    assert event["event"] == "runner.unhealthy" and event["resource"]["pool"] == "prod"
    assert event["payload"] == {"healthy": 1, "min_healthy": 2, "runners": 2,
                                "reason": "1 of 2 runner(s) of pool prod healthy; at least 2 needed"}
    assert [r["id"] for r in event["related"]] == [b["id"]]
    assert runner_health.check(later + timedelta(minutes=1)) == []  # already said this hour
    assert len(runner_health.check(later + timedelta(hours=1))) == 1
    newest = api.ok("GET", "/events?event=runner.unhealthy", owner)["events"]
    assert [e["payload"]["healthy"] for e in newest] == [0, 1]  # an hour later a has gone quiet too


def test_an_automation_reacts_to_unhealthy_runners(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(triggers=[
        {"type": "event", "expect": ["runner.unhealthy"], "match": {"resource.pool": "prod"}}]), status=201)
    _runner(api, owner, pool="prod")
    runner_health.check(NOW)
    runs = [r for r in repos.runs.every() if r.automation_id == rule["automation"]["id"]]
    assert len(runs) == 1 and runs[0].trigger == "event"
    assert runs[0].trigger_event["event"] == "runner.unhealthy"
