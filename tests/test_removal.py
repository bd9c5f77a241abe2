"""DELETE /teams/{id} and DELETE /runners/{id}: refused while something
depends on them, each refusal with its own message; and the refusals of a
read-only automation's runs, each in its own words."""
import pytest

from chalicelib.store import repos
from tests.conftest import rule_body


def test_a_team_with_automations_or_runners_is_kept_with_a_reason(api, people):
    owner, red = people["owner"]["key"], people["red"]
    rule = api.ok("POST", "/automations", people["alice"]["key"], rule_body(name="Red check", team_id=red),
                  status=201)["automation"]
    code, data = api.call("DELETE", f"/teams/{red}", owner)
    assert code == 409 and data["Message"] == (f"Team {red} still has 1 automation(s) ('Red check'); move them to "
                                               "another team or delete them first.")
    api.ok("DELETE", f"/automations/{rule['id']}", owner, status=204)
    runner = api.ok("POST", "/runners", owner, {"name": "red-box", "team_id": red}, status=201)["runner"]
    code, data = api.call("DELETE", f"/teams/{red}", owner)
    assert code == 409 and "still has 1 runner(s) ('red-box')" in data["Message"]
    api.ok("DELETE", f"/runners/{runner['id']}", owner, status=204)
    assert api.call("DELETE", f"/teams/{red}", owner)[0] == 204


def test_deleting_a_team_ends_its_memberships_and_keeps_other_teams(api, people):
    owner, red, blue = people["owner"]["key"], people["red"], people["blue"]
    assert api.call("DELETE", f"/teams/{red}", owner) == (204, None)
    assert api.ok("GET", "/me", people["alice"]["key"])["teams"] == []
    assert [t["id"] for t in api.ok("GET", "/me", people["carol"]["key"])["teams"]] == [blue]
    assert not [who for who in ("admin", "alice", "bob", "carol")
                if red in repos.accounts.team_ids_of(people[who]["id"])]  # no membership of the team is left
    code, data = api.call("DELETE", f"/teams/{red}", owner)
    assert code == 404 and data["Message"] == f"No team {red} in this account."
    code, data = api.call("POST", "/automations", people["alice"]["key"], rule_body(team_id=red))
    assert code == 400 and f"no team {red}" in data["Message"]
    new = api.ok("POST", "/teams", owner, {"name": "green"}, status=201)["team"]
    assert new["id"] > blue  # ids are never reused: no new team inherits the old one's history


@pytest.mark.parametrize("who, code", [("admin", 204), ("alice", 403)])
def test_only_the_owner_and_admins_delete_teams_and_runners(api, people, who, code):
    key = people[who]["key"]
    runner = api.ok("POST", "/runners", people["owner"]["key"], {"name": "box"}, status=201)["runner"]
    assert api.call("DELETE", f"/runners/{runner['id']}", key)[0] == code
    assert api.call("DELETE", f"/teams/{people['blue']}", key)[0] == code
    if code == 403:
        assert api.call("DELETE", f"/teams/{people['blue']}", key)[1]["Message"] == \
            "Only the account owner and admins can do this."


def test_a_runner_in_use_is_kept_and_a_deleted_one_stops_heartbeating(api, owner):
    created = api.ok("POST", "/runners", owner, {"name": "prod-box"}, status=201)
    runner, token = created["runner"], created["token"]
    rule = api.ok("POST", "/automations", owner, rule_body(
        name="On the box", environment={"type": "runner", "runner_id": runner["id"]}), status=201)["automation"]
    code, data = api.call("DELETE", f"/runners/{runner['id']}", owner)
    assert code == 409 and data["Message"] == (f"Runner {runner['id']} is the environment of 1 automation(s) "
                                               "('On the box'); give them another environment first.")
    api.ok("PATCH", f"/automations/{rule['id']}", owner, {"environment": {"type": "auto"}})
    assert api.call("DELETE", f"/runners/{runner['id']}", owner) == (204, None)
    assert api.ok("GET", "/runners", owner)["runners"] == []
    assert api.call("POST", f"/runners/{runner['id']}/heartbeat", token)[0] == 401
    code, data = api.call("DELETE", f"/runners/{runner['id']}", owner)
    assert code == 404 and data["Message"] == f"No runner {runner['id']!r} in this account."


def test_a_read_only_automation_refuses_each_thing_in_its_own_words(api, people):
    """carol (blue) sees alice's personal rule but cannot edit it."""
    rule = api.ok("POST", "/automations", people["alice"]["key"], rule_body(), status=201)["automation"]
    run = api.ok("POST", f"/automations/{rule['id']}/runs", people["alice"]["key"], {}, status=202)["run"]
    carol = people["carol"]["key"]
    messages = {
        ("POST", f"/automations/{rule['id']}/runs"): "Read-only: you can view this automation but cannot start "
                                                     "its runs.",
        ("POST", f"/runs/{run['id']}/cancel"): "Read-only: you can view this automation but cannot cancel its runs.",
        ("GET", f"/runs/{run['id']}"): "Run history is not available for read-only automations.",
        ("PATCH", f"/automations/{rule['id']}"): "Read-only: you can view this automation but cannot edit it.",
    }
    for (method, path), message in messages.items():
        code, data = api.call(method, path, carol, {})
        assert (code, data["Message"]) == (403, message), path
