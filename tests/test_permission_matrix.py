"""The permission model of DESIGN.md, walked through the API.

Alice owns a personal rule and a rule of team red. Bob is in red with her,
Carol only in blue; the owner and an admin are in no team. The owner makes an
account-wide integration and one of team red: everyone sees the first, red's
members (and the owner and admins) the second, and only owners and admins
change integrations or the account's settings. A run's lease reads only its
own account's operations data.
"""
import pytest

from tests.conftest import rule_body

ACTORS = ("owner", "admin", "alice", "bob", "carol")
# actor -> (sees personal, edits personal, sees team-red rule, edits team-red rule)
EXPECTED = {
    "owner": (True, True, True, True),
    "admin": (True, True, True, True),
    "alice": (True, True, True, True),
    "bob": (True, False, True, True),
    "carol": (True, False, False, False),
}


@pytest.fixture
def rules(api, people):
    alice = people["alice"]["key"]
    personal = api.ok("POST", "/automations", alice, rule_body(name="personal"), status=201)
    team = api.ok("POST", "/automations", alice, rule_body(name="team", team_id=people["red"]), status=201)
    return {"personal": personal, "team": team}


def _expect(actor, which):
    sees_p, edits_p, sees_t, edits_t = EXPECTED[actor]
    return (sees_p, edits_p) if which == "personal" else (sees_t, edits_t)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("which", ["personal", "team"])
def test_list_and_read(api, people, rules, actor, which):
    key, rule = people[actor]["key"], rules[which]["automation"]
    sees, edits = _expect(actor, which)
    listed = {r["id"]: r for r in api.ok("GET", "/automations", key)["automations"]}
    assert (rule["id"] in listed) is sees
    code, data = api.call("GET", f"/automations/{rule['id']}", key)
    assert code == (200 if sees else 404)
    if sees:
        assert data["automation"]["can_edit"] is edits and listed[rule["id"]]["can_edit"] is edits


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("which", ["personal", "team"])
def test_edit_enable_disable_rotate_history(api, people, rules, actor, which):
    key, rule_id = people[actor]["key"], rules[which]["automation"]["id"]
    sees, edits = _expect(actor, which)
    denied = 200 if edits else (403 if sees else 404)
    calls = [("PATCH", f"/automations/{rule_id}", {"name": f"renamed by {actor}"}),
             ("POST", f"/automations/{rule_id}/disable", None), ("POST", f"/automations/{rule_id}/enable", None),
             ("POST", f"/automations/{rule_id}/api-trigger/rotate", None),
             ("GET", f"/automations/{rule_id}/runs", None)]
    for method, path, body in calls:
        code, data = api.call(method, path, key, body)
        assert code == denied, (method, path, data)
        if code == 403 and path.endswith("/runs"):
            assert data["Message"] == "Run history is not available for read-only automations."
        elif code == 403:
            assert "Read-only" in data["Message"]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("which", ["personal", "team"])
def test_delete(api, people, rules, actor, which):
    key, rule_id = people[actor]["key"], rules[which]["automation"]["id"]
    sees, edits = _expect(actor, which)
    code, _ = api.call("DELETE", f"/automations/{rule_id}", key)
    assert code == (204 if edits else 403 if sees else 404)


@pytest.mark.parametrize("which", ["personal", "team"])
def test_trigger_follows_the_token_issuer(api, people, rules, which):
    """Alice's own token works; after Bob (a member, not the owner) rotates the
    team rule's token, a real run needs the owner or an admin to re-issue it."""
    data = rules[which]
    path = data["api_trigger"]["url"].replace("http://testserver", "")
    assert api.call("POST", path, data["api_trigger"]["token"], {"text": "x"})[0] == 202
    rule_id = data["automation"]["id"]
    if which == "team":
        bobs = api.ok("POST", f"/automations/{rule_id}/api-trigger/rotate", people["bob"]["key"])
        code, answer = api.call("POST", path, bobs["token"], {"text": "x"})
        assert code == 403 and "rotate" in answer["Message"]
    for actor in ("admin", "owner", "alice"):
        token = api.ok("POST", f"/automations/{rule_id}/api-trigger/rotate", people[actor]["key"])["token"]
        assert api.call("POST", path, token, {"text": "x"})[0] == 202


def test_creating_or_moving_into_a_team_needs_the_owner_in_it(api, people, rules):
    rule_id = rules["personal"]["automation"]["id"]
    code, data = api.call("PATCH", f"/automations/{rule_id}", people["admin"]["key"], {"team_id": people["blue"]})
    assert code == 400 and "not a member of team" in data["Message"]
    moved = api.ok("PATCH", f"/automations/{rule_id}", people["admin"]["key"], {"team_id": people["red"]})
    assert moved["automation"]["team_id"] == people["red"]


def test_a_member_cannot_move_a_rule_out_of_their_reach(api, people, rules):
    """Bob can edit the team rule but moving it to personal scope would hand it
    to Alice alone: refused, and the rule stays where it was."""
    rule_id = rules["team"]["automation"]["id"]
    code, data = api.call("PATCH", f"/automations/{rule_id}", people["bob"]["key"], {"team_id": 0})
    assert code == 403
    assert api.ok("GET", f"/automations/{rule_id}", people["bob"]["key"])["automation"]["team_id"] == people["red"]


def test_leaving_the_team_removes_edit_rights(api, people, rules):
    rule_id = rules["team"]["automation"]["id"]
    api.ok("DELETE", f"/teams/{people['red']}/members/{people['bob']['id']}", people["owner"]["key"])
    assert api.call("GET", f"/automations/{rule_id}", people["bob"]["key"])[0] == 404
    assert api.call("POST", f"/automations/{rule_id}/disable", people["bob"]["key"])[0] == 404


# --- operations data: integrations, account settings, and the agent tools' lease scope ----------

# actor -> sees the integration of team red (everyone sees the account's own)
SEES_RED_INTEGRATION = {"owner": True, "admin": True, "alice": True, "bob": True, "carol": False}


@pytest.fixture
def integrations(api, people):
    owner = people["owner"]["key"]
    made = api.ok("POST", "/integrations", owner, {"type": "alertmanager", "name": "account-wide"}, status=201)
    red = api.ok("POST", "/integrations", owner, {"type": "alertmanager", "name": "red's", "team_id": people["red"]},
                 status=201)
    return {"account": made["integration"]["id"], "red": red["integration"]["id"]}


@pytest.mark.parametrize("actor", ACTORS)
def test_integrations_are_seen_by_scope_and_changed_only_by_owners_and_admins(api, people, integrations, actor):
    key, account, red = people[actor]["key"], integrations["account"], integrations["red"]
    sees_red = SEES_RED_INTEGRATION[actor]
    listed = {i["id"] for i in api.ok("GET", "/integrations", key)["integrations"]}
    assert listed == {account} | ({red} if sees_red else set())
    assert api.call("GET", f"/integrations/{red}", key)[0] == (200 if sees_red else 404)
    writes = actor in ("owner", "admin")
    calls = [("PUT", f"/integrations/{account}", {"name": f"renamed by {actor}"}, 200),
             ("POST", f"/integrations/{account}/rotate", None, 200),
             ("POST", "/integrations", {"type": "alertmanager", "name": f"{actor}'s"}, 201),
             ("PUT", "/account/settings", {"timezone": "Europe/Berlin"}, 200),
             ("DELETE", f"/integrations/{red}", None, 204)]
    for method, path, body, allowed in calls:
        code, data = api.call(method, path, key, body)
        assert code == (allowed if writes else 403), (actor, method, path, data)
    owner = people["owner"]["key"]
    if not writes:  # nothing a member tried took effect
        names = {i["name"] for i in api.ok("GET", "/integrations", owner)["integrations"]}
        assert names == {"account-wide", "red's"}
        assert api.ok("GET", "/account/settings", owner)["timezone"] == "UTC"
    for path in ("/alerts", "/incidents", "/changes", "/account/settings"):  # the account's data: any user reads it
        assert api.call("GET", path, key)[0] == 200, (actor, path)


@pytest.mark.parametrize("actor", ACTORS)
def test_agent_profiles_are_seen_by_scope_and_changed_only_by_owners_and_admins(api, people, actor):
    owner, key = people["owner"]["key"], people[actor]["key"]
    account = api.ok("POST", "/agents", owner, {"name": "shared", "backend": "builtin"}, status=201)["agent"]["id"]
    red = api.ok("POST", "/agents", owner, {"name": "red's", "backend": "builtin", "team_id": people["red"]},
                 status=201)["agent"]["id"]
    sees_red = SEES_RED_INTEGRATION[actor]  # the same scope rule as integrations
    assert {a["id"] for a in api.ok("GET", "/agents", key)["agents"]} == {account} | ({red} if sees_red else set())
    assert api.call("GET", f"/agents/{red}", key)[0] == (200 if sees_red else 404)
    writes = actor in ("owner", "admin")
    for method, path, body, allowed in [("PUT", f"/agents/{account}", {"name": f"renamed by {actor}"}, 200),
                                        ("POST", "/agents", {"name": f"{actor}'s", "backend": "builtin"}, 201),
                                        ("DELETE", f"/agents/{red}", None, 204)]:
        code, data = api.call(method, path, key, body)
        assert code == (allowed if writes else 403), (actor, method, path, data)
    if not writes:
        assert {a["name"] for a in api.ok("GET", "/agents", owner)["agents"]} == {"shared", "red's"}


def test_another_accounts_agent_profile_is_invisible(api, people):
    from chalicelib.identity import directory
    from tests.conftest import NOW
    _, other = directory.create_account("Other", "other@example.com", NOW)
    theirs = api.ok("POST", "/agents", other, {"name": "theirs", "backend": "builtin"}, status=201)["agent"]["id"]
    owner = people["owner"]["key"]
    assert api.call("GET", f"/agents/{theirs}", owner)[0] == 404
    assert api.call("PUT", f"/agents/{theirs}", owner, {"name": "mine"})[0] == 404
    assert api.call("DELETE", f"/agents/{theirs}", owner)[0] == 404
    code, refused = api.call("POST", "/automations", owner, rule_body(agent_id=theirs))
    assert code == 400 and refused["errors"][0]["field"] == "agent_id"


def _leased_run(api, key):
    """A run of a runner automation of `key`'s account, claimed: (run id, lease token)."""
    from chalicelib import worker
    from chalicelib.clock import utcnow
    runner = api.ok("POST", "/runners", key, {"name": "box", "pool": "ops"}, status=201)
    rule = api.ok("POST", "/automations", key, rule_body(
        environment={"type": "runner", "runner_id": runner["runner"]["id"]}), status=201)["automation"]
    run = api.ok("POST", f"/automations/{rule['id']}/runs", key, {"text": "go"}, status=202)["run"]
    worker.process({"run_id": run["id"], "automation_id": rule["id"], "trigger": "manual"}, utcnow())
    work = api.ok("POST", f"/runners/{runner['runner']['id']}/claim", runner["token"], {"wait": 0})["run"]
    assert work["run_id"] == run["id"]
    return run["id"], work["lease"]["token"]


def test_a_lease_reads_only_its_own_runs_account(api, owner):
    from chalicelib.identity import directory
    from tests.conftest import NOW
    api.ok("POST", "/events", owner, [
        {"event": "alert.firing", "resource": {"id": "disk-db1"}, "payload": {"name": "DiskFull", "service": "db"}},
        {"event": "incident.triggered", "resource": {"id": "INC-1"}, "payload": {"title": "DB down", "service": "db"}},
        {"event": "change.deployed", "resource": {"id": "deploy-1"}, "payload": {"service": "db"}}], status=202)
    _, other = directory.create_account("Other", "other@example.com", NOW, account_id="acc_other")
    mine, my_lease = _leased_run(api, owner)
    theirs, their_lease = _leased_run(api, other)

    def tool(run_id, lease, name, arguments):
        return api.ok("POST", f"/runs/{run_id}/tools/{name}", lease, {"arguments": arguments})["output"]

    assert [a["key"] for a in tool(mine, my_lease, "query_alerts", {})["alerts"]] == ["events#disk-db1"]
    assert tool(mine, my_lease, "incident_timeline", {"key": "events#INC-1"})["incident"]["title"] == "DB down"
    assert tool(theirs, their_lease, "query_alerts", {})["alerts"] == []
    assert tool(theirs, their_lease, "query_incidents", {})["incidents"] == []
    assert tool(theirs, their_lease, "query_changes", {})["changes"] == []
    assert tool(theirs, their_lease, "oncall_load", {})["pages"] == 0
    for name, key in (("alert_history", "events#disk-db1"), ("incident_timeline", "events#INC-1")):
        answer = tool(theirs, their_lease, name, {"key": key})  # a key of my account names nothing in theirs
        assert answer["ok"] is False and "No " in answer["error"], answer
    for run_id, credential in ((mine, their_lease), (theirs, my_lease), (mine, owner), (mine, None)):
        code, _ = api.call("POST", f"/runs/{run_id}/tools/query_alerts", credential, {"arguments": {}})
        assert code == 401, (run_id, credential)
