"""The scheduler tick against moto: level 1 (`scheduler_tick`: one fan-out job per due
(key, shard)), level 2 (`fan_out`/`handle_jobs`: one page of one partition,
run messages for its due rules, a follow-up job with a cursor), the stable run
id per (rule, hour), the start-time jitter, and the rule that the tick never
scans. The rules here are made now, by the wall clock, and the ticks are of a
fixed time before that: the ticks are `manual` (as `make tick AT=…`), which fire
every rule scheduled now; tests/test_scheduler.py and tests/test_core_units.py
check that the scheduler's own ticks fire only rules scheduled before their time."""
import json
from datetime import UTC, datetime, timedelta

import pytest

from bench.aws_calls import CallMeter
from chalicelib import settings, worker
from chalicelib.identity import directory
from chalicelib.identity.caller import Caller
from chalicelib.rules import automations, schedule_index
from chalicelib.runs import records, tick
from chalicelib.store import repos
from tests.conftest import receive_all as _receive
from tests.conftest import rule_body, sqs

# Monday 23 November 2026, 10:xx UTC: hour 10, day-of-month 23, month 11, day-of-week 1.
AT = datetime(2026, 11, 23, 10, 7, 42, tzinfo=UTC)  # in the 10:00 tick
HOUR = AT.replace(minute=0, second=0)
LATER = HOUR + timedelta(minutes=30)
PROMPT = "Summarise the fleet's recent runs."  # no URL: the builtin agent makes no HTTP call

DUE = {
    "every hour": "* * * *",
    "hour": "10 * * *",
    "day-of-month": "* 23 * *",
    "month": "* * 11 *",
    "day-of-week": "* * * 1",
    "hour+dom+month": "10 23 11 *",
    "dom and dow, due through dom only": "10 23 11 3",
    "dom and dow, due through dow only": "10 5 11 1",
    "dom and dow, due through both": "10 23 11 1",
    "hour+month+dow": "10 * 11 1",
}
NOT_DUE = {
    "other hour": "11 * * *",
    "other day-of-month": "* 24 * *",
    "other month": "* * 12 *",
    "other day-of-week": "* * * 2",
    "Sunday as 7": "* * * 7",
    "dom and dow, neither": "10 5 11 3",
    "dom and dow, right days, other month": "10 23 12 1",
    "dom and dow, right days, other hour": "9 23 11 1",
    "hour matches, dom does not": "10 22 * *",
}


# --- helpers -------------------------------------------------------------------

def _drain_fanout(aws, use_handle_jobs: bool = True) -> list[tuple[dict, dict | None]]:
    """Level 2: work the fan-out queue until it is empty (follow-up jobs included).
    Returns (job, fan_out result) pairs; results are None through handle_jobs."""
    done = []
    for _ in range(1_000):
        msgs = _receive(aws["fanout"])
        if not msgs:
            return done
        if use_handle_jobs:
            records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
                       for m in msgs]
            assert tick.handle_jobs(records) == {"batchItemFailures": []}
            done += [(json.loads(m["Body"]), None) for m in msgs]
        else:
            for m in msgs:
                job = json.loads(m["Body"])
                done.append((job, tick.fan_out(job)))
    raise AssertionError("the fan-out queue did not drain")


def _tick(aws, at=AT, use_handle_jobs: bool = True) -> list[dict]:
    """One whole tick: level 1, all of level 2; returns the run messages' bodies."""
    jobs = tick.scheduler_tick(at, catch_up_missed=False, manual=True)["jobs"]
    assert jobs == 16 * settings.current().schedule_shards
    _drain_fanout(aws, use_handle_jobs)
    return [json.loads(m["Body"]) for m in _receive(aws["runs"])]


def _process_all(messages: list[dict]) -> None:
    for message in messages:
        worker.process(message, LATER)


def _create(api, owner, cron: str, name: str = "rule") -> str:
    body = rule_body(name=name, task_prompt=PROMPT,
                     triggers=[{"type": "schedule", "mode": "custom", "cron": cron}])
    return api.ok("POST", "/automations", owner, body, status=201)["automation"]["id"]


@pytest.fixture
def no_jitter(aws):
    with settings.override(jitter_seconds=0):  # run messages visible at once in moto
        yield


@pytest.fixture
def caller(aws):
    user, _ = directory.create_account("Tick account", "tick@example.com", HOUR)
    return Caller(user_id=user.id, account_id=user.account_id, role="owner", email=user.email)


def _create_direct(caller, cron: str, name: str = "rule") -> str:
    body = {"name": name, "task_prompt": PROMPT, "triggers": [{"type": "schedule", "mode": "custom", "cron": cron}]}
    return automations.create(caller, body, HOUR - timedelta(days=1), "http://testserver", "en-US")[0]["id"]


@pytest.fixture
def sent_batches():
    """SendMessageBatch params as the code passes them to boto3, captured with a
    botocore hook (`before-parameter-build`: the API parameters, not the wire body)."""
    calls = []

    def capture(params, model, **_):
        if model.name == "SendMessageBatch":
            calls.append(json.loads(json.dumps(params)))

    events = sqs().meta.events
    events.register("before-parameter-build.sqs.SendMessageBatch", capture, unique_id="test_tick.capture")
    yield calls
    events.unregister("before-parameter-build.sqs.SendMessageBatch", unique_id="test_tick.capture")


def _run_entries(calls: list[dict], runs_url: str) -> list[dict]:
    return [entry for call in calls if call["QueueUrl"] == runs_url for entry in call["Entries"]]


# --- level 1 -------------------------------------------------------------------

@pytest.fixture
def with_shards(aws, shards):
    """SCHEDULE_SHARDS as the test's `shards` parameter."""
    with settings.override(schedule_shards=int(shards)):
        yield


@pytest.fixture
def one_shard(aws):
    with settings.override(schedule_shards=1):
        yield


@pytest.mark.parametrize("shards", ["1", "3", "8"])
def test_hourly_queues_one_job_per_due_key_and_shard(aws, with_shards, shards):
    assert tick.scheduler_tick(AT, manual=True)["jobs"] == 16 * int(shards)
    jobs = [json.loads(m["Body"]) for m in _receive(aws["fanout"])]
    assert len(jobs) == 16 * int(shards)
    assert sorted(j["slot"] for j in jobs) == sorted(schedule_index.due_slots(HOUR, schedule_index.in_use()))
    assert len({j["slot"] for j in jobs}) == 16 * int(shards)
    assert {j["at"] for j in jobs} == {"2026-11-23T10:00:00Z"}
    assert _receive(aws["runs"]) == []


def test_due_keys_cover_each_segment_or_star():
    keys = schedule_index.cron_keys(AT)
    assert len(keys) == 16 and len(set(keys)) == 16
    assert "10 23 11 1" in keys and "* * * *" in keys and "10 * * 1" in keys and "* 23 11 *" in keys


# --- level 2: which rules get a run message ----------------------------------------

def test_tick_sends_runs_for_exactly_the_due_rules(api, owner, aws, no_jitter):
    due = {name: _create(api, owner, c, name) for name, c in DUE.items()}
    not_due = {name: _create(api, owner, c, name) for name, c in NOT_DUE.items()}
    disabled = _create(api, owner, "* * * *", "disabled")
    api.ok("POST", f"/automations/{disabled}/disable", owner)
    created_disabled = api.ok("POST", "/automations", owner, rule_body(
        name="created disabled", task_prompt=PROMPT, enabled=False,
        triggers=[{"type": "schedule", "mode": "custom", "cron": "10 * * *"}]), status=201)["automation"]["id"]
    deleted = _create(api, owner, "10 23 11 1", "deleted")
    api.ok("DELETE", f"/automations/{deleted}", owner, status=204)
    moved = _create(api, owner, "10 * * *", "moved to 11:00")
    api.ok("PATCH", f"/automations/{moved}", owner,
           {"triggers": [{"type": "schedule", "mode": "custom", "cron": "11 * * *"}]})
    reenabled = _create(api, owner, "* * 11 *", "disabled then enabled")
    api.ok("POST", f"/automations/{reenabled}/disable", owner)
    api.ok("POST", f"/automations/{reenabled}/enable", owner)
    due["disabled then enabled"] = reenabled

    # Disabled and deleted rules are not in the index at all.
    indexed = {e.automation_id for e in repos.schedule.every_entry()}
    assert not indexed & {disabled, created_disabled, deleted}
    both_days = due["dom and dow, due through both"]
    assert len([e for e in repos.schedule.every_entry() if e.automation_id == both_days]) == 2

    messages = _tick(aws)
    by_rule = {}
    for m in messages:
        by_rule.setdefault(m["automation_id"], []).append(m)
    assert set(by_rule) == set(due.values()), {n for n, i in {**due, **not_due}.items()
                                              if (i in by_rule) != (n in due)}
    for name, rule_id in due.items():
        want = tick.scheduled_run_id(rule_id, HOUR)
        assert {m["run_id"] for m in by_rule[rule_id]} == {want}, name
        assert all(m["trigger"] == "schedule" for m in by_rule[rule_id])
        # saved queued by the fan-out before its message was sent
        assert repos.runs.get(want).status == "queued" and repos.runs.get(want).scheduled_for == "2026-11-23T10:00:00Z"
    # Filed under `10 23 11 *` and `10 * 11 1`, both due today: two messages, one run id.
    both = by_rule[due["dom and dow, due through both"]]
    assert len(both) == 2 and len({m["run_id"] for m in both}) == 1
    assert all(len(by_rule[i]) == 1 for n, i in due.items() if n != "dom and dow, due through both")

    _process_all(messages)
    runs = list(repos.runs.every())
    assert sorted(r.id for r in runs) == sorted(tick.scheduled_run_id(i, HOUR) for i in due.values())
    assert {r.status for r in runs} == {"succeeded"}, [(r.automation_id, r.status, r.reason) for r in runs]
    assert {r.scheduled_for for r in runs} == {"2026-11-23T10:00:00Z"}
    assert {r.trigger for r in runs} == {"schedule"}


def test_dom_and_dow_rule_on_a_day_matching_neither_is_not_run(api, owner, aws, no_jitter):
    rule_id = _create(api, owner, "10 23 11 1")
    assert _tick(aws, at=datetime(2026, 11, 24, 10, tzinfo=UTC)) == []  # Tuesday the 24th
    assert [m["automation_id"] for m in _tick(aws, at=datetime(2026, 11, 30, 10, tzinfo=UTC))] == [rule_id]  # Monday
    assert [m["automation_id"] for m in _tick(aws, at=datetime(2026, 11, 23, 10, tzinfo=UTC))] == [rule_id] * 2


def test_same_tick_twice_makes_one_run_per_due_rule(api, owner, aws, no_jitter):
    due = [_create(api, owner, c, n) for n, c in DUE.items()]
    _create(api, owner, "11 * * *", "not due")
    first = _tick(aws)
    second = _tick(aws, at=AT + timedelta(minutes=5))  # a late redelivery of the same tick
    assert sorted(m["run_id"] for m in first) == sorted(m["run_id"] for m in second)
    assert len(first) == len(due) + 1  # the both-days rule twice
    _process_all(first + second + first)
    runs = list(repos.runs.every())
    assert len(runs) == len(due)
    assert sorted(r.id for r in runs) == sorted(tick.scheduled_run_id(i, HOUR) for i in due)
    assert {r.status for r in runs} == {"succeeded"}


def test_next_hour_is_a_new_run(api, owner, aws, no_jitter):
    rule_id = _create(api, owner, "* * * *")
    _process_all(_tick(aws) + _tick(aws, at=AT + timedelta(hours=1)))
    assert sorted(r.id for r in repos.runs.every()) == sorted(
        [tick.scheduled_run_id(rule_id, HOUR), tick.scheduled_run_id(rule_id, HOUR + timedelta(hours=1))])


def test_rule_disabled_after_the_tick_is_skipped_not_run(api, owner, aws, no_jitter):
    rule_id = _create(api, owner, "* * * *")
    messages = _tick(aws)
    api.ok("POST", f"/automations/{rule_id}/disable", owner)
    _process_all(messages)
    (run,) = repos.runs.every()
    assert run.status == "skipped" and "disabled" in run.reason


def test_fan_out_job_delivered_twice_sends_the_same_run_ids(caller, aws, no_jitter):
    ids = [_create_direct(caller, "10 * * *", f"r{i}") for i in range(4)]
    job = {"slot": f"10 * * *#{schedule_index.shard_of(ids[0])}", "at": "2026-11-23T10:00:00Z", "manual": True}
    assert tick.fan_out(job)["sent"] >= 1
    assert tick.fan_out(job)["sent"] >= 1
    messages = [json.loads(m["Body"]) for m in _receive(aws["runs"])]
    assert len(messages) == 2 * len({m["run_id"] for m in messages})
    _process_all(messages)
    assert len(list(repos.runs.every())) == len({m["run_id"] for m in messages})


def test_a_bad_job_is_reported_alone(caller, aws, no_jitter):
    rule_id = _create_direct(caller, "* * * *")
    good = {"slot": f"* * * *#{schedule_index.shard_of(rule_id)}", "at": "2026-11-23T10:00:00Z", "manual": True}
    records = [{"messageId": "bad", "receiptHandle": "x", "body": json.dumps({"at": "2026-11-23T10:00:00Z"})},
               {"messageId": "good", "receiptHandle": "y", "body": json.dumps(good)}]
    assert tick.handle_jobs(records) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert [json.loads(m["Body"])["automation_id"] for m in _receive(aws["runs"])] == [rule_id]


# --- jitter ----------------------------------------------------------------------

@pytest.fixture
def jitter_300(aws):
    with settings.override(jitter_seconds=300):
        yield


def test_jitter_is_the_rules_stable_offset(api, owner, aws, jitter_300, sent_batches):
    ids = [_create(api, owner, c, n) for n, c in DUE.items()]
    ids += [_create(api, owner, "* * * *", f"extra {i}") for i in range(10)]
    tick.scheduler_tick(AT, catch_up_missed=False, manual=True)
    _drain_fanout(aws)
    first = _run_entries(sent_batches, aws["runs"])
    assert len(first) == len(ids) + 1
    delays = {}
    for entry in first:
        rule_id = json.loads(entry["MessageBody"])["automation_id"]
        assert entry["DelaySeconds"] == records.jitter_of(rule_id)
        assert 0 <= entry["DelaySeconds"] < 300
        assert delays.setdefault(rule_id, entry["DelaySeconds"]) == entry["DelaySeconds"]
    assert set(delays) == set(ids)
    assert len(set(delays.values())) > 1  # spread, not all at one second

    # moto holds them delayed: none visible yet, all counted as delayed.
    attrs = sqs().get_queue_attributes(QueueUrl=aws["runs"], AttributeNames=["All"])["Attributes"]
    delayed = sum(1 for e in first if e["DelaySeconds"] > 0)
    assert int(attrs["ApproximateNumberOfMessagesDelayed"]) == delayed
    assert int(attrs["ApproximateNumberOfMessages"]) == len(first) - delayed

    sent_batches.clear()  # the next hour: the same offset per rule
    tick.scheduler_tick(AT + timedelta(hours=1), catch_up_missed=False, manual=True)
    _drain_fanout(aws)
    again = {json.loads(e["MessageBody"])["automation_id"]: e["DelaySeconds"]
             for e in _run_entries(sent_batches, aws["runs"])}
    assert len(again) >= 12  # the hour-independent rules, the ten extras among them
    assert again == {rule_id: delays[rule_id] for rule_id in again}


def test_jitter_zero_sends_without_delay(api, owner, aws, no_jitter, sent_batches):
    ids = [_create(api, owner, c, n) for n, c in DUE.items()]
    tick.scheduler_tick(AT, catch_up_missed=False, manual=True)
    _drain_fanout(aws)
    entries = _run_entries(sent_batches, aws["runs"])
    assert len(entries) == len(ids) + 1
    assert {e["DelaySeconds"] for e in entries} == {0}
    assert len(_receive(aws["runs"])) == len(ids) + 1


@pytest.mark.parametrize("window,expected", [("0", 0), ("-5", 0), ("1", 0)])
def test_jitter_of_degenerate_windows(window, expected):
    with settings.override(jitter_seconds=int(window)):
        assert records.jitter_of("aut_x") == expected


def test_jitter_window_is_capped_at_the_sqs_maximum():
    with settings.override(jitter_seconds=5000):
        assert all(0 <= records.jitter_of(f"aut_{i}") < 900 for i in range(300))


# --- pagination --------------------------------------------------------------------

@pytest.mark.parametrize("count", [7, 6])
def test_fan_out_pages_with_a_cursor(caller, aws, monkeypatch, no_jitter, one_shard, count):
    monkeypatch.setattr(tick, "PAGE", 3)
    ids = [_create_direct(caller, "10 * * *", f"r{i}") for i in range(count)]
    not_due = _create_direct(caller, "11 * * *", "not due")
    assert tick.scheduler_tick(AT, manual=True)["jobs"] == 16
    jobs = _drain_fanout(aws, use_handle_jobs=False)
    slot_jobs = [(job, result) for job, result in jobs if job["slot"] == "10 * * *#0"]
    first, *follow_ups = slot_jobs
    assert "cursor" not in first[0] and first[1] == {"read": 3, "sent": 3, "created": 3, "more": True}
    assert all(job.get("cursor") for job, _ in follow_ups)
    assert sum(result["read"] for _, result in slot_jobs) == count
    assert len(follow_ups) >= -(-count // 3) - 1
    assert slot_jobs[-1][1]["more"] is False
    assert all(result["read"] <= 3 for _, result in jobs)

    messages = [json.loads(m["Body"]) for m in _receive(aws["runs"])]
    assert sorted(m["automation_id"] for m in messages) == sorted(ids)
    assert not_due not in {m["automation_id"] for m in messages}
    _process_all(messages)
    assert len(list(repos.runs.every())) == count


# --- the tick never scans -----------------------------------------------------------

def test_tick_reads_the_index_only_by_query(api, owner, aws, no_jitter, monkeypatch):
    monkeypatch.setattr(tick, "PAGE", 2)
    for name, c in {**DUE, **NOT_DUE}.items():
        _create(api, owner, c, name)
    for i in range(5):
        _create(api, owner, "10 * * *", f"paged {i}")
    with CallMeter() as meter, meter.counting():
        messages = _tick(aws)
    operations = [op for (op, table), n in meter.calls.items() if table == "schedule-index" for _ in range(n)]
    assert len(messages) == len(DUE) + 5 + 1
    assert operations and set(operations) == {"Query"}, operations
    assert len(operations) >= 16 * settings.current().schedule_shards
