"""The control actions (run_automation, cancel_run, pause_automation,
resume_automation) and late-to-start triggers, in-process: real API calls,
the runs queue worked as the worker Lambda would, moto underneath."""
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import settings, worker
from chalicelib.runs import late_start
from chalicelib.store import repos
from tests.conftest import NOW, rule_body, work_queue


@pytest.fixture
def no_backend(aws):
    """An agent backend that does not exist: every run fails (permanently, fast)."""
    with settings.override(agent=replace(settings.current().agent, backend="nope")):
        yield


def _create(api, key, status=201, **body):
    code, data = api.call("POST", "/automations", key, rule_body(**body))
    assert code == status, data
    return data.get("automation") if status == 201 else data


def _run_manually(api, key, rule_id):
    run = api.ok("POST", f"/automations/{rule_id}/runs", key, {}, status=202)["run"]
    worker.process({"run_id": run["id"], "automation_id": rule_id, "trigger": "manual"}, NOW)
    return run["id"]


def _runs(rule_id):
    return sorted((r for r in repos.runs.every() if r.automation_id == rule_id), key=lambda r: r.created_at)


def test_run_automation_starts_a_run_with_context(api, owner, aws, no_backend):  # the watched run fails
    helper = _create(api, owner, name="investigate", task_prompt="Investigate.", triggers=[{"type": "api"}])
    source = _create(api, owner, name="nightly", actions=[
        {"type": "run_automation", "automation_id": helper["id"], "on": ["failed"],
         "text": "Run {run.id} failed: {run.reason}"}])
    assert source["actions"][0]["saved_by"]  # recorded by the service
    failed_run = _run_manually(api, owner, source["id"])
    work_queue(aws["runs"])
    [started] = _runs(helper["id"])
    shown = api.ok("GET", f"/runs/{started.id}", owner)["run"]
    assert shown["trigger"] == "automation" and shown["status"] == "failed"  # it ran (and failed: backend "nope")
    assert shown["context"]["text"].startswith(f"Run {failed_run} failed: ")
    assert shown["context"]["started_by"] == {"automation_id": source["id"], "automation_name": "nightly",
                                              "run_id": failed_run, "event_id": f"{failed_run}.failed.1",
                                              "event": "automation.run.failed"}
    [action] = api.ok("GET", f"/runs/{failed_run}", owner)["run"]["actions"]
    assert action["status"] == "sent" and started.id in action["detail"]


def test_the_session_of_an_automation_started_run_names_what_started_it(api, owner, aws):
    helper = _create(api, owner, name="investigate", task_prompt="No URLs.", triggers=[{"type": "api"}])
    source = _create(api, owner, name="nightly", task_prompt="No URLs.", actions=[
        {"type": "run_automation", "automation_id": helper["id"], "on": ["succeeded"], "text": "follow up"}])
    source_run = _run_manually(api, owner, source["id"])
    work_queue(aws["runs"])
    [started] = _runs(helper["id"])
    session = api.ok("GET", f"/sessions/{repos.runs.get(started.id).session_id}", owner)["session"]
    prompt = session["messages"][0]["content"]
    assert f"started by: automation nightly ({source['id']}), run {source_run}" in prompt and "follow up" in prompt


def test_control_targets_are_checked_when_saved(api, people):
    alice, bob, carol = people["alice"]["key"], people["bob"]["key"], people["carol"]["key"]
    personal = _create(api, alice, name="alice's own")
    team = _create(api, alice, name="red team's", team_id=people["red"])
    denied = _create(api, carol, status=400, name="carol's", actions=[
        {"type": "run_automation", "automation_id": team["id"]}])
    assert "no automation" in denied["Message"] and "actions[0].automation_id" in denied["Message"]
    read_only = _create(api, bob, status=400, name="bob's", actions=[
        {"type": "pause_automation", "automation_id": personal["id"]}])
    assert "read-only for you" in read_only["Message"]
    assert _create(api, bob, name="bob's", actions=[{"type": "pause_automation", "automation_id": team["id"]}])
    missing = _create(api, alice, status=400, actions=[{"type": "resume_automation", "automation_id": "aut_nope"}])
    assert "no automation 'aut_nope'" in missing["Message"]


def test_the_savers_rights_are_checked_again_when_it_fires(api, people, aws, no_backend):
    alice, owner = people["alice"], people["owner"]["key"]
    team = _create(api, alice["key"], name="red team's", team_id=people["red"], triggers=[{"type": "api"}])
    mine = _create(api, alice["key"], name="alice's", actions=[
        {"type": "run_automation", "automation_id": team["id"], "on": ["failed"]}])
    api.ok("DELETE", f"/teams/{people['red']}/members/{alice['id']}", owner)  # she leaves the team
    run_id = _run_manually(api, alice["key"], mine["id"])
    work_queue(aws["runs"])
    [action] = api.ok("GET", f"/runs/{run_id}", alice["key"])["run"]["actions"]
    assert action["status"] == "failed" and "alice@example.com" in action["error"]
    assert "may no longer run" in action["error"] or "can see" in action["error"]
    assert _runs(team["id"]) == []


def test_run_automation_loops_stop_after_a_few_hops(api, owner, aws, no_backend):
    # every run fails, so each starts the other
    a = _create(api, owner, name="a", triggers=[{"type": "api"}])
    b = _create(api, owner, name="b", triggers=[{"type": "api"}], actions=[
        {"type": "run_automation", "automation_id": a["id"], "on": ["failed"]}])
    api.ok("PATCH", f"/automations/{a['id']}", owner, {"actions": [
        {"type": "run_automation", "automation_id": b["id"], "on": ["failed"]}]})
    _run_manually(api, owner, a["id"])
    work_queue(aws["runs"], rounds=60)
    runs = _runs(a["id"]) + _runs(b["id"])
    assert 4 <= len(runs) <= 8
    results = [r for run in runs for r in run.action_results.values()]
    assert [r["status"] for r in results].count("sent") == len(runs) - 1  # each run but the last started one
    [refused] = [r for r in results if r["status"] == "failed"]
    assert "chain of automation-started runs" in refused["error"]


def test_an_event_cancels_a_running_run(api, owner, aws):
    watched = _create(api, owner, name="long job", triggers=[{"type": "api"}])
    _create(api, owner, name="stop it", triggers=[{"type": "event", "expect": ["ops.stop"]}], actions=[
        {"type": "cancel_run", "on": ["triggered"], "run_id": "{event.resource.id}",
         "reason": "{event.payload.why}"}])
    run = api.ok("POST", f"/automations/{watched['id']}/runs", owner, {}, status=202)["run"]
    repos.runs._change(repos.runs.get(run["id"]), {"status": "running", "started_at": "2026-11-23T09:59:00Z"}, {})
    api.ok("POST", "/events", owner, {"event": "ops.stop", "resource": {"id": run["id"]},
                                      "payload": {"why": "maintenance window"}}, status=202)
    assert repos.runs.get(run["id"]).status == "running"  # the API only queued it
    work_queue(aws["runs"])
    ended = api.ok("GET", f"/runs/{run['id']}", owner)["run"]
    assert ended["status"] == "failed" and ended["reason"] == "cancelled by automation stop it: maintenance window"


def test_a_failed_run_pauses_another_automation_and_an_event_resumes_it(api, owner, aws, no_backend):
    neighbour = _create(api, owner, name="deploys")  # a schedule trigger: it is in the schedule index
    assert list(repos.schedule.every_entry())
    breaker = _create(api, owner, name="breaker", triggers=[{"type": "api"}], actions=[
        {"type": "pause_automation", "automation_id": neighbour["id"], "on": ["failed"],
         "reason": "{automation.name} failed: {run.reason}"}])
    _create(api, owner, name="all clear", triggers=[{"type": "event", "expect": ["ops.clear"]}], actions=[
        {"type": "resume_automation", "automation_id": neighbour["id"], "on": ["triggered"]}])
    run_id = _run_manually(api, owner, breaker["id"])
    work_queue(aws["runs"])
    paused = api.ok("GET", f"/automations/{neighbour['id']}", owner)["automation"]
    assert paused["enabled"] is False
    assert paused["paused"]["by"] == {"kind": "automation", "id": breaker["id"], "name": "breaker"}
    assert paused["paused"]["run_id"] == run_id and paused["paused"]["reason"].startswith("breaker failed: ")
    assert not [e for e in repos.schedule.every_entry() if e.automation_id == neighbour["id"]]  # its schedule stopped
    api.ok("POST", "/events", owner, {"event": "ops.clear", "resource": {"id": "prod"}}, status=202)
    work_queue(aws["runs"])
    resumed = api.ok("GET", f"/automations/{neighbour['id']}", owner)["automation"]
    assert resumed["enabled"] is True and resumed["paused"] is None
    assert [e for e in repos.schedule.every_entry() if e.automation_id == neighbour["id"]]


def test_pause_without_an_id_pauses_the_automation_the_event_is_about(api, owner, aws, no_backend):
    rule = _create(api, owner, name="flaky", actions=[{"type": "pause_automation", "on": ["failed"]}])
    _run_manually(api, owner, rule["id"])
    work_queue(aws["runs"])
    paused = repos.rules.get(rule["id"])
    assert paused.enabled is False and paused.paused["by"]["id"] == rule["id"]
    enabled = api.ok("POST", f"/automations/{rule['id']}/enable", owner)["automation"]
    assert enabled["paused"] is None
    by_hand = api.ok("POST", f"/automations/{rule['id']}/disable", owner, {"reason": "holiday"})["automation"]
    assert by_hand["paused"]["by"]["kind"] == "user" and by_hand["paused"]["reason"] == "holiday"


def test_test_fire_shows_the_control_actions_without_doing_them(api, owner):
    other = _create(api, owner, name="other")
    rule = _create(api, owner, name="sla", triggers=[{"type": "event", "expect": ["ops.*"]}], actions=[
        {"type": "run_automation", "automation_id": other["id"], "on": ["triggered"], "text": "see {event.id}"},
        {"type": "cancel_run", "on": ["triggered"]},
        {"type": "pause_automation", "automation_id": other["id"], "on": ["triggered"], "reason": "r"}])
    shown = api.ok("POST", f"/automations/{rule['id']}/test", owner, {"event": {
        "id": "e1", "event": "ops.stop", "resource": {"id": "x"}, "payload": {"run_id": "run_abc"}}})
    previews = [a["preview"] for a in shown["actions"]]
    assert previews[0] == {"type": "run_automation", "automation_id": other["id"], "text": "see e1"}
    assert previews[1]["run_id"] == "run_abc" and previews[2]["automation_id"] == other["id"]
    assert repos.rules.get(other["id"]).enabled is True and _runs(other["id"]) == []


def test_a_run_left_queued_fires_a_late_to_start_trigger_once(api, owner, aws):
    watched = _create(api, owner, name="nightly backup", triggers=[{"type": "api"}])
    sla = _create(api, owner, name="backup start SLA", triggers=[{
        "type": "event", "posture": "proactive", "after": ["automation.run.queued"],
        "expect": ["automation.run.running"], "within": 120, "match": {"resource.id": watched["id"]}}])
    late = api.ok("POST", f"/automations/{watched['id']}/runs", owner, {}, status=202)["run"]
    quick = api.ok("POST", f"/automations/{watched['id']}/runs", owner, {}, status=202)["run"]
    repos.runs._change(repos.runs.get(quick["id"]), {"status": "running", "waiting": None, "waiting_since": None},
                       {})  # this one started
    queued_at = datetime.now(UTC)
    assert late_start.check(queued_at + timedelta(seconds=90)) == []  # within its 120 s
    [fired] = late_start.check(queued_at + timedelta(seconds=130))
    assert fired.automation_id == sla["id"] and fired.trigger == "event"
    assert fired.trigger_event["event"] == "automation.run.queued"
    assert fired.trigger_event["payload"]["run_id"] == late["id"] and late["id"] in fired.context_text
    assert fired.trigger_event["payload"]["waited_seconds"] >= 120
    assert late_start.check(queued_at + timedelta(seconds=190)) == []  # once per run
    assert [r.id for r in _runs(sla["id"])] == [fired.id]


def test_late_to_start_triggers_are_validated(api, owner):
    other = _create(api, owner)
    refused = _create(api, owner, status=400, triggers=[{"type": "event", "expect": ["automation.run.queued"],
                                                         "match": {"resource.id": other["id"]}}])
    assert "not emitted" in refused["Message"] and "after" in refused["Message"]
    self_loop = _create(api, owner, status=400, triggers=[{
        "type": "event", "posture": "proactive", "after": ["automation.run.queued"], "expect": ["x"],
        "within": 60}])
    assert "own run events" in self_loop["Message"]


@pytest.mark.parametrize("kind", ["pause_automation", "resume_automation", "run_automation", "cancel_run"])
def test_control_actions_round_trip_through_the_api(api, owner, kind):
    other = _create(api, owner, name="target")
    item = {"type": kind, "on": ["failed"], **({"automation_id": other["id"]} if kind != "cancel_run" else {})}
    rule = _create(api, owner, actions=[item])
    again = api.ok("PATCH", f"/automations/{rule['id']}", owner, {"actions": rule["actions"]})["automation"]
    assert again["actions"] == rule["actions"]  # saved_by comes back and is accepted (and set by the service)


def test_a_run_late_to_finish_is_cancelled(api, owner, aws):
    """The product document's "cancel a run that has been running for more
    than a defined period": a proactive trigger after automation.run.running,
    expecting a finished status within 15 minutes, with cancel_run."""
    from chalicelib.events import ingest
    from chalicelib.runs import fire
    from chalicelib.runs.publish import RUN_EVENTS

    def proactive_tick(now):  # as the minute tick does
        return fire.fire_all(ingest.check_proactive(now), now)
    watched = _create(api, owner, name="nightly backup", triggers=[{"type": "api"}])
    _create(api, owner, name="backup SLA", triggers=[{
        "type": "event", "posture": "proactive", "after": ["automation.run.running"],
        "expect": ["automation.run.succeeded", "automation.run.partial", "automation.run.failed"], "within": 900,
        "match": {"resource.id": watched["id"]}, "for_each": ["payload.run_id"]}], actions=[
        {"type": "cancel_run", "on": ["triggered"], "reason": "ran over 15 minutes"}])
    run = api.ok("POST", f"/automations/{watched['id']}/runs", owner, {}, status=202)["run"]
    stuck = repos.runs._change(repos.runs.get(run["id"]), {"status": "running", "attempt": 1,
                                                           "started_at": "2026-11-23T10:00:00Z"}, {})
    RUN_EVENTS.emit(stuck, "running", None, NOW)
    assert proactive_tick(NOW + timedelta(minutes=14)) == []
    [fired] = proactive_tick(NOW + timedelta(minutes=16))
    work_queue(aws["runs"], clock=lambda: NOW + timedelta(minutes=16))
    ended = api.ok("GET", f"/runs/{run['id']}", owner)["run"]
    assert ended["status"] == "failed" and ended["reason"] == "cancelled by automation backup SLA: ran over 15 minutes"
    assert ended["duration_ms"] == 16 * 60 * 1000
    [cancel] = [a for a in api.ok("GET", f"/runs/{fired.id}", owner)["run"]["actions"] if a["outcome"] == "triggered"]
    assert cancel["status"] == "sent" and cancel["detail"] == f"cancelled run {run['id']}"
