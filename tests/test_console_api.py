"""What the console needs from the API beyond API.md: the paginated list of
automations, the teams and the secret names; and the console's pages as the
app serves them (headers, assets)."""
from datetime import timedelta

from bench.aws_calls import CallMeter
from chalicelib.identity import directory
from tests.conftest import NOW, rule_body


def _create(api, key, count, **over):
    return [api.ok("POST", "/automations", key, rule_body(name=f"rule {i:03d}", triggers=[{"type": "api"}], **over),
                   status=201)["automation"]["id"] for i in range(count)]


def _all_pages(api, key, query="", limit=7):
    seen, cursor, pages = [], None, 0
    while True:
        page = api.ok("GET", f"/automations?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else ""), key)
        assert len(page["automations"]) <= limit
        seen += [a["name"] for a in page["automations"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            return seen, pages


def test_the_list_pages_newest_first_with_a_cursor(api, owner):
    _create(api, owner, 17)
    first = api.ok("GET", "/automations?limit=5", owner)
    assert [a["name"] for a in first["automations"]] == [f"rule {i:03d}" for i in range(16, 11, -1)]
    assert first["next_cursor"]
    names, pages = _all_pages(api, owner)
    assert names == [f"rule {i:03d}" for i in range(16, -1, -1)] and pages == 3
    default = api.ok("GET", "/automations", owner)
    assert len(default["automations"]) == 17 and default["next_cursor"] is None


def test_pages_hold_only_what_the_filters_and_the_caller_allow(api, people):
    alice, carol = people["alice"]["key"], people["carol"]["key"]
    _create(api, alice, 6, team_id=people["red"])
    _create(api, carol, 6, team_id=people["blue"])
    disabled = _create(api, carol, 4, team_id=0)
    for rule_id in disabled[:2]:
        api.ok("POST", f"/automations/{rule_id}/disable", carol)
    # alice sees red's rules and personal ones, never blue's, across every page
    names, _ = _all_pages(api, alice, limit=3)
    assert len(names) == 10
    red_only, _ = _all_pages(api, alice, query=f"&scope=team&team_id={people['red']}", limit=4)
    assert len(red_only) == 6
    off, _ = _all_pages(api, people["owner"]["key"], query="&status=disabled", limit=1)
    assert len(off) == 2


def test_a_filter_few_rules_pass_reads_the_account_in_a_few_calls(api, owner):
    [oldest] = _create(api, owner, 1)  # the one disabled rule, behind every other in the list
    api.ok("POST", f"/automations/{oldest}/disable", owner)
    _create(api, owner, 40)
    with CallMeter() as meter, meter.counting():
        page = api.ok("GET", "/automations?limit=2&status=disabled", owner)
    assert [a["id"] for a in page["automations"]] == [oldest] and page["next_cursor"] is None
    # pages of 2, 8, 32 and 128 rules read: one query per 2 rules would be 21
    assert meter.calls[("Query", "automations")] <= 4, meter.calls


def test_a_bad_or_foreign_cursor_is_refused(api, owner):
    _create(api, owner, 3)
    cursor = api.ok("GET", "/automations?limit=1", owner)["next_cursor"]
    _, other = directory.create_account("Other", "o@example.com", NOW)
    code, body = api.call("GET", f"/automations?limit=1&cursor={cursor}", other)
    assert code == 400 and "cursor" in body["Message"]
    assert api.call("GET", "/automations?cursor=not-a-cursor", owner)[0] == 400
    assert api.call("GET", "/automations?limit=0", owner)[0] == 400
    assert api.call("GET", "/automations?limit=201", owner)[0] == 400


def test_teams_all_for_admins_own_for_members(api, people):
    everyone = api.ok("GET", "/teams", people["admin"]["key"])["teams"]
    assert [t["name"] for t in everyone] == ["red", "blue"]
    assert [t["name"] for t in api.ok("GET", "/teams", people["carol"]["key"])["teams"]] == ["blue"]
    assert api.call("GET", "/teams")[0] == 401


def test_secret_names_are_listed_never_their_values(api, people):
    owner = people["owner"]["key"]
    api.ok("PUT", "/secrets/slack-oncall", owner, {"value": "https://hooks.example/very-secret"}, status=201)
    api.ok("PUT", "/secrets/pd.key", owner, {"value": "routing-key-value"}, status=201)
    listed = api.ok("GET", "/secrets", people["carol"]["key"])["secrets"]
    assert [s["name"] for s in listed] == ["pd.key", "slack-oncall"] and all(s["updated_at"] for s in listed)
    assert "very-secret" not in str(listed) and "routing-key-value" not in str(listed)
    _, other = directory.create_account("Other", "o@example.com", NOW + timedelta(seconds=1))
    assert api.ok("GET", "/secrets", other)["secrets"] == []
    assert api.call("GET", "/secrets")[0] == 401


def test_console_pages_carry_a_strict_policy_and_assets_only_from_the_build(api):
    resp = api.client.http.get("/ai-sre/automations")
    assert resp.status_code == 200
    headers = {k.lower(): v for k, v in resp.headers.items()}
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-cache"
    page = resp.body.decode()
    asset = page.split('src="')[1].split('"')[0]
    js = api.client.http.get(asset)
    assert js.status_code == 200 and "immutable" in dict(js.headers)["Cache-Control"]
    assert api.client.http.get("/ai-sre/assets/manifest.json").status_code == 404
    assert api.client.http.get("/ai-sre/assets/app.js").status_code == 404
