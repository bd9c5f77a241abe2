"""Identity routes: /me, users, teams, memberships, runners, API keys."""
import pytest


def test_me_shows_the_caller_and_their_teams(api, people):
    me = api.ok("GET", "/me", people["alice"]["key"])
    assert me["user"] == {"id": people["alice"]["id"], "email": "alice@example.com", "role": "member"}
    assert me["teams"] == [{"id": people["red"], "name": "red"}]
    assert api.ok("GET", "/me", people["owner"]["key"])["user"]["role"] == "owner"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic abc",
                                    "Bearer sreak_0000000000000000" + "x" * 43])
def test_missing_or_bad_api_key_is_401(api, owner, header):
    headers = {"Authorization": header} if header else {}
    code, data = api.call("GET", "/me", headers=headers)
    assert code == 401
    assert "API key" in data["Message"]


def test_a_tampered_key_with_a_real_id_is_refused(api, owner):
    tampered = owner[:-4] + ("AAAA" if not owner.endswith("AAAA") else "BBBB")
    assert api.call("GET", "/me", tampered)[0] == 401


def test_new_users_get_a_working_key_shown_once(api, owner):
    data = api.ok("POST", "/users", owner, {"email": "New@Example.com", "role": "admin"}, status=201)
    assert data["user"]["email"] == "new@example.com" and data["user"]["role"] == "admin"
    assert data["api_key"].startswith("sreak_")
    assert api.ok("GET", "/me", data["api_key"])["user"]["id"] == data["user"]["id"]


def test_user_creation_refuses_duplicates_and_bad_input(api, owner):
    api.ok("POST", "/users", owner, {"email": "dup@example.com"}, status=201)
    code, data = api.call("POST", "/users", owner, {"email": "dup@example.com"})
    assert code == 409 and "already exists" in data["Message"]
    code, data = api.call("POST", "/users", owner, {"email": "not-an-email"})
    assert code == 400 and "email" in data["Message"]
    code, data = api.call("POST", "/users", owner, {"email": "x@example.com", "role": "owner"})
    assert code == 400 and "role" in data["Message"]


def test_members_cannot_manage_the_account(api, people):
    key = people["alice"]["key"]
    for method, path, body in [("POST", "/users", {"email": "z@example.com"}), ("POST", "/teams", {"name": "t"}),
                               ("PUT", f"/teams/{people['red']}/members/{people['carol']['id']}", None),
                               ("DELETE", f"/teams/{people['red']}/members/{people['bob']['id']}", None),
                               ("POST", "/runners", {"name": "r", "team_id": 0})]:
        code, data = api.call(method, path, key, body)
        assert code == 403, (method, path)
        assert "owner and admins" in data["Message"]


def test_admin_can_manage_teams_and_members(api, people):
    admin = people["admin"]["key"]
    team = api.ok("POST", "/teams", admin, {"name": "green"}, status=201)["team"]
    assert team["id"] > people["blue"]
    api.ok("PUT", f"/teams/{team['id']}/members/{people['carol']['id']}", admin)
    assert {"id": team["id"], "name": "green"} in api.ok("GET", "/me", people["carol"]["key"])["teams"]
    api.ok("DELETE", f"/teams/{team['id']}/members/{people['carol']['id']}", admin)
    assert {"id": team["id"], "name": "green"} not in api.ok("GET", "/me", people["carol"]["key"])["teams"]


def test_team_ids_are_increasing_integers(api, owner):
    ids = [api.ok("POST", "/teams", owner, {"name": f"t{i}"}, status=201)["team"]["id"] for i in range(3)]
    assert ids == [1, 2, 3]


def test_membership_of_unknown_team_or_user_is_404(api, people):
    owner = people["owner"]["key"]
    assert api.call("PUT", f"/teams/999/members/{people['alice']['id']}", owner)[0] == 404
    assert api.call("PUT", f"/teams/{people['red']}/members/usr_nobody", owner)[0] == 404
    assert api.call("PUT", f"/teams/abc/members/{people['alice']['id']}", owner)[0] == 400


def test_runners_visible_by_scope(api, people):
    owner = people["owner"]["key"]
    glob = api.ok("POST", "/runners", owner, {"name": "global", "team_id": 0}, status=201)["runner"]
    red = api.ok("POST", "/runners", owner, {"name": "red-box", "team_id": people["red"]}, status=201)["runner"]
    blue = api.ok("POST", "/runners", owner, {"name": "blue-box", "team_id": people["blue"]}, status=201)["runner"]
    assert glob["team_id"] == 0 and red["team_id"] == people["red"]
    seen = {r["id"] for r in api.ok("GET", "/runners", people["alice"]["key"])["runners"]}
    assert seen == {glob["id"], red["id"]}
    assert {r["id"] for r in api.ok("GET", "/runners", owner)["runners"]} == {glob["id"], red["id"], blue["id"]}
    assert api.call("POST", "/runners", owner, {"name": "x", "team_id": 42})[0] == 404
    assert api.call("POST", "/runners", owner, {"name": "", "team_id": 0})[0] == 400


def test_other_accounts_are_invisible(api, people):
    from chalicelib.identity import directory
    from tests.conftest import NOW
    _, other = directory.create_account("Other", "boss@other.example", NOW)
    code, _ = api.call("PUT", f"/teams/{people['red']}/members/{people['alice']['id']}", other)
    assert code == 404
    assert api.ok("GET", "/runners", other)["runners"] == []
