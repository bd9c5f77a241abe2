"""Automation routes: create, read, list, edit, enable/disable, delete, rotate,
templates, and bad input answered with the right status and a useful message."""
import json

import pytest

from tests.conftest import rule_body


def test_create_returns_the_rule_and_the_token_once(api, owner):
    data = api.ok("POST", "/automations", owner, rule_body(), status=201)
    rule, trigger = data["automation"], data["api_trigger"]
    assert rule["name"] == "Daily health check" and rule["enabled"] is True and rule["can_edit"] is True
    assert rule["environment"] == {"type": "auto"}
    sched = next(t for t in rule["triggers"] if t["type"] == "schedule")
    assert sched["mode"] == "daily" and sched["hour"] == 9 and sched["cron"] in ("8 * * *", "7 * * *")
    assert len(rule["next_runs"]) == 5 and all(t.endswith(":00:00Z") for t in rule["next_runs"])
    api_trig = next(t for t in rule["triggers"] if t["type"] == "api")
    assert trigger["url"] == api_trig["url"] and trigger["token"].startswith("srett_")
    assert api_trig["token_hint"] == "…" + trigger["token"][-4:]
    assert trigger["token"] in trigger["curl"] and trigger["url"] in trigger["curl"]
    again = api.ok("GET", f"/automations/{rule['id']}", owner)
    assert trigger["token"] not in json.dumps(again)


def test_weekly_in_shanghai_is_stored_as_utc_with_the_weekday_shifted(api, owner):
    body = rule_body(triggers=[{"type": "schedule", "mode": "weekly", "hour": 2, "weekday": 1,
                                "timezone": "Asia/Shanghai"}])
    rule = api.ok("POST", "/automations", owner, body, status=201)["automation"]
    assert rule["triggers"][0]["cron"] == "18 * * 0"
    assert all(t.endswith("T18:00:00Z") for t in rule["next_runs"])


def test_custom_cron_and_no_api_trigger(api, owner):
    body = rule_body(triggers=[{"type": "schedule", "mode": "custom", "cron": "09 1 * 7"}])
    data = api.ok("POST", "/automations", owner, body, status=201)
    assert "api_trigger" not in data
    assert data["automation"]["triggers"][0]["cron"] == "9 1 * 0"


def test_api_only_rule_has_no_next_runs(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(triggers=[{"type": "api"}]), status=201)["automation"]
    assert rule["next_runs"] == []


@pytest.mark.parametrize("change, field", [
    ({"name": ""}, "name"), ({"name": "x" * 256}, "name"), ({"name": 5}, "name"),
    ({"task_prompt": ""}, "task_prompt"), ({"task_prompt": None}, "task_prompt"),
    ({"triggers": []}, "triggers"), ({"triggers": "daily"}, "triggers"),
    ({"triggers": [{"type": "email"}]}, "triggers[0].type"),
    ({"triggers": [{"type": "api"}, {"type": "api"}]}, "at most one api trigger"),
    ({"triggers": [{"type": "schedule", "mode": "custom", "cron": "*/2 * * *"}]}, "hour"),
    ({"triggers": [{"type": "schedule", "mode": "custom", "cron": "1 * * * *"}]}, "4 segments"),
    ({"triggers": [{"type": "schedule", "mode": "custom", "cron": "1 32 * *"}]}, "day-of-month"),
    ({"triggers": [{"type": "schedule", "mode": "daily", "hour": 9, "timezone": "Mars/Olympus"}]}, "timezone"),
    ({"triggers": [{"type": "schedule", "mode": "weekly", "hour": 9, "weekday": 9}]}, "weekday"),
    ({"triggers": [{"type": "schedule", "mode": "daily", "hour": "9"}]}, "hour"),
    ({"team_id": -1}, "team_id"), ({"team_id": True}, "team_id"), ({"team_id": 7}, "team"),
    ({"enabled": "yes"}, "enabled"), ({"environment": {"type": "moon"}}, "environment.type"),
    ({"environment": {"type": "runner"}}, "environment.runner_id"),
    ({"environment": {"type": "runner", "runner_id": "rnr_missing"}}, "environment.runner_id"),
    ({"template_id": "no-such-template"}, "template_id"), ({"overlap": "queue"}, "overlap"),
])
def test_invalid_fields_are_400_naming_the_field(api, owner, change, field):
    code, data = api.call("POST", "/automations", owner, rule_body(**change))
    assert code == 400, data
    assert field in data["Message"]


@pytest.mark.parametrize("raw, status", [(b"{not json", 400), (b"[1, 2]", 400), (b'"text"', 400),
                                         (b"\xff\xfe", 400), (b"", 400),
                                         (json.dumps({"name": "x" * 300_000}).encode(), 413)])
def test_malformed_or_oversized_bodies(api, owner, raw, status):
    code, data = api.call("POST", "/automations", owner, raw=raw)
    assert code == status and data["Message"]


def test_json_body_without_content_type_header_is_accepted(api, owner):
    code, _ = api.call("POST", "/automations", owner, rule_body(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert code == 201


def test_unknown_and_foreign_ids_are_404(api, owner):
    from chalicelib.identity import directory
    from tests.conftest import NOW
    rule = api.ok("POST", "/automations", owner, rule_body(), status=201)["automation"]
    _, stranger = directory.create_account("Other", "boss@other.example", NOW)
    for method, path in [("GET", "/automations/aut_missing"), ("GET", f"/automations/{rule['id']}"),
                         ("PATCH", f"/automations/{rule['id']}"), ("DELETE", f"/automations/{rule['id']}"),
                         ("POST", f"/automations/{rule['id']}/disable"),
                         ("POST", f"/automations/{rule['id']}/api-trigger/rotate"),
                         ("GET", f"/automations/{rule['id']}/runs"), ("GET", "/runs/run_missing")]:
        code, data = api.call(method, path, stranger, {} if method == "PATCH" else None)
        assert code == 404, (method, path, data)
    assert api.ok("GET", "/automations", stranger)["automations"] == []


def test_patch_changes_fields_and_recomputes_schedule(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(), status=201)["automation"]
    patched = api.ok("PATCH", f"/automations/{rule['id']}", owner, {
        "name": "Renamed", "triggers": [{"type": "schedule", "mode": "hourly"}, {"type": "api"}]})["automation"]
    assert patched["name"] == "Renamed" and patched["triggers"][0]["cron"] == "* * * *"
    assert "api_trigger" not in api.ok("PATCH", f"/automations/{rule['id']}", owner, {"name": "Again"})
    assert patched["triggers"][1]["id"] == rule["triggers"][1]["id"]  # the api trigger kept its URL


def test_patch_that_adds_the_api_trigger_returns_its_token(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(triggers=[{"type": "schedule", "mode": "hourly"}]),
                  status=201)["automation"]
    data = api.ok("PATCH", f"/automations/{rule['id']}", owner,
                  {"triggers": [{"type": "schedule", "mode": "hourly"}, {"type": "api"}]})
    assert data["api_trigger"]["token"].startswith("srett_")
    code, _ = api.call("POST", data["api_trigger"]["url"].replace("http://testserver", ""),
                       data["api_trigger"]["token"], {"text": "go"})
    assert code == 202


def test_patch_that_removes_the_api_trigger_kills_its_token(api, owner):
    data = api.ok("POST", "/automations", owner, rule_body(), status=201)
    path = data["api_trigger"]["url"].replace("http://testserver", "")
    api.ok("PATCH", f"/automations/{data['automation']['id']}", owner,
           {"triggers": [{"type": "schedule", "mode": "hourly"}]})
    assert api.call("POST", path, data["api_trigger"]["token"], {})[0] == 401


def test_enable_disable_and_status_filter(api, owner):
    a = api.ok("POST", "/automations", owner, rule_body(name="a"), status=201)["automation"]
    b = api.ok("POST", "/automations", owner, rule_body(name="b"), status=201)["automation"]
    assert api.ok("POST", f"/automations/{a['id']}/disable", owner)["automation"]["enabled"] is False
    names = lambda q: [r["name"] for r in api.ok("GET", f"/automations{q}", owner)["automations"]]  # noqa: E731
    assert names("?status=disabled") == ["a"] and names("?status=enabled") == ["b"]
    assert sorted(names("")) == ["a", "b"] and names("?status=all") == ["b", "a"]  # newest first
    api.ok("POST", f"/automations/{a['id']}/enable", owner)
    assert sorted(names("?status=enabled")) == ["a", "b"]
    assert b["id"]
    assert api.call("GET", "/automations?status=sleeping", owner)[0] == 400
    assert api.call("GET", "/automations?scope=galaxy", owner)[0] == 400


def test_scope_and_team_filters(api, people):
    owner = people["owner"]["key"]
    api.ok("POST", "/automations", owner, rule_body(name="personal"), status=201)
    api.ok("POST", "/automations", people["alice"]["key"], rule_body(name="red", team_id=people["red"]), status=201)
    api.ok("POST", "/automations", people["carol"]["key"], rule_body(name="blue", team_id=people["blue"]),
           status=201)
    names = lambda q: sorted(r["name"] for r in api.ok("GET", f"/automations{q}", owner)["automations"])  # noqa: E731
    assert names("?scope=personal") == ["personal"]
    assert names("?scope=team") == ["blue", "red"]
    assert names(f"?scope=team&team_id={people['red']}") == ["red"]
    assert names(f"?team_id={people['red']}&team_id={people['blue']}") == ["blue", "red"]
    assert api.call("GET", "/automations?team_id=abc", owner)[0] == 400


def test_delete_stops_the_rule_and_its_token(api, owner):
    data = api.ok("POST", "/automations", owner, rule_body(), status=201)
    rule_id = data["automation"]["id"]
    code, _ = api.call("DELETE", f"/automations/{rule_id}", owner)
    assert code == 204
    assert api.call("GET", f"/automations/{rule_id}", owner)[0] == 404
    assert api.ok("GET", "/automations", owner)["automations"] == []
    path = data["api_trigger"]["url"].replace("http://testserver", "")
    assert api.call("POST", path, data["api_trigger"]["token"], {})[0] == 401
    assert api.call("DELETE", f"/automations/{rule_id}", owner)[0] == 404


def test_rotation_invalidates_the_old_token_at_once(api, owner):
    data = api.ok("POST", "/automations", owner, rule_body(), status=201)
    path = data["api_trigger"]["url"].replace("http://testserver", "")
    old = data["api_trigger"]["token"]
    new = api.ok("POST", f"/automations/{data['automation']['id']}/api-trigger/rotate", owner)
    assert new["url"] == data["api_trigger"]["url"] and new["token"] != old and new["token"] in new["curl"]
    assert api.call("POST", path, old, {})[0] == 401
    assert api.call("POST", path, new["token"], {})[0] == 202
    hint = api.ok("GET", f"/automations/{data['automation']['id']}", owner)["automation"]["triggers"][1]
    assert hint["token_hint"] == "…" + new["token"][-4:]


def test_rotate_without_api_trigger_is_409(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(triggers=[{"type": "schedule", "mode": "hourly"}]),
                  status=201)["automation"]
    code, data = api.call("POST", f"/automations/{rule['id']}/api-trigger/rotate", owner)
    assert code == 409 and "no api trigger" in data["Message"]


def test_runner_scope_rule(api, people):
    owner = people["owner"]["key"]
    glob = api.ok("POST", "/runners", owner, {"name": "g", "team_id": 0}, status=201)["runner"]["id"]
    red = api.ok("POST", "/runners", owner, {"name": "r", "team_id": people["red"]}, status=201)["runner"]["id"]
    alice = people["alice"]["key"]
    body = rule_body(team_id=people["red"], environment={"type": "runner", "runner_id": red})
    rule = api.ok("POST", "/automations", alice, body, status=201)["automation"]
    assert rule["environment"] == {"type": "runner", "runner_id": red}
    code, data = api.call("POST", "/automations", alice, rule_body(environment={"type": "runner", "runner_id": red}))
    assert code == 400 and "outside this automation's scope" in data["Message"]
    # moving the rule to personal scope clears the team runner that no longer fits
    moved = api.ok("PATCH", f"/automations/{rule['id']}", alice, {"team_id": 0})["automation"]
    assert moved["team_id"] == 0 and moved["environment"] == {"type": "auto"}
    kept = api.ok("PATCH", f"/automations/{rule['id']}", alice,
                  {"environment": {"type": "runner", "runner_id": glob}})["automation"]
    assert kept["environment"]["runner_id"] == glob
    assert api.ok("PATCH", f"/automations/{rule['id']}", alice, {"team_id": people["red"]})["automation"][
        "environment"] == {"type": "runner", "runner_id": glob}


def test_owner_must_be_member_of_the_team(api, people):
    code, data = api.call("POST", "/automations", people["alice"]["key"], rule_body(team_id=people["blue"]))
    assert code == 400 and "not a member of team" in data["Message"]
    # an admin who is in no team cannot put their own rule in a team either
    code, data = api.call("POST", "/automations", people["admin"]["key"], rule_body(team_id=people["red"]))
    assert code == 400 and "not a member of team" in data["Message"]


def test_templates_by_locale(api, owner):
    en = api.ok("GET", "/automation-templates", owner)
    assert en["locale"] == "en-US"
    assert {t["category"] for t in en["templates"]} == {
        "Noise Reduction", "Incident Post-mortem", "Escalation / Load", "Change", "On-call"}
    zh = api.ok("GET", "/automation-templates", owner, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh["locale"] == "zh-CN" and len(zh["templates"]) == 5
    assert [t["id"] for t in zh["templates"]] == [t["id"] for t in en["templates"]]
    assert api.ok("GET", "/automation-templates?locale=zh-CN", owner)["templates"] == zh["templates"]
    assert api.call("GET", "/automation-templates?locale=fr-FR", owner)[0] == 400
    for t in en["templates"] + zh["templates"]:
        assert len(t["task_prompt"]) > 300 and t["name"]


def test_template_prefills_and_the_request_overrides(api, owner):
    body = {"team_id": 0, "template_id": "incident-postmortem", "triggers": [{"type": "api"}]}
    rule = api.ok("POST", "/automations", owner, body, status=201)["automation"]
    assert rule["name"] == "Incident post-mortem draft" and "post-mortem" in rule["task_prompt"]
    assert rule["template_id"] == "incident-postmortem"
    zh = api.ok("POST", "/automations", owner, body, status=201, headers={"Accept-Language": "zh-CN"})
    assert zh["automation"]["name"] == "故障复盘草稿"
    own = api.ok("POST", "/automations", owner, {**body, "name": "Mine", "task_prompt": "Do X"}, status=201)
    assert own["automation"]["name"] == "Mine" and own["automation"]["task_prompt"] == "Do X"


def test_overlap_policy_defaults_to_skip_and_can_be_set(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(), status=201)["automation"]
    assert rule["overlap"] == "skip"
    assert api.ok("PATCH", f"/automations/{rule['id']}", owner, {"overlap": "allow"})["automation"]["overlap"] == \
        "allow"
