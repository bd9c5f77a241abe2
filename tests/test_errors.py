"""Error answers: every 400 names the field(s) at fault in a machine-readable
list (problem details' `errors`), and every error keeps the shape clients
know (`Code`, `Message`) with RFC 9457's members beside it."""
import pytest

from chalicelib.errors import Invalid
from tests.conftest import rule_body

# (method, path, body or raw text, the fields the 400 must name)
BAD = [
    ("POST", "/automations", rule_body(name=""), ["name"]),
    ("POST", "/automations", rule_body(task_prompt=None), ["task_prompt"]),
    ("POST", "/automations", rule_body(team_id="x"), ["team_id"]),
    ("POST", "/automations", rule_body(team_id=7), ["team_id"]),
    ("POST", "/automations", rule_body(enabled="yes"), ["enabled"]),
    ("POST", "/automations", rule_body(overlap="sometimes"), ["overlap"]),
    ("POST", "/automations", rule_body(environment={"type": "mars"}), ["environment.type"]),
    ("POST", "/automations", rule_body(environment={"type": "runner"}), ["environment.runner_id"]),
    ("POST", "/automations", rule_body(environment={"type": "runner", "runner_id": "rnr_nope"}),
     ["environment.runner_id"]),
    ("POST", "/automations", rule_body(triggers=[]), ["triggers"]),
    ("POST", "/automations", rule_body(triggers=[{"type": "schedule", "mode": "daily", "hour": 24,
                                                  "timezone": "Europe/Berlin"}]), ["triggers[0].hour"]),
    ("POST", "/automations", rule_body(triggers=[{"type": "api"}, {"type": "schedule", "mode": "weekly", "hour": 9,
                                                  "weekday": 9, "timezone": "UTC"}]), ["triggers[1].weekday"]),
    ("POST", "/automations", rule_body(triggers=[{"type": "schedule", "mode": "daily", "hour": 9,
                                                  "timezone": "Mars/Olympus"}]), ["triggers[0].timezone"]),
    ("POST", "/automations", rule_body(triggers=[{"type": "schedule", "mode": "custom", "cron": "1-5 * * *"}]),
     ["triggers[0].cron"]),
    ("POST", "/automations", rule_body(triggers=[{"type": "event", "expect": ["deploy.*"], "threshold": 0}]),
     ["triggers[0].threshold"]),
    ("POST", "/automations", rule_body(triggers=[{"type": "event", "expect": ["deploy.*"],
                                                  "match": {"nowhere": "x"}}]), ["triggers[0].match"]),
    ("POST", "/automations", rule_body(actions=[{"type": "carrier-pigeon"}]), ["actions[0].type"]),
    ("POST", "/automations", rule_body(actions=[{"type": "webhook", "url": "ftp://x"}]), ["actions[0].url"]),
    ("POST", "/automations", rule_body(actions=[{"type": "slack", "webhook_url_secret": "s", "message": "{a.__b}"}]),
     ["actions[0].message"]),
    ("POST", "/automations", rule_body(actions=[{"type": "email", "to_emails": ["x"], "on": ["failed"]}]),
     ["actions[0].to_emails[0]"]),
    ("POST", "/automations", rule_body(template_id="nope"), ["template_id"]),
    ("POST", "/automations", "not json", ["body"]),
    ("POST", "/automations", "[1, 2]", ["body"]),
    ("GET", "/automations?limit=0", None, ["limit"]),
    ("GET", "/automations?scope=everything", None, ["scope"]),
    ("GET", "/automations?cursor=bm9wZQ", None, ["cursor"]),
    ("GET", "/events?since=yesterday", None, ["since"]),
    ("POST", "/events", {"event": "bad name!", "resource": {"id": "r"}}, ["event"]),
    ("POST", "/events", [{"event": "ok.one", "resource": {"id": "r"}, "occurred": "soon"}], ["[0].occurred"]),
    ("POST", "/users", {"email": "not-an-address"}, ["email"]),
    ("POST", "/users", {"email": "x@example.com", "role": "king"}, ["role"]),
    ("POST", "/teams", {"name": ""}, ["name"]),
    ("POST", "/runners", {"name": "r", "pool": ""}, ["pool"]),
    ("PUT", "/secrets/ok-name", {"value": ""}, ["value"]),
    ("GET", "/automation-templates?locale=xx-YY", None, ["locale"]),
]


@pytest.mark.parametrize("method,path,body,fields", BAD, ids=[f"{m} {p} {f[0]}" for m, p, _, f in BAD])
def test_every_400_names_its_fields(api, owner, method, path, body, fields):
    raw = body if isinstance(body, str) else None
    code, data = api.call(method, path, owner, None if raw else body, raw=raw)
    assert code == 400, data
    assert [e["field"] for e in data["errors"]] == fields
    assert data["Code"] == "BadRequest" and data["status"] == 400 and data["title"] == "Bad Request"
    assert data["detail"] == data["Message"] and all(e["message"] for e in data["errors"])


def test_a_test_fire_names_the_field_of_its_sample_event(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(), status=201)["automation"]
    code, data = api.call("POST", f"/automations/{rule['id']}/test", owner,
                          {"event": {"event": "deploy.finished", "resource": {"id": "api"}, "occurred": "later"}})
    assert code == 400 and [e["field"] for e in data["errors"]] == ["event.occurred"]
    assert data["Message"].startswith("event: occurred must be an ISO 8601 time")


def test_other_errors_keep_their_code_with_the_problem_members(api, owner):
    code, data = api.call("GET", "/automations/aut_missing", owner)
    assert code == 404 and data["Code"] == "NotFound" and data["status"] == 404 and "errors" not in data
    code, data = api.call("GET", "/me", "sreak_wrong")
    assert code == 401 and (data["Code"], data["title"]) == ("Unauthorized", "Unauthorized")


def test_an_invalid_error_cannot_be_made_without_its_field():
    with pytest.raises(TypeError):
        Invalid("name is required")  # the field is required: no 400 without one
    assert Invalid("bad", field="x.y").within("event").errors == [{"field": "event.x.y", "message": "event: bad"}]


def test_a_test_fire_refuses_a_bad_outcome_even_with_an_event(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(), status=201)["automation"]
    code, data = api.call("POST", f"/automations/{rule['id']}/test", owner,
                          {"outcome": "exploded", "event": {"event": "deploy.finished", "resource": {"id": "api"}}})
    assert code == 400 and [e["field"] for e in data["errors"]] == ["outcome"]


def test_an_event_of_a_year_before_1000_keeps_a_four_digit_year(api, owner):
    sent = {"event": "deploy.finished", "resource": {"id": "api"}, "occurred": "0653-09-11T08:58:46.2Z"}
    assert api.ok("POST", "/events", owner, sent, status=202)["accepted"]
    (event,) = [e for e in api.ok("GET", "/events?since=0600-01-01T00:00:00Z", owner)["events"]
                if e["resource"]["id"] == "api"]
    assert event["occurred"] == "0653-09-11T08:58:46.200Z"  # a date-time, as the document says
