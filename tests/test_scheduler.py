"""The scheduler against moto: 15-minute ticks firing local-time rules at
their local hour, a failed tick caught up by the next (once, not twice, within
the look-back, late runs saying so, `scheduler.tick.missed` emitted), the
sweeper sending lost run messages again and giving up after a bounded number,
and GET /status."""
import json
from datetime import UTC, datetime, timedelta

import botocore.exceptions
import hypothesis
import pytest
from hypothesis import strategies as st

from chalicelib import settings, worker
from chalicelib.rules import automations
from chalicelib.runs import catch_up, records, sweeper, tick
from chalicelib.store import repos
from tests import test_local_time
from tests.conftest import receive_all as _receive
from tests.conftest import rule_body

PROMPT = "Summarise the fleet's recent runs."  # no URL: the builtin agent makes no HTTP call
DAY = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday


def _drain(aws) -> list[dict]:
    """All of level 2; returns the run messages sent."""
    while True:
        jobs = _receive(aws["fanout"])
        if not jobs:
            return [json.loads(m["Body"]) for m in _receive(aws["runs"])]
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
                   for m in jobs]
        assert tick.handle_jobs(records) == {"batchItemFailures": []}


def _tick(aws, at, **kw) -> list[dict]:
    tick.scheduler_tick(at, clock=lambda: at + timedelta(seconds=2), **kw)
    return _drain(aws)


def _create(key, trigger, name="rule", at=DAY - timedelta(days=1)) -> str:
    """A scheduled rule, created at `at` (by default the day before the ticks these tests run)."""
    body = rule_body(name=name, task_prompt=PROMPT, triggers=[{"type": "schedule", **trigger}])
    return automations.create(_caller(key), body, at, "http://t", "en-US")[0]["id"]


@pytest.fixture
def no_jitter(aws):
    with settings.override(jitter_seconds=0):
        yield


# --- local-time rules on the quarter-hour ticks ---------------------------------------

def test_local_time_rules_fire_at_their_local_hour_through_the_real_tick(api, owner, aws, no_jitter):
    berlin = _create(owner, {"mode": "daily", "hour": 9, "timezone": "Europe/Berlin"}, "berlin")
    kolkata = _create(owner, {"mode": "daily", "hour": 9, "timezone": "Asia/Kolkata"}, "kolkata")
    weekly = _create(owner, {"mode": "weekly", "hour": 9, "weekday": 1, "timezone": "Asia/Kathmandu"}, "ktm")
    fired = {}
    at = DAY
    while at < DAY + timedelta(days=1):
        for m in _tick(aws, at, catch_up_missed=False):
            fired.setdefault(m["automation_id"], []).append(at)
        at += timedelta(minutes=15)
    assert fired == {kolkata: [DAY.replace(hour=3, minute=30)], weekly: [DAY.replace(hour=3, minute=15)],
                     berlin: [DAY.replace(hour=8)]}
    run = repos.runs.get(tick.scheduled_run_id(kolkata, DAY.replace(hour=3, minute=30)))
    assert run.scheduled_for == "2026-11-23T03:30:00Z" and run.status == "queued"


def test_spring_forward_runs_the_skipped_hour_once_after_the_gap(api, owner, aws, no_jitter):
    day = datetime(2026, 3, 29, tzinfo=UTC)  # 02:00-03:00 does not exist in Berlin
    rule = _create(owner, {"mode": "daily", "hour": 2, "timezone": "Europe/Berlin"}, at=day - timedelta(days=1))
    fired = [at for at in (day + timedelta(minutes=15 * q) for q in range(12))
             for m in _tick(aws, at, catch_up_missed=False) if m["automation_id"] == rule]
    assert fired == [datetime(2026, 3, 29, 1, 0, tzinfo=UTC)]  # 03:00 CEST, the first local time after the gap


def test_custom_rule_with_a_time_zone_is_refused(api, owner):
    body = rule_body(triggers=[{"type": "schedule", "mode": "custom", "cron": "9 * * 1", "timezone": "Asia/Tokyo"}])
    code, data = api.call("POST", "/automations", owner, body)
    assert code == 400 and "custom cron is always read in UTC" in data["Message"]


def test_next_runs_local_shows_utc_and_local_times(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(), status=201)["automation"]
    assert len(rule["next_runs"]) == 5 and [r["utc"] for r in rule["next_runs_local"]] == rule["next_runs"]
    assert all(r["local"].endswith(("+01:00", "+02:00")) and "T09:00:00" in r["local"] and
               r["timezone"] == "Europe/Berlin" for r in rule["next_runs_local"])


# --- catch-up ------------------------------------------------------------------

def _fail_next_tick():
    """The next tick's Lambda dies after reading its state (its queue sends fail)."""
    return settings.override(fanout_queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/gone")


def test_a_failed_tick_is_caught_up_once_by_the_next(api, owner, aws, no_jitter):
    hourly = _create(owner, {"mode": "hourly"}, "hourly")
    watcher = api.ok("POST", "/automations", owner, rule_body(
        name="alert", task_prompt=PROMPT, triggers=[{"type": "event", "expect": ["scheduler.tick.missed"]}]),
        status=201)["automation"]["id"]
    ten, eleven = DAY.replace(hour=10), DAY.replace(hour=11)
    assert [m["automation_id"] for m in _tick(aws, ten)] == [hourly]
    for q in (1, 2, 3):
        _tick(aws, ten + timedelta(minutes=15 * q))
    with _fail_next_tick(), pytest.raises(botocore.exceptions.ClientError):
        tick.scheduler_tick(eleven)
    assert catch_up.last_completed() == ten + timedelta(minutes=45)

    sent = _tick(aws, eleven + timedelta(minutes=15))  # catches up 11:00
    late = [m for m in sent if m["trigger"] == "schedule"]
    assert [m["automation_id"] for m in sent if m["trigger"] == "event"] == [watcher]  # alerted
    assert [m["automation_id"] for m in late] == [hourly]
    run_id = tick.scheduled_run_id(hourly, eleven)
    assert [m["run_id"] for m in late] == [run_id]  # the id it would have had on time
    for m in late:
        worker.process(m, eleven + timedelta(minutes=16))
    run = repos.runs.get(run_id)
    assert run.status == "succeeded" and run.scheduled_for == "2026-11-23T11:00:00Z"
    assert run.reason.startswith("Started late: the scheduler tick of 2026-11-23T11:00:00Z did not complete")

    # once, not twice: the next tick and a redelivery of the catching-up one make nothing new
    assert _tick(aws, eleven + timedelta(minutes=30)) == []
    assert _tick(aws, eleven + timedelta(minutes=15)) == []
    assert len([r for r in repos.runs.every() if r.automation_id == hourly]) == 2  # 10:00 and 11:00

    status = api.ok("GET", "/status", owner)["scheduler"]
    assert status["last_tick"]["tick"] == "2026-11-23T11:30:00Z" and status["last_tick"]["caught_up"] == []
    assert status["last_catch_up"]["tick"] == "2026-11-23T11:15:00Z"
    assert status["last_catch_up"]["caught_up"] == ["2026-11-23T11:00:00Z"]
    events = api.ok("GET", "/events?event=scheduler.tick.missed", owner)["events"]
    assert len(events) == 1 and events[0]["payload"]["caught_up"] == ["2026-11-23T11:00:00Z"]
    # an automation can alert on it
    assert [r.trigger for r in repos.runs.every() if r.automation_id == watcher] == ["event"]


def _miss(aws, at):
    """The tick of `at` dies before queueing its jobs."""
    with _fail_next_tick(), pytest.raises(botocore.exceptions.ClientError):
        tick.scheduler_tick(at)


def test_a_catch_up_fires_no_tick_from_before_the_rule_was_scheduled(api, owner, aws, no_jitter):
    """Created, changed or re-enabled after a missed tick: that tick was never due for it."""
    ten, eleven, noon = DAY.replace(hour=10), DAY.replace(hour=11), DAY.replace(hour=12)
    old = _create(owner, {"mode": "hourly"}, "old")
    renamed = _create(owner, {"mode": "hourly"}, "renamed")
    rescheduled = _create(owner, {"mode": "custom", "cron": "* * * *"}, "rescheduled")
    paused = _create(owner, {"mode": "hourly"}, "paused")
    automations.set_enabled(_caller(owner), paused, False, ten, "http://t")
    assert {m["automation_id"] for m in _tick(aws, ten)} == {old, renamed, rescheduled}
    _miss(aws, eleven)
    late_rule = _create(owner, {"mode": "hourly"}, "new", at=eleven + timedelta(minutes=5))
    later = eleven + timedelta(minutes=6)
    automations.update(_caller(owner), renamed, {"name": "renamed, same schedule"}, later, "http://t")
    automations.update(_caller(owner), rescheduled, {"triggers": [{"type": "schedule", "mode": "hourly"}]},
                       later, "http://t")
    automations.set_enabled(_caller(owner), paused, True, later, "http://t")

    fired = {(m["automation_id"], repos.runs.get(m["run_id"]).scheduled_for) for m in _tick(aws, noon)}
    at_eleven, at_noon = "2026-11-23T11:00:00Z", "2026-11-23T12:00:00Z"
    assert fired == {(old, at_eleven), (renamed, at_eleven), (old, at_noon), (renamed, at_noon),
                     (rescheduled, at_noon), (paused, at_noon), (late_rule, at_noon)}
    assert repos.rules.get(late_rule).scheduled_since == "2026-11-23T11:05:00.000Z"
    assert repos.rules.get(renamed).scheduled_since == "2026-11-22T00:00:00.000Z"  # a rename keeps it


def test_resaving_a_local_time_rule_after_a_clock_change_keeps_its_place(api, owner, aws):
    """Its stored UTC cron follows the zone's offset; the schedule its owner set is the same."""
    berlin = {"type": "schedule", "mode": "daily", "hour": 9, "timezone": "Europe/Berlin"}
    winter, summer = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    rule = _create(owner, berlin, at=winter)
    automations.update(_caller(owner), rule, {"name": "renamed", "triggers": [berlin]}, summer, "http://t")
    saved = repos.rules.get(rule)
    assert saved.triggers[0]["cron"] == "7 * * *" and saved.scheduled_since == "2026-03-01T00:00:00.000Z"


@pytest.fixture
def three_hour_look_back(aws):
    with settings.override(scheduler_lookback_hours=3):
        yield


def test_catch_up_stops_at_the_look_back(api, owner, aws, no_jitter, three_hour_look_back):
    hourly = _create(owner, {"mode": "hourly"})
    _tick(aws, DAY.replace(hour=1))
    messages = _tick(aws, DAY.replace(hour=10))  # 02:00 to 09:45 missed; only 07:00 to 09:45 caught up
    fired = sorted(repos.runs.get(m["run_id"]).scheduled_for for m in messages)
    assert fired == ["2026-11-23T07:00:00Z", "2026-11-23T08:00:00Z", "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z"]
    last = catch_up.view(DAY.replace(hour=10, minute=1))["last_catch_up"]
    assert len(last["caught_up"]) == 12 and last["dropped"] == 23
    assert all(m["automation_id"] == hourly for m in messages)


def test_make_tick_fires_one_tick_and_moves_no_record(api, owner, aws, no_jitter):
    _create(owner, {"mode": "hourly"})
    _tick(aws, DAY.replace(hour=1))
    assert len(_tick(aws, DAY.replace(hour=9), catch_up_missed=False)) == 1
    assert catch_up.last_completed() == DAY.replace(hour=1)


# --- the sweeper -------------------------------------------------------------------

def _queued_api_run(api, owner, aws):
    created = api.ok("POST", "/automations", owner, rule_body(task_prompt=PROMPT), status=201)
    token = created["api_trigger"]["token"]
    trigger_id = created["api_trigger"]["url"].rsplit("/", 1)[1]
    data = api.ok("POST", f"/trigger/{trigger_id}", None, {"text": "x"}, status=202,
                  headers={"Authorization": f"Bearer {token}"})
    return data["run_id"]


def test_the_sweeper_sends_a_queued_runs_lost_message_again(api, owner, aws):
    run_id = _queued_api_run(api, owner, aws)
    assert [json.loads(m["Body"])["run_id"] for m in _receive(aws["runs"])] == [run_id]  # the message is lost
    created = datetime.fromisoformat(repos.runs.get(run_id).created_at.replace("Z", "+00:00"))
    assert sweeper.sweep(created + timedelta(seconds=599)) == {"resent": [], "failed": []}  # not yet
    assert sweeper.sweep(created + timedelta(seconds=601)) == {"resent": [run_id], "failed": []}
    assert sweeper.sweep(created + timedelta(seconds=700)) == {"resent": [], "failed": []}  # once per interval
    (message,) = [json.loads(m["Body"]) for m in _receive(aws["runs"])]
    assert message["run_id"] == run_id
    worker.process(message, created + timedelta(seconds=602))
    assert repos.runs.get(run_id).status == "succeeded"
    worker.process(message, created + timedelta(seconds=603))  # a duplicate delivery changes nothing
    assert repos.runs.get(run_id).attempt == 1
    assert sweeper.sweep(created + timedelta(hours=2)) == {"resent": [], "failed": []}


@pytest.fixture
def two_resends(aws):
    with settings.override(sweep_max_resends=2):
        yield


def test_the_sweeper_gives_up_after_a_bounded_number_of_resends(api, owner, aws, two_resends):
    run_id = _queued_api_run(api, owner, aws)
    start = datetime.fromisoformat(repos.runs.get(run_id).created_at.replace("Z", "+00:00"))
    outcomes = [sweeper.sweep(start + timedelta(seconds=601 * n)) for n in (1, 2, 3)]
    assert outcomes == [{"resent": [run_id], "failed": []}, {"resent": [run_id], "failed": []},
                        {"resent": [], "failed": [run_id]}]
    run = repos.runs.get(run_id)
    assert run.status == "failed" and "sent again 2 time(s), 10 minutes apart" in run.reason
    assert "never picked up" in run.reason and run.waiting is None


def test_the_sweeper_sends_a_retrying_run_past_its_due_time_again(api, owner, aws):
    run_id = _queued_api_run(api, owner, aws)
    _receive(aws["runs"])
    due = DAY + timedelta(hours=1)
    run = repos.runs.get(run_id)
    repos.runs._change(run, {"status": "retrying", "waiting_since": due.strftime("%Y-%m-%dT%H:%M:%S.000Z")}, {})
    assert sweeper.sweep(due + timedelta(seconds=590)) == {"resent": [], "failed": []}
    assert sweeper.sweep(due + timedelta(seconds=610)) == {"resent": [run_id], "failed": []}


def test_a_scheduled_run_whose_message_is_lost_is_swept_too(api, owner, aws, no_jitter):
    rule = _create(owner, {"mode": "hourly"})
    at = DAY.replace(hour=10)
    tick.scheduler_tick(at, catch_up_missed=False)
    _drain(aws)  # the run messages are thrown away
    run_id = tick.scheduled_run_id(rule, at)
    assert repos.runs.get(run_id).status == "queued"
    now = datetime.fromisoformat(repos.runs.get(run_id).created_at.replace("Z", "+00:00")) + timedelta(minutes=11)
    assert sweeper.sweep(now)["resent"] == [run_id]
    (message,) = [json.loads(m["Body"]) for m in _receive(aws["runs"])]
    worker.process(message, now)
    assert repos.runs.get(run_id).status == "succeeded"


def test_a_run_waiting_for_a_runner_of_its_pool_is_not_swept(api, owner, aws):
    run_id = _queued_api_run(api, owner, aws)
    _receive(aws["runs"])
    repos.runs._change(repos.runs.get(run_id), {"pool": "gpu"}, {})  # placed: it waits for a runner to claim it
    created = datetime.fromisoformat(repos.runs.get(run_id).created_at.replace("Z", "+00:00"))
    assert sweeper.sweep(created + timedelta(hours=1)) == {"resent": [], "failed": []}
    assert _receive(aws["runs"]) == []


def test_the_sweep_threshold_is_longer_than_the_jitter_window():
    with settings.override(jitter_seconds=900, sweep_after_seconds=60):
        assert sweeper.sweep_after() == 910


# --- GET /status ------------------------------------------------------------------------

def test_status_for_owner_and_admin_not_for_members(api, people):
    code, data = api.call("GET", "/status", people["alice"]["key"])
    assert code == 403 and data["Message"].startswith("Only the account owner and admins can see the service status")
    assert api.call("GET", "/status")[0] == 401
    for who in ("owner", "admin"):
        body = api.ok("GET", "/status", people[who]["key"])
        assert set(body) >= {"version", "scheduler", "queues", "runs", "checked_at"}


def test_status_shows_queue_depths_the_oldest_wait_and_running_runs(api, owner, aws):
    first = _queued_api_run(api, owner, aws)
    _queued_api_run(api, owner, aws)
    body = api.ok("GET", "/status", owner)
    runs = body["queues"]["runs"]
    assert runs["depth"] == 2 and runs["visible"] == 2 and body["queues"]["dead_letter"]["depth"] == 0
    assert runs["oldest_waiting"]["run_id"] == first and runs["oldest_age_seconds"] >= 0
    assert body["runs"]["running"] == 0 and body["scheduler"]["last_tick"] is None
    run = repos.runs.get(first)
    repos.runs._change(run, {"status": "running", "active": "running", "started_at": "2026-01-01T00:00:00Z",
                             "waiting": None, "waiting_since": None}, {})
    body = api.ok("GET", "/status", owner)
    assert body["runs"]["running"] == 1 and body["runs"]["oldest_running_since"] == "2026-01-01T00:00:00Z"
    assert body["queues"]["runs"]["oldest_waiting"]["run_id"] != first


# --- the real tick's due set, property-based ----------------------------------------

@hypothesis.settings(max_examples=8, deadline=None,
                     suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture,
                                            hypothesis.HealthCheck.too_slow])
@hypothesis.given(aimable=st.lists(st.tuples(test_local_time._triggers, st.booleans()), min_size=1, max_size=6),
                  at=test_local_time._ticks)
def test_the_real_ticks_due_set_is_the_independent_one(api, owner, aws, no_jitter, aimable, at):
    items = test_local_time._aimed(aimable, at)
    # each example starts from nothing: no index entries, no runs (the scheduler's registry of local keys
    # in use may keep keys of earlier examples: a key without entries costs the tick an empty Query, no run)
    repos.schedule.replace_entries(repos.schedule.every_entry(), [])
    for run in repos.runs.every():
        repos.runs.delete(run.id)
    ids = {}
    for i, item in enumerate(items):
        body = rule_body(name=f"r{i}", task_prompt=PROMPT, triggers=[{"type": "schedule", **item}])
        ids[automations.create(_caller(owner), body, at - timedelta(days=40), "http://t", "en-US")[0]["id"]] = item
    sent = {m["automation_id"] for m in _tick(aws, at, catch_up_missed=False)}
    assert sent == {rule_id for rule_id, item in ids.items() if test_local_time._independently_due(item, at)}


def _caller(key):
    from chalicelib.identity.caller import authenticate
    return authenticate({"authorization": f"Bearer {key}"})


@pytest.fixture
def jitter_900(aws):
    with settings.override(jitter_seconds=900):
        yield


def test_a_scheduled_run_waiting_out_its_start_offset_is_not_late_to_start(api, owner, aws, jitter_900):
    from chalicelib.runs import late_start
    rule = _create(owner, {"mode": "hourly"})
    api.ok("POST", "/automations", owner, rule_body(name="start SLA", task_prompt=PROMPT, triggers=[{
        "type": "event", "posture": "proactive", "after": ["automation.run.queued"],
        "expect": ["automation.run.running"], "within": 60, "match": {"resource.id": rule}}]), status=201)
    at = DAY.replace(hour=10)
    tick.scheduler_tick(at, clock=lambda: at, catch_up_missed=False)
    _drain(aws)  # fan-out: the run is saved queued, its message delayed by its offset
    run = repos.runs.get(tick.scheduled_run_id(rule, at))
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # as if the fan-out had run at the tick, not today
    repos.runs._change(run, {"created_at": stamp, "waiting_since": stamp}, {})
    due = at + timedelta(seconds=records.jitter_of(rule))
    assert records.start_due(run) == due and run.status == "queued"
    assert late_start.check(due + timedelta(seconds=30)) == []  # queued since the tick, but not yet due + 60 s
    [fired] = late_start.check(due + timedelta(seconds=70))
    assert fired.trigger_event["payload"]["run_id"] == run.id
