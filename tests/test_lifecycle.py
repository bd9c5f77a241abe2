"""The run lifecycle, status by status, with the clock passed in."""
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from bench.aws_calls import CallMeter
from chalicelib import settings, worker
from chalicelib.runs import lifecycle, reaper, records
from chalicelib.runs.lifecycle import RECENT_RUNS
from chalicelib.sessions import items as sessions
from chalicelib.store import repos
from sre_agent.agents.base import AgentOutcome, PermanentAgentError, TransientAgentError
from tests.conftest import NOW, rule_body, sqs
from tests.servers import serve


class ScriptedAgent:
    """A backend whose behaviour the test sets: the stand-in for a model."""

    def __init__(self, *steps):
        self.steps, self.calls = list(steps), 0

    def run(self, task, session, toolbox):
        self.calls += 1
        step = self.steps.pop(0) if self.steps else "ok"
        session.message("assistant", f"step {self.calls}")
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            return step(task, session, toolbox)
        return AgentOutcome(summary="done", failed_tool_calls=1 if step == "partial" else 0, tool_calls=1)


@pytest.fixture
def rule(api, owner):
    return api.ok("POST", "/automations", owner, rule_body(), status=201)["automation"]


def _queued(rule, text=None, at=NOW):
    run = records.new_queued(rule["id"], repos.rules.get(rule["id"]).account_id, "api", at, text=text)
    repos.runs.add(run)
    return {"run_id": run.id, "automation_id": rule["id"], "account_id": run.account_id, "trigger": "api"}


def test_queued_to_succeeded_with_its_session(rule):
    message = _queued(rule, text="deploy 42")
    clock = iter([NOW + timedelta(seconds=s) for s in range(100)])
    outcome = worker.process(message, NOW, clock=lambda: next(clock), agent=ScriptedAgent("ok"))
    run = repos.runs.get(message["run_id"])
    assert outcome.status == run.status == "succeeded" and run.reason is None and run.attempt == 1
    assert run.started_at == "2026-11-23T10:00:00Z" and run.finished_at and run.duration_ms > 0
    assert run.active is None
    session = sessions.load(run.session_id)
    assert session["run_id"] == run.id and session["automation_id"] == rule["id"]
    first = session["messages"][0]
    assert first["role"] == "user" and first["content"].startswith(rule["task_prompt"])
    assert "deploy 42" in first["content"] and "trigger: api" in first["content"]


def test_three_deliveries_make_one_run_and_one_session(rule):
    message = _queued(rule)
    agent = ScriptedAgent("ok", "ok", "ok")
    outcomes = [worker.process(message, NOW, agent=agent).status for _ in range(3)]
    assert outcomes == ["succeeded", "succeeded", "succeeded"] and agent.calls == 1
    sessions_ids = [f"ses_{message['run_id'].removeprefix('run_')}_{attempt}" for attempt in (1, 2, 3)]
    headers = [e for sid in sessions_ids for e in repos.sessions.items(sid) if e.kind == "header"]
    assert len(headers) == 1


def test_scheduled_message_creates_its_run_once(rule):
    account = repos.rules.get(rule["id"]).account_id
    message = {"run_id": "run_sched1", "automation_id": rule["id"], "account_id": account, "trigger": "schedule",
               "scheduled_for": "2026-11-24T09:00:00Z"}
    for _ in range(3):
        worker.process(message, NOW, agent=ScriptedAgent())
    runs = list(repos.runs.every())
    assert [(r.id, r.trigger, r.status, r.scheduled_for) for r in runs] == [
        ("run_sched1", "schedule", "succeeded", "2026-11-24T09:00:00Z")]


def test_disabled_after_the_message_was_sent_is_skipped(api, owner, rule):
    message = _queued(rule)
    api.ok("POST", f"/automations/{rule['id']}/disable", owner)
    agent = ScriptedAgent()
    assert worker.process(message, NOW, agent=agent).status == "skipped" and agent.calls == 0
    assert repos.runs.get(message["run_id"]).reason == "The automation was disabled before this run started."


def test_deleted_after_the_message_was_sent_is_skipped(api, owner, rule):
    message = _queued(rule)
    api.call("DELETE", f"/automations/{rule['id']}", owner)
    worker.process(message, NOW, agent=ScriptedAgent())
    run = repos.runs.get(message["run_id"])
    assert run.status == "skipped" and "deleted" in run.reason


@pytest.mark.parametrize("policy, expected", [("skip", "skipped"), ("allow", "succeeded")])
def test_overlap_with_a_running_previous_run(api, owner, rule, policy, expected):
    api.ok("PATCH", f"/automations/{rule['id']}", owner, {"overlap": policy})
    first, second = _queued(rule), _queued(rule, at=NOW + timedelta(minutes=1))

    def start_second_meanwhile(task, session, toolbox):
        outcome = worker.process(second, NOW + timedelta(minutes=1), agent=ScriptedAgent("ok"))
        assert outcome.status == expected
        return AgentOutcome(summary="done")

    worker.process(first, NOW, agent=ScriptedAgent(start_second_meanwhile))
    run = repos.runs.get(second["run_id"])
    assert run.status == expected
    if expected == "skipped":
        assert first["run_id"] in run.reason and "still running" in run.reason


@pytest.fixture
def three_attempts(aws):
    with settings.override(max_attempts=3):
        yield


def test_transient_failures_retry_with_backoff_then_fail(rule, three_attempts):
    message = _queued(rule)
    agent = ScriptedAgent(*[TransientAgentError("model endpoint answered 503")] * 3)
    first = worker.process(message, NOW, agent=agent)
    run = repos.runs.get(message["run_id"])
    assert (first.status, first.retry_after, run.status) == ("retrying", 30, "retrying")
    assert run.reason == "Attempt 1 failed: model endpoint answered 503" and run.active is None
    second = worker.process(message, NOW + timedelta(seconds=30), agent=agent)
    assert (second.status, second.retry_after) == ("retrying", 60)
    third = worker.process(message, NOW + timedelta(seconds=90), agent=agent)
    run = repos.runs.get(message["run_id"])
    assert third.status == run.status == "failed" and third.retry_after is None
    assert run.reason == "Gave up after 3 attempts: model endpoint answered 503" and run.attempt == 3
    assert run.started_at == "2026-11-23T10:00:00Z"  # the first start is kept across attempts


def test_a_retry_that_then_succeeds(rule):
    message = _queued(rule)
    agent = ScriptedAgent(TransientAgentError("timeout"), "ok")
    worker.process(message, NOW, agent=agent)
    assert worker.process(message, NOW + timedelta(seconds=30), agent=agent).status == "succeeded"
    run = repos.runs.get(message["run_id"])
    assert run.attempt == 2 and run.reason is None and run.session_id.endswith("_2")


def test_permanent_failure_fails_at_once(rule):
    message = _queued(rule)
    outcome = worker.process(message, NOW, agent=ScriptedAgent(PermanentAgentError("model not found")))
    run = repos.runs.get(message["run_id"])
    assert outcome.status == run.status == "failed" and run.reason == "model not found" and run.attempt == 1


def test_an_unexpected_crash_inside_the_agent_ends_the_run_failed(rule):
    message = _queued(rule)
    worker.process(message, NOW, agent=ScriptedAgent(ZeroDivisionError()))
    run = repos.runs.get(message["run_id"])
    assert run.status == "failed" and "ZeroDivisionError" in run.reason


def test_failed_tool_calls_make_the_run_partial(rule):
    message = _queued(rule)
    worker.process(message, NOW, agent=ScriptedAgent("partial"))
    run = repos.runs.get(message["run_id"])
    assert run.status == "partial" and run.reason == "1 of 1 tool call(s) failed"


def test_incomplete_session_is_partial_with_its_reason(rule):
    message = _queued(rule)
    worker.process(message, NOW, agent=ScriptedAgent(
        lambda *_: AgentOutcome(summary="", incomplete="step limit of 8 reached before an answer")))
    run = repos.runs.get(message["run_id"])
    assert run.status == "partial" and run.reason == "step limit of 8 reached before an answer"


def test_crashed_worker_leaves_a_running_run_that_the_reaper_abandons(rule):
    message = _queued(rule)
    with pytest.raises(SystemExit):  # the Lambda dies mid-run: nothing ends the run
        worker.process(message, NOW, agent=ScriptedAgent(SystemExit()))
    assert repos.runs.get(message["run_id"]).status == "running"
    assert reaper.reap(NOW + timedelta(minutes=16)) == []  # within 15 min + 2 min grace
    assert reaper.reap(NOW + timedelta(minutes=18)) == [message["run_id"]]
    run = repos.runs.get(message["run_id"])
    assert run.status == "abandoned" and "15-minute limit" in run.reason and run.active is None
    assert run.duration_ms == 18 * 60 * 1000
    assert reaper.reap(NOW + timedelta(minutes=30)) == []
    # a late redelivery of the same message does not revive it
    assert worker.process(message, NOW + timedelta(minutes=31), agent=ScriptedAgent()).status == "abandoned"


@pytest.fixture
def heartbeat_every_10s(aws):
    with settings.override(heartbeat_seconds=10):
        yield


def test_heartbeats_while_the_session_works_and_cancel_stops_it(rule, heartbeat_every_10s):
    message = _queued(rule)
    times = iter([NOW + timedelta(seconds=s) for s in range(0, 1000, 15)])
    clock = lambda: next(times)  # noqa: E731

    def work_then_get_cancelled(task, session, toolbox):
        session.message("assistant", "working")
        assert repos.runs.get(task.run_id).heartbeat_at > "2026-11-23T10:00:00Z"
        lifecycle.finish(repos.runs.get(task.run_id), "failed", "cancelled", NOW, only_from=("running",))
        session.message("assistant", "still working")
        raise AssertionError("the heartbeat should have stopped the session")

    assert worker.process(message, NOW, clock=clock, agent=ScriptedAgent(work_then_get_cancelled)).status == \
        "cancelled"
    run = repos.runs.get(message["run_id"])
    assert run.status == "failed" and run.reason == "cancelled"


def _receive(url):
    got = sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    return got.get("Messages", [])


def _agent(**changes):
    return settings.override(agent=replace(settings.current().agent, **changes))


def test_worker_reports_retries_and_poison_messages_per_message(rule, aws):
    good = _queued(rule)
    sqs().send_message(QueueUrl=aws["runs"], MessageBody=json.dumps(good))
    sqs().send_message(QueueUrl=aws["runs"], MessageBody="{not json")
    records_ = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
                for m in _receive(aws["runs"])]
    with _agent(backend="no-such-backend"):  # every run fails permanently, fast
        answer = worker.handle_batch(records_, clock=lambda: NOW)
    poison = next(r["messageId"] for r in records_ if r["body"] == "{not json")
    assert answer == {"batchItemFailures": [{"itemIdentifier": poison}]}
    run = repos.runs.get(good["run_id"])
    assert run.status == "failed" and "unknown agent backend" in run.reason


def test_dead_lettered_message_leaves_its_run_failed(rule, aws):
    message = _queued(rule)
    assert worker.handle_dead_letters([{"messageId": "m1", "body": json.dumps(message)},
                                       {"messageId": "m2", "body": "garbage"}], clock=lambda: NOW) == 1
    run = repos.runs.get(message["run_id"])
    assert run.status == "failed" and "dead-lettered" in run.reason


def test_worker_retries_a_transient_model_failure_after_the_backoff(rule, aws):
    with serve(lambda method, path, body: 503) as model_url, _agent(backend="openai",
                                                                    openai_base_url=f"{model_url}/v1"):
        message = _queued(rule)
        sqs().send_message(QueueUrl=aws["runs"], MessageBody=json.dumps(message))
        got = _receive(aws["runs"])
        records_ = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
                    for m in got]
        answer = worker.handle_batch(records_, clock=lambda: NOW)
    assert answer == {"batchItemFailures": [{"itemIdentifier": got[0]["MessageId"]}]}
    run = repos.runs.get(message["run_id"])
    assert run.status == "retrying" and "HTTP 503" in run.reason
    assert _receive(aws["runs"]) == []  # hidden for the 30 s backoff, not redelivered at once


def test_the_overlap_check_reads_a_bounded_page_whatever_the_history(rule, monkeypatch):
    acct = repos.rules.get(rule["id"]).account_id
    for minute in range(40):  # a long history of finished runs
        old = records.new_queued(rule["id"], acct, "schedule", NOW - timedelta(hours=1, minutes=minute))
        old.status = "succeeded"
        repos.runs.add(old)
    message = _queued(rule)
    scanned = []
    from botocore.client import BaseClient
    original = BaseClient._make_api_call

    def count(client, operation, params):
        answer = original(client, operation, params)
        if operation == "Query" and client.meta.service_model.service_name == "dynamodb":
            scanned.append(answer.get("ScannedCount", 0))
        return answer

    monkeypatch.setattr(BaseClient, "_make_api_call", count)
    try:
        worker.process(message, NOW, agent=ScriptedAgent("ok"))
    finally:
        monkeypatch.setattr(BaseClient, "_make_api_call", original)
    assert repos.runs.get(message["run_id"]).status == "succeeded"
    assert len(scanned) == 1 and scanned[0] <= RECENT_RUNS  # one small page: overlap check and query_runs


def test_a_run_reads_its_automation_once_with_the_run_and_its_account(rule):
    """One BatchGetItem to place and start it; the session worked in the
    worker ends on what it read (the lease is checked by the outcome's write)."""
    message = _queued(rule)
    with CallMeter() as meter, meter.counting():
        assert worker.process(message, NOW, agent=ScriptedAgent("ok")).status == "succeeded"
    reads = {key: n for key, n in meter.calls.items()
             if key[0] in ("GetItem", "BatchGetItem", "Query") and "automations" in key[1]}
    assert reads == {("BatchGetItem", "accounts+automations+runs"): 1}


def _waiting_ids(before):
    return {run.id for run in records.waiting_runs(before)}


def test_the_waiting_index_holds_runs_until_they_start_and_again_while_they_wait_to_retry(rule):
    """Queued runs sit in the sparse `waiting` index from their creation; a
    started run leaves it; a retrying run is back in it at the time it is due
    again; an ended run is never in it."""
    later = NOW + timedelta(minutes=5)
    message = _queued(rule)
    other = _queued(rule, at=NOW + timedelta(minutes=10))  # created after the cutoff below
    assert _waiting_ids(later) == {message["run_id"]}
    assert _waiting_ids(NOW + timedelta(minutes=11)) == {message["run_id"], other["run_id"]}

    seen_while_running = []

    def transient(task, session, toolbox):
        seen_while_running.append(_waiting_ids(later))
        raise TransientAgentError("model endpoint answered HTTP 503")

    outcome = worker.process(message, NOW, agent=ScriptedAgent(transient))
    assert outcome.status == "retrying" and seen_while_running == [set()]
    due = NOW + timedelta(seconds=outcome.retry_after)
    assert message["run_id"] not in _waiting_ids(due)  # not yet due back
    assert message["run_id"] in _waiting_ids(due + timedelta(seconds=1))

    assert worker.process(message, due, agent=ScriptedAgent("ok")).status == "succeeded"
    assert message["run_id"] not in _waiting_ids(NOW + timedelta(days=1))
    lifecycle.finish(repos.runs.get(other["run_id"]), "failed", "cancelled", NOW, only_from=("queued",))
    assert _waiting_ids(NOW + timedelta(days=1)) == set()
