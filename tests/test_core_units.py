"""The lifecycle, notify and the tick on the in-memory repositories: fast
unit tests of the core (no moto), with a recording publisher of run events
handed in, so each test sees exactly which run events were emitted."""
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import settings, store, worker
from chalicelib.errors import Invalid
from chalicelib.identity.caller import Caller
from chalicelib.rules import automations
from chalicelib.runs import lifecycle, notify, queue, records, tick
from chalicelib.store import repos
from chalicelib.store.records import Account
from sre_agent.agents.base import AgentOutcome, TransientAgentError

NOW = datetime(2026, 11, 23, 10, 7, tzinfo=UTC)


class Recorded:
    """A publisher of run events that keeps them instead of recording events and firing triggers."""

    def __init__(self):
        self.seen: list[tuple[str, str, str | None]] = []

    def emit(self, run, status, reason, now, name=None, watched=True):
        self.seen.append((run.id, status, reason))


class Answers:
    """An agent backend that answers from a script: an outcome, or an exception, per call."""
    type = "scripted"
    system_prompt = None

    def __init__(self, *script):
        self.script = list(script)

    def run(self, task, session, toolbox):
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        session.message("assistant", step.summary)
        return step


@pytest.fixture
def memory():
    """In-memory repositories and the settings of a worker that works sessions inline, without jitter."""
    before = store.use(store.memory_repositories())
    loopback = replace(settings.current().outbound, allow_loopback=True)  # the sends go to a closed local port
    with settings.override(cloud_sandbox="inline", jitter_seconds=0, retry_base_seconds=30, max_attempts=3,
                           public_base_url="http://testserver",
                           agent=replace(settings.current().agent, outbound=loopback)):
        yield store.active()
    store.use(before)


@pytest.fixture
def caller(memory):
    repos.accounts.create(Account("acc_1", name="a", created_at="2026-11-01T00:00:00Z", markers=True,
                                  has_runners=False))
    return Caller(user_id="usr_1", account_id="acc_1", role="owner", email="owner@example.com")


def _rule(caller, at=NOW, **body):
    created, _ = automations.create(caller, {"name": "check", "task_prompt": "Summarise.", "team_id": 0,
                                             "triggers": [{"type": "api"}], **body}, at, "http://testserver",
                                    "en-US")
    return repos.rules.get(created["id"])


def _queue_run(rule, at=NOW):
    run = records.new_queued(rule.id, rule.account_id, "manual", at)
    queue.enqueue(run)
    return run


def _work(run, agent, events, at=NOW):
    return worker.process(queue.run_message(run), at, agent=agent, events=events)


def test_a_queued_run_runs_to_succeeded_with_its_events_and_session(caller):
    rule, events = _rule(caller), Recorded()
    run = _queue_run(rule)
    outcome = _work(run, Answers(AgentOutcome(summary="all good")), events)
    stored = repos.runs.get(run.id)
    assert outcome.status == "succeeded" and stored.status == "succeeded" and stored.reason is None
    assert [status for _, status, _ in events.seen] == ["running", "succeeded"]
    items = list(repos.sessions.items(stored.session_id))
    assert items[0].kind == "header" and any('"all good"' in i.data for i in items)
    assert _work(run, Answers(), events).status == "succeeded"  # a second delivery changes nothing
    assert len(events.seen) == 2


def test_a_disabled_rule_skips_its_queued_run_saying_why(caller):
    rule, events = _rule(caller), Recorded()
    run = _queue_run(rule)
    automations.set_enabled(caller, rule.id, False, NOW, "")
    assert _work(run, Answers(), events).status == "skipped"
    reason = "The automation was disabled before this run started."
    assert repos.runs.get(run.id).reason == reason and events.seen == [(run.id, "skipped", reason)]


def test_overlap_skip_leaves_the_second_run_skipped_while_the_first_runs(caller):
    rule, events = _rule(caller), Recorded()
    first, second = _queue_run(rule), _queue_run(rule, NOW + timedelta(seconds=1))
    assert lifecycle.start(repos.runs.get(first.id), rule, {"type": "cloud_sandbox"}, NOW, events=events)
    assert _work(second, Answers(), events).status == "skipped"
    assert repos.runs.get(second.id).reason == f"The previous run {first.id} is still running (overlap policy: skip)."


def test_transient_failures_back_off_then_give_up(caller):
    rule, events = _rule(caller), Recorded()
    run = _queue_run(rule)
    delays = []
    for attempt in range(3):
        outcome = _work(run, Answers(TransientAgentError("model busy")), events, NOW + timedelta(minutes=attempt))
        delays.append(outcome.retry_after)
    stored = repos.runs.get(run.id)
    assert delays == [30, 60, None] and stored.status == "failed"
    assert stored.reason == "Gave up after 3 attempts: model busy"
    assert [status for _, status, _ in events.seen] == ["running", "retrying", "running", "retrying", "running",
                                                         "failed"]


def test_finish_under_another_lease_changes_nothing_and_emits_nothing(caller):
    rule, events = _rule(caller), Recorded()
    run = _queue_run(rule)
    assert lifecycle.start(run, rule, {"type": "cloud_sandbox"}, NOW, events=events)
    ended = lifecycle.finish(run, "succeeded", None, NOW, rule=rule, guard=lifecycle.Guard(lease_hash="not its"),
                             events=events)
    assert not ended and repos.runs.get(run.id).status == "running"
    assert [status for _, status, _ in events.seen] == ["running"]


def test_a_failed_run_queues_its_actions_with_the_status_change(caller):
    rule = _rule(caller, actions=[{"type": "webhook", "url": "http://127.0.0.1:9/hook", "on": ["failed"],
                                   "retries": 0}])
    events, run = Recorded(), _queue_run(rule)
    repos.queues.drain(queue.RUNS)
    lifecycle.start(run, rule, {"type": "cloud_sandbox"}, NOW, events=events)
    assert lifecycle.finish(run, "failed", "it broke", NOW, rule=rule, events=events)
    stored = repos.runs.get(run.id)
    assert stored.action_results["failed:0"]["status"] == "queued"
    (message,) = repos.queues.drain(queue.RUNS)
    assert (message["kind"], message["outcome"], message["index"]) == ("action", "failed", 0)
    assert message["event"]["event"] == "automation.run.failed"


def test_a_succeeded_action_that_fails_for_good_turns_the_run_partial(caller):
    rule = _rule(caller, actions=[{"type": "webhook", "url": "http://127.0.0.1:9/hook", "on": ["succeeded"],
                                   "retries": 0},
                                  {"type": "webhook", "url": "http://127.0.0.1:9/other", "on": ["partial"]}])
    events, run = Recorded(), _queue_run(rule)
    lifecycle.start(run, rule, {"type": "cloud_sandbox"}, NOW, events=events)
    lifecycle.finish(run, "succeeded", None, NOW, rule=rule, events=events)
    repos.queues.drain(queue.RUNS)
    send = {"kind": "action", "run_id": run.id, "automation_id": rule.id, "account_id": rule.account_id,
            "index": 0, "type": "webhook", "outcome": "succeeded", "event": {"id": "e"}, "attempt": 1}
    record = notify.deliver(send, NOW, events)
    stored = repos.runs.get(run.id)
    assert record["status"] == "failed" and "cannot reach 127.0.0.1" in record["error"]
    assert stored.status == "partial" and stored.reason.startswith("1 of 1 action(s) failed: webhook:")
    assert [status for _, status, _ in events.seen] == ["running", "succeeded", "partial"]
    (partial_send,) = repos.queues.drain(queue.RUNS)
    assert (partial_send["outcome"], partial_send["index"]) == ("partial", 1)


def test_a_transient_send_failure_is_queued_again_after_its_backoff(caller):
    rule = _rule(caller, actions=[{"type": "webhook", "url": "http://127.0.0.1:9/hook", "on": ["failed"],
                                   "retries": 2}])
    events, run = Recorded(), _queue_run(rule)
    lifecycle.start(run, rule, {"type": "cloud_sandbox"}, NOW, events=events)
    lifecycle.finish(run, "failed", "broke", NOW, rule=rule, events=events)
    (send,) = [m for m in repos.queues.drain(queue.RUNS) if m.get("kind") == "action"]
    record = notify.deliver(send, NOW, events)
    assert record["status"] == "retrying" and 15 <= record["retry_in"] <= 30  # 30 s backoff, equal jitter
    ((again, delay),) = repos.queues.sent[queue.RUNS]
    assert again["attempt"] == 2 and delay == record["retry_in"]


def _scheduled(caller, cron="10 * * *", at=NOW):
    return _rule(caller, at, triggers=[{"type": "schedule", "mode": "custom", "cron": cron}])


def _fan_out_all(now):
    """Work the fan-out queue (follow-up jobs included) as the fan_out function does."""
    results = []
    while repos.queues.sent.get(tick.FANOUT):
        for job in repos.queues.drain(tick.FANOUT):
            results.append(tick.fan_out(job, clock=lambda: now))
    return results


def test_the_tick_queues_runs_for_the_due_rules_only_once(caller):
    hour = NOW.replace(minute=0)
    due, not_due = _scheduled(caller, at=hour - timedelta(minutes=30)), _scheduled(caller, "11 * * *")
    summary = tick.scheduler_tick(hour, clock=lambda: hour, catch_up_missed=False)
    assert summary["jobs"] == 16 * settings.current().schedule_shards
    _fan_out_all(hour)
    runs = {r.automation_id: r for r in repos.runs.every()}
    assert set(runs) == {due.id} and runs[due.id].scheduled_for == "2026-11-23T10:00:00Z"
    assert runs[due.id].id == tick.scheduled_run_id(due.id, hour) and not_due.id not in runs
    messages = repos.queues.drain(queue.RUNS)
    assert [m["run_id"] for m in messages if m.get("kind") != "action"] == [runs[due.id].id]
    tick.scheduler_tick(hour, clock=lambda: hour, catch_up_missed=False)  # the same tick delivered again
    _fan_out_all(hour)
    assert len(repos.runs.every()) == 1


def test_a_tick_catches_up_a_missed_one_but_not_for_a_rule_scheduled_after_it(caller):
    nine, ten = NOW.replace(hour=9, minute=0), NOW.replace(minute=0)
    old = _scheduled(caller, "* * * *", at=nine - timedelta(hours=1))
    tick.scheduler_tick(nine - timedelta(minutes=15), clock=lambda: nine)  # the last completed tick: 08:45
    _fan_out_all(nine)
    for run in repos.runs.every():
        repos.runs.delete(run.id)
    newer = automations.create(caller, {"name": "new", "task_prompt": "p", "team_id": 0,
                                        "triggers": [{"type": "schedule", "mode": "hourly"}]},
                               nine + timedelta(minutes=20), "", "en-US")[0]
    summary = tick.scheduler_tick(ten, clock=lambda: ten)  # 09:00 .. 09:45 were missed
    assert summary["caught_up"] == ["2026-11-23T09:00:00Z", "2026-11-23T09:15:00Z", "2026-11-23T09:30:00Z",
                                    "2026-11-23T09:45:00Z"]
    _fan_out_all(ten)
    at_nine = [r for r in repos.runs.every() if r.scheduled_for == "2026-11-23T09:00:00Z"]
    assert [r.automation_id for r in at_nine] == [old.id]
    assert at_nine[0].reason.startswith("Started late: the scheduler tick of 2026-11-23T09:00:00Z did not complete")
    assert {r.automation_id for r in repos.runs.every() if r.scheduled_for == "2026-11-23T10:00:00Z"} == \
        {old.id, newer["id"]}
    assert repos.schedule.tick("last").slot == "2026-11-23T10:00:00Z"


def test_a_rule_scheduled_in_the_second_of_a_missed_tick_is_not_caught_up_for_it(caller):
    nine, ten = NOW.replace(hour=9, minute=0), NOW.replace(minute=0)
    tick.scheduler_tick(nine - timedelta(minutes=15), clock=lambda: nine)  # the last completed tick: 08:45
    _fan_out_all(nine)
    exactly = _scheduled(caller, "* * * *", at=nine)  # created at 09:00:00.000, the missed tick's own time
    before = _scheduled(caller, "* * * *", at=nine - timedelta(milliseconds=1))
    assert automations.automation_json(exactly, caller, "", nine)["next_runs"][0] == "2026-11-23T10:00:00Z"
    tick.scheduler_tick(ten, clock=lambda: ten)
    _fan_out_all(ten)
    at_nine = {r.automation_id for r in repos.runs.every() if r.scheduled_for == "2026-11-23T09:00:00Z"}
    assert at_nine == {before.id}  # as next_runs said: the first run strictly after it was scheduled


def test_a_late_tick_skips_a_rule_created_between_its_time_and_its_delivery(caller):
    nine = NOW.replace(hour=9, minute=0)
    daily = {"type": "schedule", "mode": "daily", "hour": 9, "timezone": "UTC"}
    early = _rule(caller, nine - timedelta(seconds=1), triggers=[daily])
    late = _rule(caller, nine + timedelta(seconds=20), triggers=[daily])
    assert automations.automation_json(late, caller, "", nine + timedelta(seconds=20))["next_runs"][0] == \
        "2026-11-24T09:00:00Z"  # tomorrow
    delivered = nine + timedelta(seconds=30)  # EventBridge delivers the 09:00 tick half a minute late
    tick.scheduler_tick(delivered, clock=lambda: delivered, catch_up_missed=False)
    _fan_out_all(delivered)
    assert {r.automation_id for r in repos.runs.every()} == {early.id}


def test_a_weekly_trigger_takes_7_as_sunday_like_cron(caller):
    weekly = _rule(caller, triggers=[{"type": "schedule", "mode": "weekly", "hour": 9, "weekday": 7,
                                      "timezone": "Europe/Berlin"}])
    shown = automations.automation_json(weekly, caller, "", NOW)
    assert shown["triggers"][0]["weekday"] == 0
    assert shown["next_runs"][0] == "2026-11-29T08:00:00Z"  # Sunday 29 November, 09:00 in Berlin
    with pytest.raises(Invalid) as refused:
        _rule(caller, triggers=[{"type": "schedule", "mode": "weekly", "hour": 9, "weekday": 8, "timezone": "UTC"}])
    assert refused.value.field == "triggers[0].weekday"
