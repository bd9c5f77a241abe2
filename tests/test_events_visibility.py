"""GET /events walked through the permission matrix, as
tests/test_permission_matrix.py walks the automations: a caller sees the
account's external events, and run events only of automations they can view
(the same 404 rule), never another team's names, runs or reasons."""
import pytest

from chalicelib import worker
from tests.conftest import NOW, rule_body

ACTORS = ("owner", "admin", "alice", "bob", "carol")
# actor -> (sees the personal rule's run events, sees the team-red rule's run events)
EXPECTED = {"owner": (True, True), "admin": (True, True), "alice": (True, True), "bob": (True, True),
            "carol": (True, False)}


@pytest.fixture
def world(api, people):
    """Alice's personal rule and her team-red rule, each with a finished run,
    and an external event of the account."""
    alice = people["alice"]["key"]
    rules = {}
    for which, team in (("personal", 0), ("team", people["red"])):
        rule = api.ok("POST", "/automations", alice, rule_body(name=f"{which} secret name", team_id=team,
                                                               task_prompt="No URLs."), status=201)["automation"]
        run = api.ok("POST", f"/automations/{rule['id']}/runs", alice, {}, status=202)["run"]
        worker.process({"run_id": run["id"], "automation_id": rule["id"], "trigger": "manual"}, NOW)
        rules[which] = rule
    api.ok("POST", "/events", people["carol"]["key"], {"id": "ext-1", "event": "deploy.finished",
                                                       "resource": {"id": "svc-api"}}, status=202)
    return rules


@pytest.mark.parametrize("actor", ACTORS)
def test_events_list_shows_only_what_the_caller_may_see(api, people, world, actor):
    key = people[actor]["key"]
    sees_personal, sees_team = EXPECTED[actor]
    events = api.ok("GET", "/events?limit=200", key)["events"]
    about = {e["resource"]["id"] for e in events}
    assert "svc-api" in about  # external events: everyone in the account
    assert (world["personal"]["id"] in about) is sees_personal
    assert (world["team"]["id"] in about) is sees_team
    if not sees_team:
        assert "team secret name" not in str(events)
    # the same answer as reading the automation itself
    code, _ = api.call("GET", f"/automations/{world['team']['id']}", key)
    assert code == (200 if sees_team else 404)


@pytest.mark.parametrize("actor", ACTORS)
def test_filters_and_pages_keep_to_the_callers_view(api, people, world, actor):
    key = people[actor]["key"]
    _, sees_team = EXPECTED[actor]
    filtered = api.ok("GET", f"/events?resource_id={world['team']['id']}", key)["events"]
    assert bool(filtered) is sees_team
    assert all(e["event"].startswith("automation.run.") for e in filtered)
    seen, cursor = [], None
    for _ in range(10):  # page by one: the hidden ones are skipped, the cursor still reaches the end
        page = api.ok("GET", "/events?limit=1" + (f"&cursor={cursor}" if cursor else ""), key)
        seen += page["events"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert not cursor and [e["id"] for e in seen] == [e["id"] for e in api.ok("GET", "/events", key)["events"]]


def test_other_accounts_see_nothing(api, people, world):
    from chalicelib.identity import directory
    _, stranger = directory.create_account("Other", "x@other.example", NOW)
    assert api.ok("GET", "/events", stranger)["events"] == []
