"""Events in and out, event triggers (reactive and proactive, stepped through
time with the clock passed in), our own run events, and the loop guards."""
from dataclasses import replace
from datetime import timedelta

import pytest

from bench.aws_calls import CallMeter
from chalicelib import settings, worker
from chalicelib.events import ingest, triggers
from chalicelib.runs import fire
from chalicelib.runs.publish import RUN_EVENTS
from chalicelib.store import config, repos
from tests.conftest import NOW, rule_body


def _event(name="incident.triggered", rid="svc-api", **extra):
    return {"event": name, "resource": {"id": rid, "severity": "critical", "service": "api-gateway"}, **extra}


def _event_rule(api, key, **trigger):
    body = rule_body(name=trigger.pop("name", "on incidents"),
                     triggers=[{"type": "event", "expect": ["incident.*"], **trigger}])
    return api.ok("POST", "/automations", key, body, status=201)["automation"]


def _account(rule):
    return repos.rules.get(rule["id"]).account_id


def _event_runs(rule_id):
    return [r for r in repos.runs.every() if r.automation_id == rule_id and r.trigger == "event"]


def _index(account_id):
    """The event-trigger index entries of an account, by bucket (every bucket an
    event name could read: its first segment's, and `*`)."""
    names = ["incident.triggered", "deploy.finished", "deploy.started", "automation.run.failed"]
    found = {bucket: repos.events.triggers_in(bucket)
             for name in names for bucket in triggers.candidate_buckets(account_id, name)}
    return {bucket: entries for bucket, entries in found.items() if entries}


def _minute_tick(now):
    """The minute tick's proactive check: the runs of the triggers whose window ended short of events."""
    return fire.fire_all(ingest.check_proactive(now), now)


def _agent_backend(name):
    """The settings with another agent backend (`nope`: runs fail permanently)."""
    return settings.override(agent=replace(settings.current().agent, backend=name))


def test_post_one_event_or_a_batch_and_read_them_back(api, owner):
    one = api.ok("POST", "/events", owner, _event(id="evt-1"), status=202)
    assert one["accepted"] == ["evt-1"] and one["rejected"] == []
    batch = api.ok("POST", "/events", owner, [_event(id="evt-2"), _event(name="deploy.finished", rid="svc-db")],
                   status=202)
    assert len(batch["accepted"]) == 2
    events = api.ok("GET", "/events", owner)["events"]
    assert sorted(e["event"] for e in events) == ["deploy.finished", "incident.triggered", "incident.triggered"]
    assert events[-1]["id"] == "evt-1"  # newest first
    assert [e["resource"]["id"] for e in api.ok("GET", "/events?event=deploy.*", owner)["events"]] == ["svc-db"]
    assert [e["id"] for e in api.ok("GET", "/events?resource_id=svc-api", owner)["events"]] == ["evt-2", "evt-1"]
    page = api.ok("GET", "/events?limit=2", owner)
    rest = api.ok("GET", f"/events?limit=2&cursor={page['next_cursor']}", owner)
    assert [e["id"] for e in page["events"] + rest["events"]] == [e["id"] for e in events]


def test_a_repeated_event_id_is_accepted_once(api, owner):
    api.ok("POST", "/events", owner, _event(id="same"), status=202)
    again = api.ok("POST", "/events", owner, _event(id="same"), status=202)
    assert again["accepted"] == [] and again["duplicates"] == ["same"]
    assert len(api.ok("GET", "/events", owner)["events"]) == 1


def test_malformed_events_are_refused_one_by_one(api, owner):
    answer = api.ok("POST", "/events", owner, [
        _event(id="good"), {"event": "x"}, {"event": "bad name!", "resource": {"id": "r"}}, "text",
        _event(occurred="next tuesday"), _event(payload=[1])], status=202)
    assert answer["accepted"] == ["good"]
    reasons = {r["index"]: r["reason"] for r in answer["rejected"]}
    assert set(reasons) == {1, 2, 3, 4, 5}
    assert "resource" in reasons[1] and "dotted name" in reasons[2] and "object" in reasons[3]
    assert "occurred" in reasons[4] and "payload" in reasons[5]
    code, data = api.call("POST", "/events", owner, [{"event": "x"}])
    assert code == 400 and data["rejected"][0]["index"] == 0
    code, data = api.call("POST", "/events", owner, [_event()] * 101)
    assert code == 400 and "100" in data["Message"]


def test_an_event_from_the_future_is_refused_in_the_error_shape(api, owner):
    code, data = api.call("POST", "/events", owner, _event(occurred="2999-01-01T00:00:00Z"))
    assert code == 400 and data["Code"] == "BadRequest"
    assert "more than an hour in the future" in data["Message"] and data["accepted"] == []


def test_events_need_an_api_key_and_stay_in_their_account(api, owner):
    from chalicelib.identity import directory
    assert api.call("POST", "/events", None, _event())[0] == 401
    api.ok("POST", "/events", owner, _event(), status=202)
    _, stranger = directory.create_account("Other", "x@other.example", NOW)
    assert api.ok("GET", "/events", stranger)["events"] == []


def test_reactive_threshold_one_fires_a_run_with_the_event(api, owner):
    rule = _event_rule(api, owner, match={"resource.severity": "critical", "resource.service": "api-*"})
    answer = api.ok("POST", "/events", owner, _event(id="inc-1"), status=202)
    assert len(answer["runs"]) == 1
    run = repos.runs.get(answer["runs"][0])
    assert run.trigger == "event" and run.status == "queued" and "inc-1" in run.context_text
    api.ok("POST", "/events", owner, _event(id="inc-1"), status=202)  # the same event again: no second run
    api.ok("POST", "/events", owner, _event(name="deploy.finished"), status=202)
    api.ok("POST", "/events", owner, {**_event(), "resource": {"id": "x", "severity": "low"}}, status=202)
    assert len(_event_runs(rule["id"])) == 1


def test_negation_in_matches(api, owner):
    rule = _event_rule(api, owner, match={"resource.service": "!api-*"})
    api.ok("POST", "/events", owner, _event(), status=202)
    assert _event_runs(rule["id"]) == []
    api.ok("POST", "/events", owner, {**_event(), "resource": {"id": "db", "service": "postgres"}}, status=202)
    assert len(_event_runs(rule["id"])) == 1


def test_reactive_threshold_within_a_window_per_for_each_key(api, owner):
    rule = _event_rule(api, owner, threshold=3, within=60, for_each=["resource.id"])
    acct = _account(rule)
    fired = []
    for seconds, rid in [(0, "a"), (10, "b"), (20, "a"), (100, "a"), (110, "a"), (120, "a"), (125, "b")]:
        fired += fire.receive(acct, _event(rid=rid), NOW + timedelta(seconds=seconds))["runs"]
    # "a": 0, 20 (window passes), then 100, 110, 120 -> fires once at 120; "b" never reaches 3
    assert len(fired) == 1 and len(_event_runs(rule["id"])) == 1


def test_proactive_fires_when_expected_events_are_missing(api, owner):
    rule = _event_rule(api, owner, posture="proactive", after=["deploy.started"], expect=["deploy.finished"],
                       within=600, for_each=["resource.id"])
    acct = _account(rule)
    fire.receive(acct, _event(name="deploy.started", rid="svc-a"), NOW)
    fire.receive(acct, _event(name="deploy.started", rid="svc-b"), NOW)
    fire.receive(acct, _event(name="deploy.finished", rid="svc-b"), NOW + timedelta(seconds=300))
    assert _minute_tick(NOW + timedelta(seconds=599)) == []
    fired = _minute_tick(NOW + timedelta(seconds=601))
    assert len(fired) == 1 and "svc-a" in fired[0].context_text and "0 of 1 expected" in fired[0].context_text
    assert _minute_tick(NOW + timedelta(seconds=700)) == []  # fired once


def test_event_trigger_validation_and_the_self_loop_guard(api, owner):
    for trigger, field in [({"expect": []}, "expect"), ({"expect": ["ok"], "posture": "sometimes"}, "posture"),
                           ({"expect": ["a"], "threshold": 0}, "threshold"),
                           ({"expect": ["a"], "match": {"secret.x": "1"}}, "match"),
                           ({"expect": ["a"], "posture": "proactive", "within": 600}, "after"),
                           ({"expect": ["a"], "after": ["b"]}, "after"),
                           ({"expect": ["automation.run.*"]}, "own run events"),
                           ({"expect": ["*"]}, "own run events"),
                           ({"expect": ["automation.run.failed"], "match": {"resource.id": "aut_*"}},
                            "own run events")]:
        code, data = api.call("POST", "/automations", owner, rule_body(triggers=[{"type": "event", **trigger}]))
        assert code == 400 and field in data["Message"], (trigger, data)
    other = api.ok("POST", "/automations", owner, rule_body(), status=201)["automation"]
    watcher = rule_body(triggers=[{"type": "event", "expect": ["automation.run.failed"],
                                   "match": {"resource.id": other["id"]}}])
    created = api.ok("POST", "/automations", owner, watcher, status=201)["automation"]
    code, data = api.call("PATCH", f"/automations/{created['id']}", owner, {"triggers": [
        {"type": "event", "expect": ["automation.run.failed"], "match": {"resource.id": created["id"]}}]})
    assert code == 400 and "own run events" in data["Message"]


def test_matching_reads_only_triggers_that_could_match_the_name(api, owner):
    for i in range(5):
        api.ok("POST", "/automations", owner, rule_body(name=f"deploys {i}", triggers=[
            {"type": "event", "expect": ["deploy.finished"]}]), status=201)
    rule = _event_rule(api, owner)
    buckets = set(_index(_account(rule)))
    assert len(buckets) == 2  # "<acct>|deploy" and "<acct>|incident"
    seen = []
    from botocore.client import BaseClient
    original = BaseClient._make_api_call
    table = f"{config()['table_prefix']}-event-triggers"

    def count(client, operation, params):
        if operation == "Query" and params.get("TableName") == table:
            seen.append(params["KeyConditionExpression"] and params["ExpressionAttributeValues"])
        return original(client, operation, params)

    BaseClient._make_api_call = count
    try:
        ingest.match(_account(rule), {"event": "incident.triggered", "id": "e", "resource": {"id": "x"}}, NOW)
    finally:
        BaseClient._make_api_call = original
    assert len(seen) == 2
    assert all("deploy" not in str(values) for values in seen)


def test_a_batch_reads_each_index_bucket_once_and_still_counts_every_event(api, owner):
    rule = _event_rule(api, owner, threshold=3, within=60, for_each=["resource.id"])
    batch = [_event(rid="a"), _event(rid="b"), _event(name="deploy.finished"), _event(rid="a"),
             _event(rid="b"), _event(rid="a"), _event(name="deploy.started")]
    with CallMeter() as meter, meter.counting():
        result = fire.receive(_account(rule), batch, NOW)
    assert len(result["accepted"]) == 7
    assert len(result["runs"]) == 1 and len(_event_runs(rule["id"])) == 1  # "a" reached 3; "b" did not
    # buckets "<acct>|incident", "<acct>|deploy" and "<acct>|*": one Query each for the whole batch
    assert meter.calls[("Query", "event-triggers")] == 3, meter.calls


def test_disabled_rules_leave_the_index(api, owner):
    rule = _event_rule(api, owner)
    api.ok("POST", f"/automations/{rule['id']}/disable", owner)
    assert _index(_account(rule)) == {}
    api.ok("POST", f"/automations/{rule['id']}/enable", owner)
    assert len([e for entries in _index(_account(rule)).values() for e in entries]) == 1


def test_run_status_changes_emit_events(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(task_prompt="No URLs here."), status=201)["automation"]
    run = api.ok("POST", f"/automations/{rule['id']}/runs", owner, {}, status=202)["run"]
    worker.process({"run_id": run["id"], "automation_id": rule["id"], "trigger": "manual"}, NOW)
    events = api.ok("GET", f"/events?resource_id={rule['id']}", owner)["events"]
    assert [e["event"] for e in events] == ["automation.run.succeeded", "automation.run.running"]
    done = events[0]
    assert done["resource"] == {"id": rule["id"], "name": rule["name"], "kind": "automation"}
    assert done["related"] == [{"id": run["id"], "kind": "run"}]
    assert done["payload"]["status"] == "succeeded" and done["payload"]["link"].endswith(f"/runs/{run['id']}")


def test_an_automation_reacts_to_another_automations_failed_run(api, owner):
    watched = api.ok("POST", "/automations", owner, rule_body(name="daily check"), status=201)["automation"]
    watcher = api.ok("POST", "/automations", owner, rule_body(name="tell us", triggers=[
        {"type": "event", "expect": ["automation.run.failed"], "match": {"resource.id": watched["id"]}}]),
        status=201)["automation"]
    run = api.ok("POST", f"/automations/{watched['id']}/runs", owner, {}, status=202)["run"]
    with _agent_backend("nope"):  # the watched run fails permanently
        worker.process({"run_id": run["id"], "automation_id": watched["id"], "trigger": "manual"}, NOW)
    assert repos.runs.get(run["id"]).status == "failed"
    [reaction] = _event_runs(watcher["id"])
    assert reaction.trigger_event["event"] == "automation.run.failed"
    assert reaction.trigger_event["related"] == [{"id": run["id"], "kind": "run"}]


def test_cascades_of_event_runs_stop_after_a_few_hops(api, owner):
    a = api.ok("POST", "/automations", owner, rule_body(name="a", triggers=[{"type": "api"}]), status=201)
    b_id, a_id = None, a["automation"]["id"]
    b = api.ok("POST", "/automations", owner, rule_body(name="b", triggers=[
        {"type": "event", "expect": ["automation.run.failed"], "match": {"resource.id": a_id}}]), status=201)
    b_id = b["automation"]["id"]
    api.ok("PATCH", f"/automations/{a_id}", owner, {"triggers": [
        {"type": "api"}, {"type": "event", "expect": ["automation.run.failed"], "match": {"resource.id": b_id}}]})
    first = api.ok("POST", f"/automations/{a_id}/runs", owner, {}, status=202)["run"]
    pending = [first["id"]]
    with _agent_backend("nope"):
        for _ in range(20):  # work every queued run until nothing new starts
            if not pending:
                break
            run = repos.runs.get(pending.pop())
            worker.process({"run_id": run.id, "automation_id": run.automation_id, "trigger": run.trigger}, NOW)
            pending = [r.id for r in repos.runs.every() if r.status == "queued"]
    assert pending == []
    total = len(list(repos.runs.every()))
    assert 3 <= total <= 8  # a, b, a, b, … stopped by the chain limit


@pytest.mark.parametrize("query", ["since=yesterday", "limit=0", "cursor=zzz"])
def test_bad_event_queries_are_400(api, owner, query):
    assert api.call("GET", f"/events?{query}", owner)[0] == 400


def test_a_run_late_to_finish_fires_a_proactive_sla_trigger(api, owner):
    watched = api.ok("POST", "/automations", owner, rule_body(name="nightly backup"), status=201)["automation"]
    sla = api.ok("POST", "/automations", owner, rule_body(name="backup SLA", triggers=[{
        "type": "event", "posture": "proactive", "after": ["automation.run.running"],
        "expect": ["automation.run.succeeded", "automation.run.partial"], "within": 900,
        "match": {"resource.id": watched["id"]}, "for_each": ["payload.run_id"]}]), status=201)["automation"]
    from chalicelib.runs import records
    slow = records.new_queued(watched["id"], _account(watched), "schedule", NOW)
    quick = records.new_queued(watched["id"], _account(watched), "schedule", NOW)
    for run in (slow, quick):
        run.attempt = 1
        RUN_EVENTS.emit(run, "running", None, NOW)
    RUN_EVENTS.emit(quick, "succeeded", None, NOW + timedelta(minutes=5))
    assert _minute_tick(NOW + timedelta(minutes=14)) == []
    [late] = _minute_tick(NOW + timedelta(minutes=16))
    assert late.automation_id == sla["id"] and slow.id in late.context_text and quick.id not in late.context_text
