"""Run history: newest first, status filter, time window, cursor pages, expiry,
and GET /runs/{id}."""
import base64
import json
from datetime import timedelta

import pytest

from chalicelib.clock import utcnow
from chalicelib.runs import records
from chalicelib.store import repos
from tests.conftest import rule_body


@pytest.fixture
def rule(api, owner):
    return api.ok("POST", "/automations", owner, rule_body(), status=201)["automation"]


def _run(rule_id, account_id, at, status="succeeded", **kw):
    run = records.new_queued(rule_id, account_id, "schedule", at, **kw)
    run.status = status
    repos.runs.add(run)
    return run


def _account(rule):
    return repos.rules.get(rule["id"]).account_id


def test_newest_first_with_status_filter(api, owner, rule):
    now, acct = utcnow(), _account(rule)
    ids = [_run(rule["id"], acct, now - timedelta(hours=h), status=s).id
           for h, s in [(3, "succeeded"), (2, "failed"), (1, "succeeded")]]
    page = api.ok("GET", f"/automations/{rule['id']}/runs", owner)
    assert [r["id"] for r in page["runs"]] == ids[::-1] and page["next_cursor"] is None
    failed = api.ok("GET", f"/automations/{rule['id']}/runs?status=failed", owner)["runs"]
    assert [r["id"] for r in failed] == [ids[1]]
    assert api.call("GET", f"/automations/{rule['id']}/runs?status=exploded", owner)[0] == 400


def test_default_window_is_30_days_and_over_180_is_refused(api, owner, rule):
    now, acct = utcnow(), _account(rule)
    recent = _run(rule["id"], acct, now - timedelta(days=29)).id
    old = _run(rule["id"], acct, now - timedelta(days=31)).id
    assert [r["id"] for r in api.ok("GET", f"/automations/{rule['id']}/runs", owner)["runs"]] == [recent]
    since = (now - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    got = api.ok("GET", f"/automations/{rule['id']}/runs?since={since}", owner)["runs"]
    assert [r["id"] for r in got] == [recent, old]
    since = (now - timedelta(days=181)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, data = api.call("GET", f"/automations/{rule['id']}/runs?since={since}", owner)
    assert code == 400 and "180 days" in data["Message"]
    assert api.call("GET", f"/automations/{rule['id']}/runs?since=yesterday", owner)[0] == 400


def test_cursor_pages_through_everything_once(api, owner, rule):
    now, acct = utcnow(), _account(rule)
    made = [_run(rule["id"], acct, now - timedelta(minutes=m)).id for m in range(7)]
    seen, cursor = [], None
    while True:
        q = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = api.ok("GET", f"/automations/{rule['id']}/runs{q}", owner)
        seen += [r["id"] for r in page["runs"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == made


@pytest.mark.parametrize("cursor", ["garbage", base64.urlsafe_b64encode(b'{"automation_id": "x"}').decode(),
                                    base64.urlsafe_b64encode(json.dumps(
                                        {"id": {"S": "r"}, "automation_id": {"S": "aut_other"},
                                         "created_at": {"S": "x"}}).encode()).decode()])
def test_bad_cursor_is_400(api, owner, rule, cursor):
    code, data = api.call("GET", f"/automations/{rule['id']}/runs?cursor={cursor}", owner)
    assert code == 400 and "cursor" in data["Message"]


def test_expired_runs_are_hidden_before_ttl_removes_them(api, owner, rule):
    acct, now = _account(rule), utcnow()
    expired = _run(rule["id"], acct, now - timedelta(days=1))
    repos.runs._change(expired, {"expires_at": now - timedelta(minutes=1)}, {})  # an old item TTL has not removed
    live = _run(rule["id"], acct, now - timedelta(hours=1))
    assert [r["id"] for r in api.ok("GET", f"/automations/{rule['id']}/runs", owner)["runs"]] == [live.id]
    assert api.call("GET", f"/runs/{expired.id}", owner)[0] == 404


def test_runs_expire_after_the_retention(rule):
    run = records.new_queued(rule["id"], "acct", "api", utcnow())
    assert timedelta(days=179) < run.expires_at - utcnow() <= timedelta(days=180)


def test_history_survives_deleting_the_rule(api, owner, rule):
    run = _run(rule["id"], _account(rule), utcnow())
    api.call("DELETE", f"/automations/{rule['id']}", owner)
    assert [r["id"] for r in api.ok("GET", f"/automations/{rule['id']}/runs", owner)["runs"]] == [run.id]
    assert api.ok("GET", f"/runs/{run.id}", owner)["run"]["id"] == run.id


def test_read_only_viewers_get_the_history_message(api, people):
    rule = api.ok("POST", "/automations", people["alice"]["key"], rule_body(), status=201)["automation"]
    run = _run(rule["id"], _account(rule), utcnow())
    for path in (f"/automations/{rule['id']}/runs", f"/runs/{run.id}"):
        code, data = api.call("GET", path, people["carol"]["key"])
        assert code == 403 and data["Message"] == "Run history is not available for read-only automations."


def test_a_backwards_window_is_refused_in_words(api, owner, rule):
    for path in (f"/automations/{rule['id']}/runs", "/events"):
        status, body = api.call("GET", f"{path}?since=2026-11-20T00:00:00Z&until=2026-11-19T00:00:00Z", owner)
        assert (status, body["Message"]) == (400, "since must be before until"), path
