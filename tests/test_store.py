"""The repositories: each named conditional write and each read, on DynamoDB
(moto) and on the in-memory twins, with the same expectations, so a unit test
of the core on the twins says what the service does on DynamoDB."""
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib import store
from chalicelib.clock import iso, iso_ms
from chalicelib.store import BadCursor, ConditionFailed
from chalicelib.store.records import (
    Account,
    ApiKey,
    Event,
    EventWindow,
    Rule,
    RuleIndex,
    Run,
    ScheduleEntry,
    SessionItem,
    Team,
    Tick,
    TriggerEntry,
    TriggerToken,
    User,
)
from chalicelib.store.rules import RuleFilter, RuleWrite
from chalicelib.store.runs import pool_key, waiting_shard
from tests.conftest import NOW


@pytest.fixture(params=["dynamodb", "memory"])
def repos(request):
    """One set of repositories: DynamoDB on moto (emptied) or fresh in-memory twins."""
    if request.param == "dynamodb":
        request.getfixturevalue("aws")
        yield store.active()
    else:
        before = store.use(store.memory_repositories())
        yield store.active()
        store.use(before)


def _run(run_id="run_1", status="queued", minutes=0, automation_id="aut_1", **fields) -> Run:
    at = NOW + timedelta(minutes=minutes)
    return Run(run_id, automation_id=automation_id, account_id="acc_1", trigger="manual", status=status,
               created_at=iso_ms(at), expires_at=NOW + timedelta(days=180), **fields)


def _started(repos, run: Run, lease_hash="h1", until="2026-11-23T10:01:00.000Z") -> Run:
    return repos.runs.start(run, attempt=1, session_id="ses_1", environment={"type": "cloud_sandbox"},
                            started_at=iso(NOW), heartbeat_at=iso(NOW), reason=None, lease_hash=lease_hash,
                            lease_until=until, only_from=("queued", "retrying"))


def test_a_run_is_added_once_and_a_queued_one_waits_in_its_shard(repos):
    run = repos.runs.add(_run())
    with pytest.raises(ConditionFailed):
        repos.runs.add(_run())
    stored = repos.runs.get("run_1")
    assert stored.status == "queued" and stored.waiting == waiting_shard("run_1") == run.waiting
    assert [r.id for r in repos.runs.waiting(iso_ms(NOW + timedelta(seconds=1)))] == ["run_1"]
    assert list(repos.runs.waiting(iso_ms(NOW))) == []  # waiting since NOW: not before it
    assert repos.runs.get("run_nope") is None


def test_start_takes_a_startable_run_once_and_keeps_its_lease_index(repos):
    run = repos.runs.add(_run())
    _started(repos, run)
    assert (run.status, run.attempt, run.active, run.waiting, run.work_key) == ("running", 1, "running", None, "lease")
    with pytest.raises(ConditionFailed):  # a second delivery finds it running
        _started(repos, repos.runs.get("run_1"))
    assert [r.id for r in repos.runs.running_since_before(iso(NOW + timedelta(seconds=1)))] == ["run_1"]
    assert [r.id for r in repos.runs.running_in_account("acc_1")] == ["run_1"]
    assert [r.id for r in repos.runs.leases_expired("2026-11-23T10:01:00.001Z")] == ["run_1"]
    assert list(repos.runs.leases_expired("2026-11-23T10:00:59.999Z")) == []


def test_finish_holds_to_what_the_caller_expects(repos):
    run = _started(repos, repos.runs.add(_run()))
    with pytest.raises(ConditionFailed):  # another lease reports
        repos.runs.finish(run, status="succeeded", reason=None, finished_at=iso(NOW), duration_ms=5,
                          only_from=("running",), lease_hash="someone else's")
    with pytest.raises(ConditionFailed):  # the lease expiry the caller saw is not this one
        repos.runs.finish(run, status="failed", reason="lost", finished_at=iso(NOW), duration_ms=5,
                          only_from=("running",), lease_until="2026-11-23T09:00:00.000Z")
    repos.runs.finish(run, status="succeeded", reason=None, finished_at=iso(NOW), duration_ms=5,
                      only_from=("running",), lease_hash="h1",
                      action_records={"succeeded:0": {"index": 0, "status": "queued"}})
    stored = repos.runs.get("run_1")
    assert (stored.status, stored.duration_ms, stored.active, stored.work_key) == ("succeeded", 5, None, None)
    assert stored.action_results == {"succeeded:0": {"index": 0, "status": "queued"}}
    with pytest.raises(ConditionFailed):  # ended already
        repos.runs.finish(stored, status="failed", reason="cancelled", finished_at=iso(NOW), duration_ms=None,
                          only_from=("queued", "running", "retrying"))


def test_retry_then_wait_for_a_pool_then_a_claim_from_that_pool(repos):
    run = _started(repos, repos.runs.add(_run()))
    with pytest.raises(ConditionFailed):
        repos.runs.retry(run, reason="later", due_at="2026-11-23T10:05:00.000Z", lease_hash="not mine")
    repos.runs.retry(run, reason="later", due_at="2026-11-23T10:05:00.000Z", lease_hash="h1")
    assert (run.status, run.waiting_since, run.active) == ("retrying", "2026-11-23T10:05:00.000Z", None)
    repos.runs.wait_for_pool(run, pool="lab", runner_teams=[0], reason="Waiting for a runner",
                             environment={"type": "runner", "pool": "lab"}, since=iso_ms(NOW))
    with pytest.raises(ConditionFailed):  # already in a pool
        repos.runs.wait_for_pool(run, pool="lab", runner_teams=[0], reason="again", environment={}, since="x")
    assert [r.id for r in repos.runs.in_pool("acc_1", "lab", 25)] == ["run_1"]
    assert repos.runs.in_pool("acc_1", "other", 25) == []
    with pytest.raises(ConditionFailed):  # a claim from another pool
        repos.runs.start(run, attempt=2, session_id="s", environment={}, started_at=iso(NOW), heartbeat_at=iso(NOW),
                         reason=None, lease_hash="h2", lease_until="z", only_from=("queued",),
                         from_pool=pool_key("acc_1", "other"))
    repos.runs.start(run, attempt=2, session_id="s", environment={"type": "runner"}, started_at=iso(NOW),
                     heartbeat_at=iso(NOW), reason=None, lease_hash="h2", lease_until="2026-11-23T10:09:00.000Z",
                     only_from=("queued",), from_pool=pool_key("acc_1", "lab"))
    assert (run.status, run.pool, run.runner_teams, run.work_key) == ("running", None, None, "lease")


def test_a_lease_is_renewed_by_its_holder_and_a_lost_one_requeues_once(repos):
    run = _started(repos, repos.runs.add(_run()))
    with pytest.raises(ConditionFailed):
        repos.runs.renew_lease(run, lease_hash="other", until="2026-11-23T10:02:00.000Z", heartbeat_at=iso(NOW))
    repos.runs.renew_lease(run, lease_hash="h1", until="2026-11-23T10:02:00.000Z", heartbeat_at=iso(NOW))
    seen = repos.runs.get("run_1")
    assert seen.work_at == "2026-11-23T10:02:00.000Z"
    stale = replace(seen, work_at="2026-11-23T10:01:00.000Z")
    with pytest.raises(ConditionFailed):  # renewed since the caller looked
        repos.runs.requeue_lost(stale, reason="lost", since=iso_ms(NOW))
    repos.runs.requeue_lost(seen, reason="lost", since=iso_ms(NOW))
    assert (seen.status, seen.environment, seen.work_key) == ("queued", None, None)
    assert seen.waiting == waiting_shard("run_1")


def test_a_resend_is_counted_once_per_count_seen(repos):
    run = repos.runs.add(_run())
    repos.runs.note_resend(run, resent_at=iso(NOW), only_from=("queued",))
    with pytest.raises(ConditionFailed):  # a second sweep that saw no resend yet
        repos.runs.note_resend(replace(run, resends=None), resent_at=iso(NOW), only_from=("queued",))
    repos.runs.note_resend(run, resent_at=iso(NOW), only_from=("queued",))
    assert repos.runs.get("run_1").resends == 2


def test_succeeded_turns_partial_once_then_only_its_reason_changes(repos):
    run = _started(repos, repos.runs.add(_run()))
    repos.runs.finish(run, status="succeeded", reason=None, finished_at=iso(NOW), duration_ms=1,
                      only_from=("running",))
    repos.runs.turn_partial(run, reason="1 of 1 action(s) failed", action_records={"partial:0": {"index": 0}})
    with pytest.raises(ConditionFailed):
        repos.runs.turn_partial(run, reason="again", action_records={})
    with pytest.raises(ConditionFailed):
        repos.runs.set_reason(run, "x", status="succeeded")
    repos.runs.set_reason(run, "2 of 2 action(s) failed", status="partial")
    repos.runs.set_action_results(run, {"succeeded:1": {"index": 1, "status": "failed"}})
    stored = repos.runs.get("run_1")
    assert stored.status == "partial" and stored.reason == "2 of 2 action(s) failed"
    assert set(stored.action_results) == {"partial:0", "succeeded:1"}


def test_history_pages_newest_first_with_a_cursor_of_its_own(repos):
    for minute in range(5):
        repos.runs.add(_run(f"run_{minute}", status="succeeded" if minute % 2 else "failed", minutes=minute))
    repos.runs.add(_run("run_other", minutes=1, automation_id="aut_2"))
    since, until = iso_ms(NOW - timedelta(hours=1)), iso_ms(NOW + timedelta(hours=1))
    page, cursor = repos.runs.history("aut_1", since, until, None, 2, None, lambda r: True)
    assert [r.id for r in page] == ["run_4", "run_3"] and cursor
    rest, end = repos.runs.history("aut_1", since, until, None, 10, cursor, lambda r: True)
    assert [r.id for r in rest] == ["run_2", "run_1", "run_0"] and end is None
    failed, _ = repos.runs.history("aut_1", since, until, "failed", 10, None, lambda r: r.id != "run_0")
    assert [r.id for r in failed] == ["run_4", "run_2"]
    assert [r.id for r in repos.runs.recent("aut_1", 2)] == ["run_4", "run_3"]
    with pytest.raises(BadCursor):
        repos.runs.history("aut_2", since, until, None, 10, cursor, lambda r: True)  # another rule's cursor
    with pytest.raises(BadCursor):
        repos.runs.history("aut_1", since, until, None, 10, "not-a-cursor", lambda r: True)


def _rule(rule_id="aut_1", team_id=0, enabled=True, minutes=0, **fields) -> Rule:
    at = iso_ms(NOW + timedelta(minutes=minutes))
    return Rule(rule_id, account_id="acc_1", name=f"rule {rule_id}", team_id=team_id, owner_id="usr_1",
                environment={"type": "auto"}, task_prompt="p", enabled=enabled, triggers=[], created_at=at,
                updated_at=at, **fields)


def test_a_rule_is_saved_with_its_token_index_entries_and_marker_all_at_once(repos):
    repos.accounts.create(Account("acc_1", name="a", created_at=iso(NOW), markers=True))
    token = TriggerToken("trg_1", token_hash="h", automation_id="aut_1", account_id="acc_1", owner_id="usr_1",
                         issuer_id="usr_1", issuer_role="owner", enabled=True, created_at=iso(NOW))
    index = RuleIndex(schedule=[ScheduleEntry("9 * * *#3", "aut_1", account_id="acc_1", cron="9 * * *")],
                      triggers=[TriggerEntry("acc_1|automation", "aut_1", trigger={"expect": ["automation.*"]})])
    repos.rules.save(_rule(), RuleWrite(index=index, stale=RuleIndex(), new_token=token, watches_runs=True))
    assert repos.rules.get("aut_1").name == "rule aut_1" and repos.rules.token("trg_1").enabled is True
    assert [e.automation_id for e in repos.schedule.entries("9 * * *#3", 10)[0]] == ["aut_1"]
    assert [e.automation_id for e in repos.events.triggers_in("acc_1|automation")] == ["aut_1"]
    assert repos.accounts.get("acc_1").run_watchers == {"aut_1"}
    rule, account = repos.rules.with_account("aut_1", "acc_1")
    assert rule.id == "aut_1" and account.id == "acc_1"
    disabled = _rule(enabled=False)
    repos.rules.save(disabled, RuleWrite(index=RuleIndex(), stale=index, synced_token="trg_1", watches_runs=False))
    assert repos.rules.token("trg_1").enabled is False
    assert repos.schedule.entries("9 * * *#3", 10)[0] == [] and repos.events.triggers_in("acc_1|automation") == []
    assert not repos.accounts.get("acc_1").run_watchers
    repos.rules.delete(disabled, deleted_at=iso(NOW), expires_at=NOW + timedelta(days=1), token_id="trg_1",
                       index=RuleIndex(), unwatch=False)
    assert repos.rules.get("aut_1").deleted_at == iso(NOW) and repos.rules.token("trg_1") is None


def test_a_rule_gets_one_signing_secret_whoever_asks_first(repos):
    repos.rules.save(_rule(), RuleWrite(index=RuleIndex(), stale=RuleIndex()))
    first, second = repos.rules.get("aut_1"), repos.rules.get("aut_1")
    assert repos.rules.add_signing_secret(first, "srews_a") == "srews_a"
    assert repos.rules.add_signing_secret(second, "srews_b") == "srews_a"  # the winner's
    repos.rules.set_signing_secret(second, "srews_c", iso(NOW))
    assert repos.rules.get("aut_1").signing_secret == "srews_c"


def test_a_rotation_keeps_the_secret_it_replaced_until_its_grace_ends(repos):
    repos.rules.save(_rule(signing_secret="whsec_a"), RuleWrite(index=RuleIndex(), stale=RuleIndex()))
    rule, until = repos.rules.get("aut_1"), iso(NOW + timedelta(hours=24))
    repos.rules.set_signing_secret(rule, "whsec_b", iso(NOW), previous="whsec_a", previous_until=until)
    stored = repos.rules.get("aut_1")
    assert (stored.signing_secret, stored.previous_signing_secret, stored.previous_secret_until) == \
        ("whsec_b", "whsec_a", until) == (rule.signing_secret, rule.previous_signing_secret, rule.previous_secret_until)
    repos.rules.save(stored, RuleWrite(index=RuleIndex(), stale=RuleIndex()))  # an edit keeps the pair
    assert repos.rules.get("aut_1").previous_signing_secret == "whsec_a"
    repos.rules.set_signing_secret(stored, "whsec_c", iso(NOW))  # no previous: none signs beside it
    stored = repos.rules.get("aut_1")
    assert (stored.signing_secret, stored.previous_signing_secret, stored.previous_secret_until) == \
        ("whsec_c", None, None)


def test_a_listing_filters_pages_and_refuses_a_foreign_cursor(repos):
    for minute, (team, enabled) in enumerate([(0, True), (1, True), (2, False), (0, False), (1, True)]):
        repos.rules.save(_rule(f"aut_{minute}", team_id=team, enabled=enabled, minutes=minute),
                         RuleWrite(index=RuleIndex(), stale=RuleIndex()))
    everything, _ = repos.rules.listing("acc_1", RuleFilter(), 10, None, lambda r: True)
    assert [r.id for r in everything] == ["aut_4", "aut_3", "aut_2", "aut_1", "aut_0"]
    mine, _ = repos.rules.listing("acc_1", RuleFilter(team_in=frozenset({0, 1}), enabled=True), 10, None,
                                  lambda r: True)
    assert [r.id for r in mine] == ["aut_4", "aut_1", "aut_0"]
    teams, cursor = repos.rules.listing("acc_1", RuleFilter(teams_only=True), 1, None, lambda r: True)
    assert [r.id for r in teams] == ["aut_4"] and cursor
    more, _ = repos.rules.listing("acc_1", RuleFilter(teams_only=True), 5, cursor, lambda r: True)
    assert [r.id for r in more] == ["aut_2", "aut_1"]
    assert repos.rules.listing("acc_1", RuleFilter(team_in=frozenset()), 5, None, lambda r: True)[0] == []
    with pytest.raises(BadCursor):
        repos.rules.listing("acc_2", RuleFilter(), 5, cursor, lambda r: True)
    assert sorted(r.id for r in repos.rules.live("acc_1", team_id=1)) == ["aut_1", "aut_4"]


def test_accounts_users_keys_and_teams(repos):
    account = Account("acc_1", name="a", created_at=iso(NOW))
    repos.accounts.create(account)
    with pytest.raises(ConditionFailed):
        repos.accounts.create(account)
    assert repos.accounts.any_exists()
    repos.accounts.add_user(User("usr_1", account_id="acc_1", email="a@example.com", role="owner",
                                 created_at=iso(NOW)))
    assert repos.accounts.email_taken("a@example.com") and not repos.accounts.email_taken("b@example.com")
    assert [u.id for u in repos.accounts.users_with_role("owner")] == ["usr_1"]
    old = ApiKey("k1", key_hash="h", user_id="usr_1", account_id="acc_1", created_at=iso(NOW))
    repos.accounts.add_key(old)
    with pytest.raises(ConditionFailed):
        repos.accounts.add_key(old)
    with pytest.raises(ConditionFailed):  # another user's key cannot be replaced by this user's new one
        repos.accounts.replace_key(replace(old, key_id="k2", user_id="usr_2"), "k1")
    repos.accounts.replace_key(replace(old, key_id="k2"), "k1")
    assert repos.accounts.key("k1") is None and [k.key_id for k in repos.accounts.keys_of("usr_1")] == ["k2"]
    assert repos.accounts.next_team_id("acc_1") == 1 and repos.accounts.next_team_id("acc_1") == 2
    repos.accounts.add_team(Team("acc_1", 1, name="red", created_at=iso(NOW)))
    repos.accounts.add_member("acc_1", "usr_1", 1)
    assert repos.accounts.is_member("usr_1", 1) and repos.accounts.team_ids_of("usr_1") == frozenset({1})
    assert repos.accounts.delete_team("acc_1", 1) == 1 and repos.accounts.team("acc_1", 1) is None
    assert not repos.accounts.is_member("usr_1", 1)
    assert repos.accounts.delete_keys_of("usr_1") == 1


def test_an_event_is_kept_once_and_listed_newest_first(repos):
    for n in range(3):
        body = {"id": f"e{n}", "event": "deploy.finished", "occurred": iso_ms(NOW + timedelta(minutes=n))}
        repos.events.add_once(Event("acc_1", f"e{n}", body, expires_at=NOW + timedelta(days=30)))
    with pytest.raises(ConditionFailed):
        repos.events.add_once(Event("acc_1", "e0", {"occurred": iso_ms(NOW)}, expires_at=NOW + timedelta(days=30)))
    repos.events.add_once(Event("acc_2", "e0", {"id": "e0", "occurred": iso_ms(NOW)},  # another account's id
                                expires_at=NOW + timedelta(days=30)))
    page, cursor = repos.events.page("acc_1", iso_ms(NOW), iso_ms(NOW + timedelta(hours=1)), 2, None,
                                     lambda e: True)
    assert [e.id for e in page] == ["e2", "e1"] and cursor
    rest, end = repos.events.page("acc_1", iso_ms(NOW), iso_ms(NOW + timedelta(hours=1)), 2, cursor,
                                  lambda e: True)
    assert [e.id for e in rest] == ["e0"] and end is None


def test_a_window_changed_underneath_is_a_failed_condition(repos):
    window = EventWindow("aut_1|proactive|x", automation_id="aut_1", open="1", deadline=iso_ms(NOW), count=0)
    repos.events.save_window(window)
    first, second = repos.events.window(window.key), repos.events.window(window.key)
    first.count = 1
    repos.events.save_window(first)
    second.count = 5
    with pytest.raises(ConditionFailed):
        repos.events.save_window(second)
    assert repos.events.window(window.key).count == 1
    assert [w.key for w in repos.events.expired_windows(iso_ms(NOW))] == [window.key]
    assert repos.events.expired_windows(iso_ms(NOW - timedelta(seconds=1))) == []


def test_schedule_pages_a_partition_and_keeps_the_newest_tick(repos):
    entries = [ScheduleEntry("* * * *#0", f"aut_{n}", account_id="acc_1") for n in range(5)]
    repos.schedule.replace_entries([], entries)
    first, more = repos.schedule.entries("* * * *#0", 3)
    rest, end = repos.schedule.entries("* * * *#0", 3, more)
    assert [e.automation_id for e in first + rest] == [f"aut_{n}" for n in range(5)] and end is None
    repos.schedule.register("acc_1", {"Europe/Berlin 9 *"})
    repos.schedule.register("acc_1", set())
    assert repos.schedule.registry() == [("acc_1", {"Europe/Berlin 9 *"})]
    repos.schedule.record_tick(Tick("last", "2026-11-23T10:00:00Z", {"n": 1}))
    with pytest.raises(ConditionFailed):
        repos.schedule.record_tick(Tick("last", "2026-11-23T09:45:00Z", {"n": 0}))
    repos.schedule.record_tick(Tick("last_catch_up", "2026-11-23T09:00:00Z", {}), only_if_newer=False)
    assert repos.schedule.tick("last").data == {"n": 1} and set(repos.schedule.ticks()) == {"last", "last_catch_up"}


def test_session_items_come_back_in_order(repos):
    repos.sessions.write("ses_1", [SessionItem(2, "message", "b"), SessionItem(0, "header", "h"),
                                   SessionItem(1, "message", "a", part=0, parts=1)], NOW + timedelta(days=1))
    assert [(i.seq, i.data) for i in repos.sessions.items("ses_1")] == [(0, "h"), (1, "a"), (2, "b")]
    assert list(repos.sessions.items("ses_none")) == []


def test_a_batch_read_asks_again_for_unprocessed_keys_after_a_jittered_backoff(aws):
    """DynamoDB may leave keys of a BatchGetItem unprocessed (throttling): they are asked for again, after waits
    that grow and are never all the same length, until every key is read."""
    from chalicelib.store import dynamo, models
    store.active().runs.add(_run())
    client = models.Run._get_connection().connection.client
    withheld = {"left": 3}

    def throttle(parsed, **_):
        if withheld["left"] and parsed.get("Responses", {}).get(models.Run.Meta.table_name):
            withheld["left"] -= 1
            parsed["UnprocessedKeys"] = {models.Run.Meta.table_name: {
                "Keys": [{"id": {"S": "run_1"}}], "ConsistentRead": True}}
            parsed["Responses"][models.Run.Meta.table_name] = []

    waits = []
    client.meta.events.register("after-call.dynamodb.BatchGetItem", throttle, unique_id="test.throttle")
    try:
        run, = dynamo.get_many((models.Run, "run_1"), sleep=waits.append)
    finally:
        client.meta.events.unregister("after-call.dynamodb.BatchGetItem", unique_id="test.throttle")
    assert dynamo.record_of(run, Run).id == "run_1" and len(waits) == 3
    assert all(0 <= w <= 0.05 * 2 ** n for n, w in enumerate(waits))
    assert len({dynamo.backoff(4) for _ in range(20)}) > 1  # jittered, not one fixed wait


def test_keys_no_item_can_have_are_not_asked_for(repos):
    """An empty or over-long id (a path parameter, say) finds nothing instead of failing."""
    for key in ("", "x" * 3000):
        assert repos.runs.get(key) is None and repos.rules.get(key) is None and repos.rules.token(key) is None
        assert repos.accounts.user(key) is None and repos.runners.by_id(key) is None
        assert list(repos.sessions.items(key)) == []


# --- integrations and operations (issue 19) ---------------------------------------------------

def _integration(**fields):
    from chalicelib.store.records import Integration
    return Integration(**{"account_id": "acc_1", "id": "int_1", "type": "alertmanager", "name": "prod",
                          "created_at": iso(NOW), **fields})


def test_an_integration_is_found_by_id_counts_deliveries_and_keeps_ten_errors(repos):
    repos.integrations.add(_integration(token_hash="h"))
    with pytest.raises(ConditionFailed):
        repos.integrations.add(_integration())
    found = repos.integrations.by_id("int_1")
    assert found.account_id == "acc_1" and repos.integrations.by_id("int_nope") is None
    assert repos.integrations.by_id("") is None
    repos.integrations.note_received(found, "2026-11-23T10:00:00Z")
    repos.integrations.note_received(found, "2026-11-23T10:01:00Z")
    for n in range(12):
        repos.integrations.note_error(found, f"2026-11-23T10:{n:02d}:30Z", f"reason {n}", refused=n % 2 == 0)
    stored = repos.integrations.get("acc_1", "int_1")
    assert (stored.received, stored.last_received_at, stored.refused) == (2, "2026-11-23T10:01:00Z", 6)
    assert [e["reason"] for e in stored.errors] == [f"reason {n}" for n in range(2, 12)]
    repos.integrations.change(stored, {"name": "renamed", "mapping": {"service": ["app"]}})
    assert repos.integrations.get("acc_1", "int_1").mapping == {"service": ["app"]}
    repos.integrations.delete(stored)
    with pytest.raises(ConditionFailed):
        repos.integrations.change(stored, {"name": "gone"})
    assert repos.integrations.of_account("acc_1") == []


def _alert_write(start="2026-11-23T10:00:00Z", end=None, new=True, read=None, event_id="e1", **add):
    from chalicelib.store.operations import AlertWrite
    from chalicelib.store.records import Alert, AlertDay, AlertFiring
    alert = Alert(account_id="acc_1", key="am#fp1", name="HighLatency", status="resolved" if end else "firing",
                  source="am", first_seen=start, updated_at=f"{start}.{event_id}", service="checkout",
                  last_start=start, last_end=end)
    event = Event(account_id="acc_1", id=event_id, body={"id": event_id, "event": "alert.firing",
                                                         "occurred": iso_ms(NOW), "resource": {"id": "am#fp1"}},
                  expires_at=NOW + timedelta(days=30))
    return AlertWrite(account_id="acc_1", alert=alert, read_updated_at=read,
                      firing=AlertFiring(alert_key="acc_1#am#fp1", start=start, end=end), firing_new=new,
                      day=AlertDay(day_key="acc_1#2026-11-23", key="am#fp1", name="HighLatency", service="checkout"),
                      day_add=add, start_minute=600 if new else None, event=event)


def test_an_alert_its_firing_day_and_event_are_written_together_or_not_at_all(repos):
    repos.operations.write_alert(_alert_write(fired=1))
    with pytest.raises(ConditionFailed):  # the same firing again (read as new): nothing changes
        repos.operations.write_alert(_alert_write(event_id="e2", fired=1))
    stored = repos.operations.alert("acc_1", "am#fp1")
    ending = _alert_write(end="2026-11-23T10:03:00Z", new=False, read=stored.updated_at, event_id="e3",
                          resolved=1, quick_resolved=1, firing_seconds=180)
    repos.operations.write_alert(ending)
    with pytest.raises(ConditionFailed):  # ended already
        repos.operations.write_alert(replace(ending, read_updated_at=ending.alert.updated_at, event=None))
    assert repos.operations.alert("acc_1", "am#fp1").status == "resolved"
    assert list(repos.operations.alerts("acc_1", ["am#fp1", "am#nope", ""])) == ["am#fp1"]
    firings, cursor = repos.operations.firings("acc_1", "am#fp1", 10, None)
    assert [(f.start, f.end) for f in firings] == [("2026-11-23T10:00:00Z", "2026-11-23T10:03:00Z")] and not cursor
    days, _ = repos.operations.day_page("acc_1", "2026-11-23", 10, None, lambda d: True)
    assert [(d.fired, d.resolved, d.quick_resolved, d.firing_seconds, d.start_minutes) for d in days] == [
        (1, 1, 1, 180, {600})]
    assert {e.id for e in repos.events.page("acc_1", "2026-01-01", "2027-01-01", 10, None, lambda e: True)[0]} == {
        "e1", "e3"}


def test_incidents_are_versioned_and_listed_by_when_they_opened(repos):
    from chalicelib.store.records import Incident
    for n in range(3):
        repos.operations.save_incident(Incident(account_id="acc_1", key=f"pd#{n}", title=f"i{n}", status="triggered",
                                                opened_at=f"2026-11-2{n}T10:00:00Z", source="pd",
                                                updated_at=iso(NOW)), None)
    read = repos.operations.incident("acc_1", "pd#1")
    stale = replace(read)
    read.status = "acknowledged"
    repos.operations.save_incident(read, None)
    with pytest.raises(ConditionFailed):  # saved by someone else since it was read
        repos.operations.save_incident(stale, None)
    page, cursor = repos.operations.incidents_opened("acc_1", "2026-11-20T00:00:00Z", "2026-11-23T00:00:00Z", 2,
                                                     None, lambda i: True)
    assert [i.key for i in page] == ["pd#2", "pd#1"] and cursor
    rest, cursor = repos.operations.incidents_opened("acc_1", "2026-11-20T00:00:00Z", "2026-11-23T00:00:00Z", 2,
                                                     cursor, lambda i: True)
    assert [i.key for i in rest] == ["pd#0"] and cursor is None
    with pytest.raises(BadCursor):
        repos.operations.incidents_opened("acc_1", "2026", "2027", 2, "bogus", lambda i: True)


def test_a_change_keeps_its_newest_news_and_is_listed_by_service(repos):
    from chalicelib.store.records import Change
    deploy = Change(account_id="acc_1", key="gh#1", kind="deploy", at="2026-11-23T09:00:00Z", source="gh",
                    service="checkout", outcome="in_progress", updated_at="2026-11-23T09:00:05Z")
    repos.operations.save_change(deploy, None)
    repos.operations.save_change(replace(deploy, outcome="success", updated_at="2026-11-23T09:04:00Z"), None)
    with pytest.raises(ConditionFailed):  # older news arriving late
        repos.operations.save_change(replace(deploy, outcome="pending", updated_at="2026-11-23T09:00:01Z"), None)
    repos.operations.save_change(replace(deploy, key="gh#2", service="search", at="2026-11-23T09:30:00Z"), None)
    every, _ = repos.operations.changes_between("acc_1", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", 10, None,
                                                lambda c: True)
    assert [(c.key, c.outcome) for c in every] == [("gh#2", "in_progress"), ("gh#1", "success")]
    mine, _ = repos.operations.changes_between("acc_1", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", 10, None,
                                               lambda c: True, service="checkout")
    assert [c.key for c in mine] == ["gh#1"]


def test_a_filtered_day_listing_reads_no_more_than_it_may_and_says_where_to_go_on(repos):
    from chalicelib.store.operations import AlertWrite
    from chalicelib.store.records import Alert, AlertDay, AlertFiring
    for n in range(12):
        key = f"am#{n:02d}"
        repos.operations.write_alert(AlertWrite(
            account_id="acc_1", alert=Alert(account_id="acc_1", key=key, name=f"a{n}", status="firing", source="am",
                                            first_seen=iso(NOW), updated_at=iso(NOW)),
            read_updated_at=None, firing=AlertFiring(alert_key=f"acc_1#{key}", start=iso(NOW)), firing_new=True,
            day=AlertDay(day_key="acc_1#2026-11-23", key=key, name=f"a{n}", service="db" if n % 2 else "web",
                         severity="critical" if n == 11 else "info"), day_add={"fired": 1}, start_minute=600))
    critical = lambda d: d.severity == "critical"  # noqa: E731
    page, cursor = repos.operations.day_page("acc_1", "2026-11-23", 5, None, critical, most_read=4)
    assert page == [] and cursor  # four read, none kept: go on from there
    found, seen = [], 0
    while cursor and seen < 10:
        page, cursor = repos.operations.day_page("acc_1", "2026-11-23", 5, cursor, critical, most_read=4)
        found += [d.key for d in page]
        seen += 1
    assert found == ["am#11"]
    db, _ = repos.operations.day_page("acc_1", "2026-11-23", 50, None, lambda d: True, service="db")
    assert [d.key for d in db] == [f"am#{n:02d}" for n in range(1, 12, 2)]


def test_a_days_counters_add_up_packed_in_one_number():
    from chalicelib.store.operations import pack, unpack
    first = {"fired": 3, "resolved": 2, "quick_resolved": 1, "flaps": 999_999, "acked": 7, "firing_seconds": 5_000_000}
    second = {"fired": 1, "firing_seconds": 90_000_000, "acked": 1}
    total = unpack(pack(first) + pack(second))
    assert total == {"fired": 4, "resolved": 2, "quick_resolved": 1, "flaps": 999_999, "acked": 8,
                     "firing_seconds": 95_000_000}
    assert len(str(pack(total))) <= 38  # DynamoDB keeps 38 digits


# --- MCP servers (issue 20) ------------------------------------------------------------------

def test_mcp_servers_add_read_change_and_delete(repos):
    from chalicelib.store.records import McpServer
    server = McpServer(account_id="acc_1", id="mcp_1", name="grafana", url="https://g.example/mcp",
                       created_at="2026-11-23T10:00:00Z", team_id=2, owner_id="usr_1",
                       headers={"Authorization": {"secret": "g", "prefix": "Bearer "}}, allowed_tools=["search"])
    repos.mcp_servers.add(server)
    with pytest.raises(ConditionFailed):
        repos.mcp_servers.add(server)
    repos.mcp_servers.add(McpServer(account_id="acc_2", id="mcp_2", name="other", url="https://o.example/mcp",
                                    created_at="2026-11-23T10:00:00Z"))
    assert repos.mcp_servers.get("acc_1", "mcp_1") == server and repos.mcp_servers.get("acc_2", "mcp_1") is None
    assert [s.id for s in repos.mcp_servers.of_account("acc_1")] == ["mcp_1"]
    stored = repos.mcp_servers.get("acc_1", "mcp_1")
    repos.mcp_servers.change(stored, {"allowed_tools": None, "name": "grafana prod"})
    again = repos.mcp_servers.get("acc_1", "mcp_1")
    assert (again.allowed_tools, again.name, again.headers) == (None, "grafana prod", server.headers)
    repos.mcp_servers.delete(stored)
    with pytest.raises(ConditionFailed):
        repos.mcp_servers.change(stored, {"name": "gone"})
    assert repos.mcp_servers.of_account("acc_1") == []


# --- knowledge (issue 20) ----------------------------------------------------------------------------------


def _document(document_id, team_id=0, **fields):
    from chalicelib.store.records import Document
    return Document("acc_1", document_id, f"title {document_id}", team_id, "usr_1", iso(NOW), iso(NOW),
                    **{"content": f"# {document_id}\n\ntext", "size": 10, "sections": 1, **fields})


def test_knowledge_documents_list_newest_first_and_count_their_writes(repos):
    assert repos.knowledge.version("acc_1") == 0 and repos.knowledge.count("acc_1") == 0
    for document_id, team_id in (("kb_01", 0), ("kb_02", 3), ("kb_03", 0)):
        repos.knowledge.add(_document(document_id, team_id))
    with pytest.raises(ConditionFailed):
        repos.knowledge.add(_document("kb_01"))
    assert repos.knowledge.version("acc_1") == 3 and repos.knowledge.count("acc_1") == 3
    assert repos.knowledge.get("acc_1", "kb_02").content == "# kb_02\n\ntext"
    assert repos.knowledge.get("acc_1", "~version") is None and repos.knowledge.get("acc_2", "kb_02") is None
    page, cursor = repos.knowledge.listing("acc_1", 2, None, lambda d: True)
    assert [d.id for d in page] == ["kb_03", "kb_02"] and page[0].content is None and cursor
    rest, cursor = repos.knowledge.listing("acc_1", 2, cursor, lambda d: True)
    assert [d.id for d in rest] == ["kb_01"] and cursor is None
    with pytest.raises(BadCursor):
        repos.knowledge.listing("acc_1", 2, "nonsense", lambda d: True)
    assert [d.id for d in repos.knowledge.of_teams("acc_1", {0}, content=False)] == ["kb_03", "kb_01"]
    assert [d.content for d in repos.knowledge.of_teams("acc_1", {3}, content=True)] == ["# kb_02\n\ntext"]
    assert len(repos.knowledge.of_teams("acc_1", None, content=False)) == 3
    document = repos.knowledge.get("acc_1", "kb_01")
    repos.knowledge.change(document, {"title": "new", "updated_by": None})
    assert repos.knowledge.get("acc_1", "kb_01").title == "new" and repos.knowledge.version("acc_1") == 4
    repos.knowledge.delete(document)
    with pytest.raises(ConditionFailed):
        repos.knowledge.change(document, {"title": "gone"})
    assert repos.knowledge.count("acc_1") == 2 and repos.knowledge.version("acc_1") == 5


# --- agent profiles (issue 20) ----------------------------------------------------------------

def test_agent_profiles_and_the_accounts_default(repos):
    from chalicelib.store.records import Account, AgentProfile
    repos.accounts.create(Account(id="acc_1", name="a", created_at=iso(NOW), markers=True))
    profile = AgentProfile(account_id="acc_1", id="agt_1", name="gpt", backend="openai", created_at=iso(NOW),
                           model="m", base_url="https://api.example.com/v1", api_key_secret="k", max_steps=4)
    repos.agents.add(profile)
    with pytest.raises(ConditionFailed):
        repos.agents.add(profile)
    assert repos.agents.get("acc_1", "agt_1") == profile and repos.agents.get("acc_2", "agt_1") is None
    repos.agents.change(profile, {"model": "m2", "base_url": None})
    stored = repos.agents.get("acc_1", "agt_1")
    assert (stored.model, stored.base_url, stored.max_steps) == ("m2", None, 4)
    repos.accounts.set_default_agent("acc_1", "agt_1")
    assert repos.accounts.get("acc_1").default_agent_id == "agt_1"
    with pytest.raises(ConditionFailed):  # clearing only while it is still that one
        repos.accounts.set_default_agent("acc_1", None, only_if="agt_other")
    repos.accounts.set_default_agent("acc_1", None, only_if="agt_1")
    assert repos.accounts.get("acc_1").default_agent_id is None
    repos.agents.delete(stored)
    with pytest.raises(ConditionFailed):
        repos.agents.change(stored, {"name": "gone"})
    assert repos.agents.of_account("acc_1") == []


def test_the_live_rules_that_name_an_agent_profile(repos):
    from chalicelib.store.records import Rule, RuleIndex
    from chalicelib.store.rules import RuleWrite

    def rule(rule_id, agent_id, **fields):
        made = Rule(rule_id, account_id="acc_1", name=rule_id, team_id=0, owner_id="usr_1",
                    environment={"type": "auto"}, task_prompt="t", enabled=True, triggers=[],
                    created_at=iso_ms(NOW), updated_at=iso(NOW), agent_id=agent_id, **fields)
        repos.rules.save(made, RuleWrite(index=RuleIndex(), stale=RuleIndex()))
    rule("aut_1", "agt_1")
    rule("aut_2", "agt_2")
    rule("aut_3", None)
    rule("aut_4", "agt_1", deleted_at=iso(NOW))
    assert [r.id for r in repos.rules.live("acc_1", agent_id="agt_1")] == ["aut_1"]
    assert repos.rules.live("acc_2", agent_id="agt_1") == []
