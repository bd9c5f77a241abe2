"""Cost per run: the AWS calls one run makes through the worker (builtin
agent, no URLs, the session worked in the worker as CLOUD_SANDBOX=inline
does), counted on every botocore client, and the account markers that let it
skip the runners and the event-trigger index without losing a run event or a
trigger that listens to them."""
import json

import pytest

from bench.aws_calls import CallMeter
from chalicelib import worker
from chalicelib.sessions import items as sessions
from chalicelib.store import models, repos
from chalicelib.store.records import Account, Run
from tests.conftest import NOW, receive_all, rule_body

MAX_CALLS = 8
NO_URLS = "Summarise how this automation's recent runs went."


@pytest.fixture
def watched(api, owner):
    return api.ok("POST", "/automations", owner, rule_body(name="watched", task_prompt=NO_URLS,
                                                           triggers=[{"type": "api"}]), status=201)["automation"]


def _watcher_trigger(watched_id: str) -> dict:
    return {"type": "event", "expect": ["automation.run.succeeded"], "match": {"resource.id": watched_id}}


def _run_once(api, owner, aws, rule_id: str) -> tuple[Run, CallMeter]:
    """Queue one run as the API does, then hand its message alone to the
    worker, counting the AWS calls of `handle_batch`."""
    run_id = api.ok("POST", f"/automations/{rule_id}/runs", owner, {}, status=202)["run"]["id"]
    [message] = [m for m in receive_all(aws["runs"]) if json.loads(m["Body"])["run_id"] == run_id]
    record = {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"]}
    with CallMeter() as meter, meter.counting():
        assert worker.handle_batch([record], clock=lambda: NOW) == {"batchItemFailures": []}
    return repos.runs.get(run_id), meter


def _calls_on(meter: CallMeter, table: str) -> int:
    return sum(n for (_, target), n in meter.calls.items() if table in target.split("+"))


def _account(rule: dict) -> Account:
    return repos.accounts.get(repos.rules.get(rule["id"]).account_id)


def _event_runs(rule_id: str) -> list[Run]:
    return [r for r in repos.runs.every() if r.automation_id == rule_id and r.trigger == "event"]


def test_a_run_makes_at_most_eight_aws_calls_and_shows_all_it_did(api, owner, aws, watched):
    run, meter = _run_once(api, owner, aws, watched["id"])
    assert meter.total() <= MAX_CALLS, meter.summary(1)
    assert _calls_on(meter, "event-triggers") == 0 and _calls_on(meter, "runners") == 0, meter.summary(1)
    # nothing a user sees is lost: the outcome, both run events, the whole session
    assert run.status == "succeeded" and run.duration_ms is not None
    events = api.ok("GET", f"/events?resource_id={watched['id']}", owner)["events"]
    assert [e["event"] for e in events] == ["automation.run.succeeded", "automation.run.running"]
    session = sessions.load(run.session_id)
    assert session["run_id"] == run.id and session["messages"][0]["content"].startswith(NO_URLS)
    assert session["messages"][-1]["role"] == "assistant"
    history = api.ok("GET", f"/automations/{watched['id']}/runs", owner)["runs"]
    assert [(r["id"], r["status"]) for r in history] == [(run.id, "succeeded")]


def test_a_run_event_trigger_fires_whichever_way_it_was_saved_and_is_not_read_once_gone(api, owner, aws, watched):
    # saved by PATCH onto a rule that had no event trigger
    watcher = api.ok("POST", "/automations", owner, rule_body(name="watcher", task_prompt=NO_URLS,
                                                              triggers=[{"type": "api"}]), status=201)["automation"]
    _, meter = _run_once(api, owner, aws, watched["id"])
    assert _calls_on(meter, "event-triggers") == 0
    api.ok("PATCH", f"/automations/{watcher['id']}", owner, {"triggers": [_watcher_trigger(watched["id"])]})
    _, meter = _run_once(api, owner, aws, watched["id"])
    assert _calls_on(meter, "event-triggers") > 0 and len(_event_runs(watcher["id"])) == 1

    # disabled: its index entries and the marker go in one transaction
    api.ok("POST", f"/automations/{watcher['id']}/disable", owner)
    assert not _account(watched).run_watchers
    _, meter = _run_once(api, owner, aws, watched["id"])
    assert _calls_on(meter, "event-triggers") == 0 and len(_event_runs(watcher["id"])) == 1
    assert meter.total() <= MAX_CALLS, meter.summary(1)

    # enabled again: it fires again
    api.ok("POST", f"/automations/{watcher['id']}/enable", owner)
    _run_once(api, owner, aws, watched["id"])
    assert len(_event_runs(watcher["id"])) == 2

    # a second watcher created with its trigger; deleting one keeps the other listening
    other = api.ok("POST", "/automations", owner, rule_body(name="second watcher", task_prompt=NO_URLS, triggers=[
        _watcher_trigger(watched["id"])]), status=201)["automation"]
    api.ok("DELETE", f"/automations/{watcher['id']}", owner, status=204)
    _run_once(api, owner, aws, watched["id"])
    assert len(_event_runs(other["id"])) == 1 and len(_event_runs(watcher["id"])) == 2

    # its trigger changed to something else: the index is not read for run events any more
    api.ok("PATCH", f"/automations/{other['id']}", owner, {"triggers": [{"type": "event", "expect": ["deploy.*"]}]})
    _, meter = _run_once(api, owner, aws, watched["id"])
    assert _calls_on(meter, "event-triggers") == 0 and len(_event_runs(other["id"])) == 1
    assert _account(watched).run_watchers is None


def test_an_account_from_before_the_markers_reads_the_indexes(api, owner, aws, watched):
    watcher = api.ok("POST", "/automations", owner, rule_body(name="watcher", task_prompt=NO_URLS, triggers=[
        _watcher_trigger(watched["id"])]), status=201)["automation"]
    # an account item as saved before the markers existed (no repository operation makes one)
    stored = models.Account(_account(watched).id)
    stored.update(actions=[models.Account.markers.remove(), models.Account.has_runners.remove(),
                           models.Account.run_watchers.remove()])
    _, meter = _run_once(api, owner, aws, watched["id"])
    assert _calls_on(meter, "event-triggers") > 0 and _calls_on(meter, "runners") == 1
    assert len(_event_runs(watcher["id"])) == 1


def test_registering_a_runner_makes_auto_look_for_runners(api, owner, aws, watched):
    _, meter = _run_once(api, owner, aws, watched["id"])
    assert _calls_on(meter, "runners") == 0
    api.ok("POST", "/runners", owner, {"name": "box", "team_id": 0}, status=201)
    assert _account(watched).has_runners is True
    run, meter = _run_once(api, owner, aws, watched["id"])
    assert _calls_on(meter, "runners") == 1
    assert run.status == "succeeded"  # no heartbeat yet: not healthy, so still the cloud sandbox
