"""API key rotation and revocation."""


def test_a_user_rotates_their_key_and_the_old_one_stops_at_once(api, people):
    alice = people["alice"]["key"]
    listed = api.ok("GET", "/api-keys", alice)["api_keys"]
    assert len(listed) == 1 and listed[0]["current"] and listed[0]["hint"] == "…" + alice[-4:]
    rotated = api.ok("POST", "/api-keys/rotate", alice)
    new = rotated["api_key"]
    assert new.startswith("sreak_") and new != alice and rotated["key"]["hint"] == "…" + new[-4:]
    assert api.call("GET", "/me", alice)[0] == 401
    assert api.ok("GET", "/me", new)["user"]["id"] == people["alice"]["id"]
    assert [k["id"] for k in api.ok("GET", "/api-keys", new)["api_keys"]] == [rotated["key"]["id"]]
    assert api.call("POST", "/api-keys/rotate", alice)[0] == 401  # the old key cannot rotate again


def test_owner_and_admins_revoke_and_issue_any_users_keys_members_only_their_own(api, people):
    admin, alice, bob = people["admin"]["key"], people["alice"]["key"], people["bob"]
    assert api.call("GET", f"/api-keys?user_id={bob['id']}", alice)[0] == 403
    bobs = api.ok("GET", f"/api-keys?user_id={bob['id']}", admin)["api_keys"]
    assert api.call("DELETE", f"/api-keys/{bobs[0]['id']}", alice)[0] == 404  # not hers to revoke
    assert api.call("DELETE", f"/users/{bob['id']}/api-keys", alice)[0] == 403
    assert api.call("POST", f"/users/{bob['id']}/api-keys", alice)[0] == 403
    assert api.ok("DELETE", f"/users/{bob['id']}/api-keys", admin) == {"revoked": 1}
    assert api.call("GET", "/me", bob["key"])[0] == 401
    issued = api.ok("POST", f"/users/{bob['id']}/api-keys", admin, status=201)["api_key"]
    assert api.ok("GET", "/me", issued)["user"]["id"] == bob["id"]
    key_id = api.ok("GET", "/api-keys", issued)["api_keys"][0]["id"]
    assert api.call("DELETE", f"/api-keys/{key_id}", issued)[0] == 204  # one's own key
    assert api.call("GET", "/me", issued)[0] == 401
    own = api.ok("GET", "/api-keys", alice)["api_keys"][0]["id"]
    assert api.call("DELETE", f"/api-keys/{own}", admin)[0] == 204
    assert api.call("GET", "/me", alice)[0] == 401
    assert api.call("POST", "/users/usr_nobody/api-keys", admin)[0] == 404
