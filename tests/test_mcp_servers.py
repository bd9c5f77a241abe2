"""MCP servers through the API: registered with the automations' scope,
tested from the service through the outbound guard, chosen by automations
(only servers of their scope), and offered to a run's model: a real MCP
server (the `mcp` SDK, streamable HTTP on 127.0.0.1) and a scripted
OpenAI-compatible model server that calls one of its tools."""
import json
from dataclasses import replace

import pytest

from chalicelib import settings
from chalicelib.clock import utcnow
from tests.conftest import rule_body, work_queue
from tests.mcp_fixtures import serve_http
from tests.servers import outbound
from tests.test_agent_openai import ModelServer, answer, tool_reply

TOKEN = "grafana-token-0123456789"


def _field(body):
    return body["errors"][0]["field"]


def _secret(api, key, name="grafana-mcp-token", value=TOKEN):
    api.ok("PUT", f"/secrets/{name}", key, {"value": value}, status=201)


def _server(api, key, url, **over):
    body = {"name": "grafana", "team_id": 0, "url": url,
            "headers": {"Authorization": {"secret": "grafana-mcp-token", "prefix": "Bearer "}, "X-Org": "7"}, **over}
    return api.ok("POST", "/mcp-servers", key, body, status=201)["mcp_server"]


def test_owners_and_admins_manage_servers_and_secret_values_are_never_returned(api, people):
    owner, admin, alice = people["owner"]["key"], people["admin"]["key"], people["alice"]["key"]
    _secret(api, owner)
    made = _server(api, admin, "https://mcp.example.com/mcp", allowed_tools=["search", "search"])
    assert made["id"].startswith("mcp_") and made["allowed_tools"] == ["search"]
    assert made["headers"] == {"Authorization": {"secret": "grafana-mcp-token", "prefix": "Bearer "}, "X-Org": "7"}
    assert TOKEN not in json.dumps(api.ok("GET", "/mcp-servers", owner))
    assert api.call("POST", "/mcp-servers", alice, {"name": "x", "url": "https://a.example/mcp"})[0] == 403
    assert api.ok("GET", f"/mcp-servers/{made['id']}", alice)["mcp_server"]["can_edit"] is False
    changed = api.ok("PUT", f"/mcp-servers/{made['id']}", owner, {"name": "grafana prod", "allowed_tools": None})
    assert changed["mcp_server"]["name"] == "grafana prod" and changed["mcp_server"]["allowed_tools"] is None
    assert api.call("PUT", f"/mcp-servers/{made['id']}", alice, {"name": "mine"})[0] == 403
    api.ok("DELETE", f"/mcp-servers/{made['id']}", owner, status=204)
    assert api.call("GET", f"/mcp-servers/{made['id']}", owner)[0] == 404


@pytest.mark.parametrize("body, field", [
    ({"url": "ftp://x.example/mcp"}, "url"),
    ({"url": "https://user:pw@x.example/mcp"}, "url"),
    ({"url": "http://["}, "url"),
    ({"url": "http://x.example:port/mcp"}, "url"),
    ({"headers": {"Authorization": "Bearer plain"}}, "headers.Authorization"),
    ({"headers": {"X-Api-Key": "k"}}, "headers.X-Api-Key"),
    ({"headers": {"Authorization": {"secret": "nope"}}}, "headers.Authorization.secret"),
    ({"headers": {"bad header": "x"}}, "headers.bad header"),
    ({"headers": {"X-Org": "a\r\nb"}}, "headers.X-Org"),
    ({"allowed_tools": "search"}, "allowed_tools"),
    ({"team_id": 99}, "team_id"),
    ({"name": ""}, "name"),
    ({"colour": "red"}, "colour"),
])
def test_bad_servers_are_refused_naming_the_field(api, owner, body, field):
    full = {"name": "g", "url": "https://mcp.example.com/mcp", **body}
    code, answer_ = api.call("POST", "/mcp-servers", owner, full)
    assert code == 400 and answer_["errors"][0]["field"] == field, answer_


def test_a_teams_server_is_seen_by_its_team_and_offered_only_to_its_automations(api, people):
    owner, alice, carol = people["owner"]["key"], people["alice"]["key"], people["carol"]["key"]
    red_server = _server(api, owner, "https://red.example/mcp", name="red", headers=None, team_id=people["red"])
    shared = _server(api, owner, "https://all.example/mcp", name="all", headers=None)
    assert {s["name"] for s in api.ok("GET", "/mcp-servers", alice)["mcp_servers"]} == {"red", "all"}
    assert {s["name"] for s in api.ok("GET", "/mcp-servers", carol)["mcp_servers"]} == {"all"}
    assert api.call("GET", f"/mcp-servers/{red_server['id']}", carol)[0] == 404

    red_rule = api.ok("POST", "/automations", alice, rule_body(team_id=people["red"], mcp_server_ids=[
        red_server["id"], shared["id"]]), status=201)["automation"]
    assert red_rule["mcp_server_ids"] == [red_server["id"], shared["id"]]
    # another team's automation may not use it: 400 naming the field (invisible or not)
    api.ok("PUT", f"/teams/{people['blue']}/members/{people['alice']['id']}", owner)
    code, body = api.call("POST", "/automations", alice, rule_body(team_id=people["blue"],
                                                                   mcp_server_ids=[shared["id"], red_server["id"]]))
    assert code == 400 and _field(body) == "mcp_server_ids[1]" and "belongs to team" in body["Message"], body
    code, body = api.call("POST", "/automations", carol, rule_body(team_id=people["blue"],
                                                                   mcp_server_ids=[red_server["id"]]))
    assert code == 400 and body["errors"][0]["field"] == "mcp_server_ids[0]", body
    code, body = api.call("POST", "/automations", alice, rule_body(mcp_server_ids=[red_server["id"]]))
    assert code == 400 and _field(body) == "mcp_server_ids[0]"  # a personal automation: the account's servers only
    assert _field(api.call("POST", "/automations", alice, rule_body(mcp_server_ids="mcp_1"))[1]) == "mcp_server_ids"
    # moving the automation out of the server's team is refused too
    code, body = api.call("PATCH", f"/automations/{red_rule['id']}", alice, {"team_id": people["blue"]})
    assert code == 400 and body["errors"][0]["field"] == "mcp_server_ids[0]"
    edited = api.ok("PATCH", f"/automations/{red_rule['id']}", alice, {"mcp_server_ids": [shared["id"]]})
    assert edited["automation"]["mcp_server_ids"] == [shared["id"]]


def test_the_test_route_lists_the_tools_or_says_what_is_wrong(api, owner, aws):
    _secret(api, owner)
    seen = []
    with serve_http(headers=seen) as url, outbound(allow_loopback=True):
        server = _server(api, owner, url, allowed_tools=["echo"])
        found = api.ok("POST", f"/mcp-servers/{server['id']}/test", owner)
        assert found["ok"] is True and found["elapsed_ms"] > 0
        assert {(t["name"], t["allowed"]) for t in found["tools"]} == {
            ("echo", True), ("slow", False), ("fail", False), ("secret_dump", False)}
        assert next(t for t in found["tools"] if t["name"] == "echo")["description"] == "Say the text back"
        assert seen and all(h.get("authorization") == f"Bearer {TOKEN}" and h.get("x-org") == "7" for h in seen)
    # the guard: loopback is internal unless the deployment allows it
    with serve_http() as url, outbound(allow_loopback=False):
        api.ok("PUT", f"/mcp-servers/{server['id']}", owner, {"url": url})
        refused = api.ok("POST", f"/mcp-servers/{server['id']}/test", owner)
        assert refused["ok"] is False and refused["error"].startswith("refused by the outbound guard")
        assert "internal address" in refused["error"]
    with outbound(allow_loopback=True):  # down: nothing listens there any more
        down = api.ok("POST", f"/mcp-servers/{server['id']}/test", owner)
        assert down["ok"] is False and "cannot connect" in down["error"], down
    with outbound(allow_loopback=True):  # loopback allowed (the tests' stand-ins), internal addresses still not
        for internal, what in (("http://10.0.0.5/mcp", "private network"),
                               ("http://169.254.169.254/mcp", "link-local cloud metadata")):
            api.ok("PUT", f"/mcp-servers/{server['id']}", owner, {"url": internal})
            refused = api.ok("POST", f"/mcp-servers/{server['id']}/test", owner)
            assert refused["ok"] is False and f"an internal address ({what}); refused" in refused["error"], refused
    assert api.call("POST", f"/mcp-servers/{server['id']}/test", api_key_of_member(api, owner))[0] == 403


def api_key_of_member(api, owner):
    return api.ok("POST", "/users", owner, {"email": "m@example.com", "role": "member"}, status=201)["api_key"]


def test_a_server_that_is_not_mcp_is_said_so(api, owner, aws):
    from tests.servers import serve
    with serve(lambda *_: (404, "<html>no</html>", {"Content-Type": "text/html"})) as url, \
            outbound(allow_loopback=True):
        server = _server(api, owner, f"{url}/mcp", headers=None)
        found = api.ok("POST", f"/mcp-servers/{server['id']}/test", owner)
    assert found["ok"] is False and "unavailable" in found["error"], found


@pytest.fixture
def openai_sandbox(aws):
    """The cloud sandbox's agent: the openai backend at a scripted model server, loopback reachable."""
    servers = []

    def start(*script, **changes):
        model = ModelServer(*script)
        servers.append(model)
        agent = settings.current().agent
        changes.setdefault("outbound", replace(agent.outbound, allow_loopback=True))
        settings.install(replace(settings.current(), agent=replace(
            agent, backend="openai", openai_base_url=f"{model.url}/v1", openai_model="m", openai_api_key_secret="",
            mcp_call_timeout=1.0, **changes)))
        return model
    yield start
    for model in servers:
        model.close()


def _run(api, key, rule, aws):
    run = api.ok("POST", f"/automations/{rule['id']}/runs", key, {"text": "go"}, status=202)["run"]
    work_queue(aws["runs"], clock=utcnow)
    done = api.ok("GET", f"/runs/{run['id']}", key)["run"]
    return done, api.ok("GET", f"/sessions/{done['session_id']}", key)["session"]


def test_a_run_offers_the_servers_tools_and_the_model_calls_one(api, people, aws, openai_sandbox):
    owner, alice = people["owner"]["key"], people["alice"]["key"]
    _secret(api, owner)
    calls, seen = [], []
    with serve_http(calls=calls, headers=seen) as url:
        model = openai_sandbox(
            tool_reply(("call_1", "grafana__echo", '{"text": "cpu of checkout"}'),
                       ("call_2", "grafana__secret_dump", "{}"),
                       ("call_3", "grafana__fail", '{"why": "bad query"}'),
                       ("call_4", "grafana__slow", '{"seconds": 5}')),
            answer("# Done\n\nEcho answered."))
        server = _server(api, owner, url, team_id=people["red"], allowed_tools=["echo", "fail", "slow"])
        rule = api.ok("POST", "/automations", alice, rule_body(
            team_id=people["red"], environment={"type": "cloud_sandbox"}, mcp_server_ids=[server["id"]]),
            status=201)["automation"]
        done, session = _run(api, alice, rule, aws)
    offered = {t["function"]["name"] for t in model.requests[0]["body"]["tools"]}
    assert {"grafana__echo", "grafana__fail", "grafana__slow", "http_check", "query_alerts"} <= offered
    assert "grafana__secret_dump" not in offered  # off the allow-list: not offered…
    replies = {m["tool_call_id"]: json.loads(m["content"]) for m in model.requests[1]["body"]["messages"]
               if m["role"] == "tool"}
    assert replies["call_1"] == {"ok": True, "content": "echo: cpu of checkout",
                                 "structured": {"result": "echo: cpu of checkout"}}
    assert replies["call_2"]["ok"] is False and "not on its allow-list" in replies["call_2"]["error"]  # …nor called
    assert replies["call_3"]["ok"] is False and "grafana__fail" in replies["call_3"]["error"]  # an error result
    assert replies["call_4"] == {"ok": False, "error": "grafana__slow failed: TimeoutError: no answer within 1 s"}
    assert [c[0] for c in calls] == ["echo", "fail", "slow"]  # secret_dump never reached the server
    assert all(h.get("authorization") == f"Bearer {TOKEN}" for h in seen)  # the secret, read at the start
    by_id = {c["id"]: c for c in session["tool_calls"]}
    assert by_id["call_1"]["tool"] == "grafana__echo" and by_id["call_1"]["input"] == {"text": "cpu of checkout"}
    assert by_id["call_1"]["output"]["content"] == "echo: cpu of checkout"
    assert done["status"] == "partial" and "3 of 4 tool call(s) failed" in done["reason"]  # never crashed
    assert TOKEN not in json.dumps(session)


def test_a_down_server_or_a_missing_secret_is_a_note_the_model_reads_not_a_crash(api, owner, aws, openai_sandbox):
    _secret(api, owner)
    with serve_http() as url:
        pass  # stopped: nothing listens there now
    model = openai_sandbox(answer("# Noted\n\nThe MCP server was down."))
    down = _server(api, owner, url, name="metrics", headers=None)
    locked = _server(api, owner, "http://127.0.0.1:9/mcp", name="locked")
    api.ok("PUT", f"/mcp-servers/{locked['id']}", owner,
           {"headers": {"Authorization": {"secret": "grafana-mcp-token"}}})
    from chalicelib import aws as clients
    clients.client("secretsmanager").delete_secret(
        SecretId=f"sre-automations/{_account(api, owner)}/grafana-mcp-token", ForceDeleteWithoutRecovery=True)
    rule = api.ok("POST", "/automations", owner, rule_body(environment={"type": "cloud_sandbox"},
                                                           mcp_server_ids=[down["id"], locked["id"]]),
                  status=201)["automation"]
    done, session = _run(api, owner, rule, aws)
    prompt = model.requests[0]["body"]["messages"][1]["content"]
    assert "MCP server metrics: unavailable (cannot connect" in prompt
    assert "MCP server locked: cannot read its header secret" in prompt
    assert done["status"] == "partial" and "MCP server metrics: unavailable" in done["reason"], done
    assert "MCP server locked: cannot read its header secret" in done["reason"]
    assert session["messages"][-1]["content"].startswith("# Noted")


def _account(api, key):
    from chalicelib.identity.caller import authenticate
    return authenticate({"authorization": f"Bearer {key}"}).account_id


def test_the_sandbox_refuses_an_internal_mcp_url_while_a_runner_allowed_it_reaches_it(api, owner, aws, transport,
                                                                                    openai_sandbox):
    """Loopback is an internal address: the cloud sandbox (not allowed to
    reach it) refuses the server with a note; a runner whose allow-list has
    it reaches the same server."""
    from sre_client.runner import Runner, runner_settings
    calls = []
    with serve_http(calls=calls) as url:
        model = openai_sandbox(answer("# ok\n\ndone"),
                               outbound=replace(settings.current().agent.outbound, allow_loopback=False))
        server = _server(api, owner, url, name="ops", headers=None)
        sandboxed = api.ok("POST", "/automations", owner, rule_body(
            environment={"type": "cloud_sandbox"}, mcp_server_ids=[server["id"]]), status=201)["automation"]
        done, _ = _run(api, owner, sandboxed, aws)
        assert "refused by the outbound guard" in done["reason"] and "internal address" in done["reason"], done
        offered = {t["function"]["name"] for t in model.requests[0]["body"]["tools"]}
        assert not any(name.startswith("ops__") for name in offered) and calls == []

        runner = api.ok("POST", "/runners", owner, {"name": "lab", "team_id": 0, "pool": "lab"}, status=201)
        on_runner = api.ok("POST", "/automations", owner, rule_body(
            environment={"type": "runner", "runner_id": runner["runner"]["id"]}, mcp_server_ids=[server["id"]]),
            status=201)["automation"]
        run = api.ok("POST", f"/automations/{on_runner['id']}/runs", owner, {"text": "go"}, status=202)["run"]
        work_queue(aws["runs"], clock=utcnow)
        model.script = [tool_reply(("c2", "ops__echo", '{"text": "from the runner"}')), answer("# ok\n\ndone")]
        agent = replace(runner_settings(["127.0.0.0/8"], environ={}), backend="openai",
                        openai_base_url=f"{model.url}/v1", openai_model="m")
        worker = Runner("http://testserver", runner["token"], runner["runner"]["id"], poll_seconds=1, http=transport,
                        settings=agent)
        work = worker.claim()
        assert work["mcp_servers"] == [{"id": server["id"], "name": "ops", "url": url, "allowed_tools": None,
                                        "headers": {}}]
        assert worker.work(work)["status"] == "succeeded"
    assert calls == [("echo", "from the runner")]
    assert api.ok("GET", f"/runs/{run['id']}", owner)["run"]["status"] == "succeeded"
