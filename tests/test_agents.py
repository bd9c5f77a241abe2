"""Agent profiles (/agents): who makes and sees them, the refusals that name
the field, the account's default, an automation's agent_id and its scope, and
runs: two automations with two profiles reach two scripted Chat Completions
servers on 127.0.0.1 end to end through the worker, a profile whose key secret
is not set fails the run at its start, the cloud's guard on a profile's
endpoint, and a runner with its own model."""
import ipaddress
import json
from dataclasses import replace

import pytest

from chalicelib import settings, worker
from chalicelib.clock import utcnow
from sre_agent.agents.registry import settings_for
from sre_agent.settings import AgentSettings
from sre_client.runner import Runner, runner_settings
from tests.conftest import rule_body
from tests.test_agent_openai import ModelServer, answer

OPENAI = {"backend": "openai", "model": "gpt-test", "base_url": "https://api.openai.com/v1"}


@pytest.fixture
def models():
    """`models(*script)` starts a scripted Chat Completions server on 127.0.0.1; all stop after the test."""
    started = []

    def start(*script):
        server = ModelServer(*script)
        started.append(server)
        return server
    yield start
    for server in started:
        server.close()


def _agent(api, key, status=201, **body):
    return api.ok("POST", "/agents", key, {"name": "prof", "team_id": 0, **body}, status=status)


def _secret(api, key, name, value):
    api.ok("PUT", f"/secrets/{name}", key, {"value": value}, status=201)


def _automation(api, key, **over):
    body = rule_body(task_prompt=over.pop("task_prompt", "Say hello."), triggers=[{"type": "api"}], **over)
    return api.ok("POST", "/automations", key, body, status=201)["automation"]


def _run(api, key, automation):
    """A manual run of the automation, worked by the worker (CLOUD_SANDBOX=inline): its JSON after."""
    run = api.ok("POST", f"/automations/{automation['id']}/runs", key, {}, status=202)["run"]
    worker.process({"run_id": run["id"], "automation_id": automation["id"], "trigger": "manual"}, utcnow())
    return api.ok("GET", f"/runs/{run['id']}", key)["run"]


# --- the routes ---------------------------------------------------------------------------------

def test_owners_and_admins_make_profiles_everyone_in_scope_reads_them(api, people):
    owner, admin, alice, carol = (people[k]["key"] for k in ("owner", "admin", "alice", "carol"))
    made = _agent(api, owner, name="gpt prod", **OPENAI, api_key_secret="openai-key", max_steps=5)["agent"]
    assert made["id"].startswith("agt_") and made["default"] is False
    assert {k: made[k] for k in ("name", "team_id", "backend", "model", "base_url", "api_key_secret", "max_steps",
                                 "max_tokens")} == \
        {"name": "gpt prod", "team_id": 0, "backend": "openai", "model": "gpt-test",
         "base_url": "https://api.openai.com/v1", "api_key_secret": "openai-key", "max_steps": 5, "max_tokens": 50000}
    red = _agent(api, admin, name="red's", backend="builtin", team_id=people["red"])["agent"]
    assert api.call("POST", "/agents", alice, {"name": "x", "backend": "builtin"})[0] == 403

    assert {a["id"] for a in api.ok("GET", "/agents", alice)["agents"]} == {made["id"], red["id"]}
    assert [a["id"] for a in api.ok("GET", "/agents", carol)["agents"]] == [made["id"]]  # blue: not red's
    assert api.call("GET", f"/agents/{red['id']}", carol)[0] == 404
    assert api.ok("GET", f"/agents/{red['id']}", alice)["agent"]["name"] == "red's"

    assert api.call("PUT", f"/agents/{made['id']}", alice, {"name": "mine"})[0] == 403
    assert api.call("DELETE", f"/agents/{made['id']}", alice)[0] == 403
    changed = api.ok("PUT", f"/agents/{made['id']}", admin, {"model": "gpt-5", "max_tokens": 9000})["agent"]
    assert (changed["model"], changed["max_tokens"], changed["base_url"]) == \
        ("gpt-5", 9000, "https://api.openai.com/v1")  # the others stay
    builtin = api.ok("PUT", f"/agents/{made['id']}", admin, {"backend": "builtin"})["agent"]
    assert (builtin["model"], builtin["base_url"], builtin["api_key_secret"]) == (None, None, None)  # dropped
    assert api.call("DELETE", f"/agents/{made['id']}", admin)[0] == 204
    assert api.call("GET", f"/agents/{made['id']}", owner)[0] == 404
    assert api.call("GET", "/agents", None)[0] == 401


@pytest.mark.parametrize("body, field, says", [
    ({"backend": "gpt"}, "backend", "backend must be one of builtin, openai, bedrock"),
    ({"backend": "openai", "model": "m"}, "base_url", "base_url is required for the openai backend"),
    ({"backend": "openai", "base_url": "https://api.example.com/v1"}, "model", "model is required"),
    ({**OPENAI, "base_url": "ftp://api.example.com"}, "base_url", "must be an http(s) URL"),
    ({**OPENAI, "base_url": "http://169.254.169.254/latest"}, "base_url", "link-local cloud metadata"),
    ({**OPENAI, "base_url": "http://127.0.0.1:8000/v1"}, "base_url", "an internal address (loopback)"),
    ({**OPENAI, "api_key_secret": "no spaces"}, "api_key_secret", "api_key_secret must be a secret name"),
    ({"backend": "builtin", "model": "m"}, "model", "not used by the builtin backend"),
    ({"backend": "bedrock", "api_key_secret": "k"}, "api_key_secret", "Bedrock is reached with the environment's"),
    ({"backend": "bedrock", "base_url": "https://x.example.com"}, "base_url", "not used by the bedrock backend"),
    ({"backend": "builtin", "max_steps": 0}, "max_steps", "max_steps must be a whole number 1-50"),
    ({"backend": "builtin", "max_tokens": "many"}, "max_tokens", "max_tokens must be a whole number"),
    ({"backend": "builtin", "team_id": 42}, "team_id", "there is no team 42"),
    ({"backend": "builtin", "team_id": 1, "default": True}, "default", "only an account-wide profile"),
    ({"backend": "builtin", "default": "yes"}, "default", "default must be true or false"),
    ({"backend": "builtin", "name": " "}, "name", "name must be a non-empty string"),
    ({"backend": "builtin", "api_key": "sk-live"}, "api_key", "unknown field(s): api_key"),
])
def test_bad_input_is_a_400_naming_the_field(api, people, body, field, says):
    code, answer = api.call("POST", "/agents", people["owner"]["key"], {"name": "p", **body})
    assert code == 400 and answer["errors"][0]["field"] == field and says in answer["Message"], answer


def test_one_account_wide_profile_is_the_default(api, owner):
    first = _agent(api, owner, name="a", backend="builtin", default=True)["agent"]
    assert first["default"] is True
    second = _agent(api, owner, name="b", backend="builtin", default=True)["agent"]
    assert {a["name"]: a["default"] for a in api.ok("GET", "/agents", owner)["agents"]} == {"a": False, "b": True}
    assert api.ok("PUT", f"/agents/{first['id']}", owner, {"name": "a2"})["agent"]["default"] is False
    assert api.ok("PUT", f"/agents/{second['id']}", owner, {"default": False})["agent"]["default"] is False
    assert api.ok("PUT", f"/agents/{first['id']}", owner, {"default": True})["agent"]["default"] is True
    api.ok("DELETE", f"/agents/{first['id']}", owner, status=204)  # the default can go: none is default then
    assert [a["default"] for a in api.ok("GET", "/agents", owner)["agents"]] == [False]


def test_an_automation_names_a_profile_of_its_scope(api, people):
    owner, alice = people["owner"]["key"], people["alice"]["key"]
    shared = _agent(api, owner, name="shared", backend="builtin")["agent"]
    red = _agent(api, owner, name="red", backend="builtin", team_id=people["red"])["agent"]
    blue = _agent(api, owner, name="blue", backend="builtin", team_id=people["blue"])["agent"]

    personal = _automation(api, alice, agent_id=shared["id"])
    assert personal["agent_id"] == shared["id"]
    assert _automation(api, alice)["agent_id"] is None  # the account's default
    code, refused = api.call("POST", "/automations", alice, rule_body(agent_id=red["id"]))
    assert code == 400 and refused["errors"][0]["field"] == "agent_id" and "personal scope" in refused["Message"]
    code, refused = api.call("POST", "/automations", alice, rule_body(agent_id=blue["id"], team_id=people["red"]))
    assert code == 400 and refused["errors"][0]["field"] == "agent_id"  # alice cannot see blue's: as no profile
    assert "no agent profile" in refused["Message"]
    code, refused = api.call("POST", "/automations", alice, rule_body(agent_id=7))
    assert code == 400 and refused["errors"][0]["field"] == "agent_id"

    team = _automation(api, alice, team_id=people["red"], agent_id=red["id"])
    code, refused = api.call("PATCH", f"/automations/{team['id']}", owner, {"team_id": 0})  # red's no longer fits
    assert code == 400 and refused["errors"][0]["field"] == "agent_id"
    moved = api.ok("PATCH", f"/automations/{team['id']}", owner, {"team_id": 0, "agent_id": None})["automation"]
    assert (moved["team_id"], moved["agent_id"]) == (0, None)
    api.ok("PATCH", f"/automations/{team['id']}", alice, {"team_id": people["red"], "agent_id": red["id"]})

    # in use: not deleted, not moved out of its automations' scope (409 naming them)
    code, conflict = api.call("DELETE", f"/agents/{red['id']}", owner)
    assert code == 409 and team["id"] in conflict["Message"] and "Daily health check" in conflict["Message"]
    code, conflict = api.call("PUT", f"/agents/{red['id']}", owner, {"team_id": people["blue"]})
    assert code == 409 and team["id"] in conflict["Message"]
    api.ok("PUT", f"/agents/{red['id']}", owner, {"team_id": 0})  # wider still fits
    api.ok("PATCH", f"/automations/{team['id']}", alice, {"agent_id": None})
    api.ok("DELETE", f"/agents/{red['id']}", owner, status=204)
    api.ok("DELETE", f"/automations/{personal['id']}", alice, status=204)  # a deleted automation does not hold it
    api.ok("DELETE", f"/agents/{shared['id']}", owner, status=204)


# --- runs -----------------------------------------------------------------------------------------

def test_two_automations_with_two_profiles_reach_two_model_servers(api, owner, loopback, models):
    """End to end through the worker: each run's model calls go to its own
    profile's endpoint, with its model, key and limits; an automation that
    names none uses the account's default, and with none the deployment's."""
    one, two = models(answer("# One\n\nAll good.")), models(answer("# Two\n\nAll good too."))
    _secret(api, owner, "key-one", "sk-one")
    _secret(api, owner, "key-two", "sk-two")
    p1 = _agent(api, owner, name="one", backend="openai", model="model-one", base_url=f"{one.url}/v1",
                api_key_secret="key-one")["agent"]
    p2 = _agent(api, owner, name="two", backend="openai", model="model-two", base_url=f"{two.url}/v1",
                api_key_secret="key-two", max_steps=3)["agent"]
    first = _automation(api, owner, name="first", task_prompt="Check the first service.", agent_id=p1["id"])
    second = _automation(api, owner, name="second", task_prompt="Check the second service.", agent_id=p2["id"])

    assert _run(api, owner, first)["status"] == "succeeded"
    assert _run(api, owner, second)["status"] == "succeeded"
    [to_one], [to_two] = one.requests, two.requests
    assert (to_one["path"], to_one["body"]["model"], to_one["headers"]["Authorization"]) == \
        ("/v1/chat/completions", "model-one", "Bearer sk-one")
    assert (to_two["path"], to_two["body"]["model"], to_two["headers"]["Authorization"]) == \
        ("/v1/chat/completions", "model-two", "Bearer sk-two")
    assert "Check the first service." in to_one["body"]["messages"][1]["content"]
    assert "Check the second service." in to_two["body"]["messages"][1]["content"]

    plain = _automation(api, owner, name="plain")
    done = _run(api, owner, plain)  # no profile, no default: the deployment's backend (builtin here)
    assert done["status"] == "succeeded" and len(one.requests) + len(two.requests) == 2
    api.ok("PUT", f"/agents/{p2['id']}", owner, {"default": True})
    assert _run(api, owner, plain)["status"] == "succeeded"
    assert len(two.requests) == 2 and two.requests[1]["body"]["model"] == "model-two"
    session = api.ok("GET", f"/sessions/{done['session_id']}", owner)["session"]
    assert "sk-one" not in json.dumps(session) and "sk-two" not in json.dumps(session)


def test_a_profile_whose_key_secret_is_not_set_fails_the_run_at_its_start(api, owner, loopback, models):
    server = models(answer("never asked"))
    profile = _agent(api, owner, name="prod gpt", backend="openai", model="m", base_url=f"{server.url}/v1",
                     api_key_secret="missing-key")["agent"]
    automation = _automation(api, owner, agent_id=profile["id"])
    run = _run(api, owner, automation)
    assert run["status"] == "failed" and run["started_at"] is None and server.requests == []
    assert run["reason"] == "agent profile 'prod gpt': secret 'missing-key' is not set; create it with " \
                            "PUT /secrets/missing-key"
    _secret(api, owner, "missing-key", "sk-now")  # set: the next run works
    assert _run(api, owner, automation)["status"] == "succeeded"
    assert server.requests[0]["headers"]["Authorization"] == "Bearer sk-now"


def test_the_cloud_refuses_a_profile_endpoint_on_an_internal_address(api, owner, models):
    """A host name is saved (its address can change) and checked by the guard when the run calls it."""
    server = models(answer("never asked"))
    port = server.url.rsplit(":", 1)[1]
    profile = _agent(api, owner, name="sneaky", backend="openai", model="m",
                     base_url=f"http://localhost:{port}/v1")["agent"]
    run = _run(api, owner, _automation(api, owner, agent_id=profile["id"]))
    assert run["status"] == "failed" and server.requests == []
    assert run["reason"].startswith("agent profile 'sneaky': base_url: localhost resolves to")
    assert "internal address" in run["reason"]


def test_a_profile_without_a_key_never_sends_the_deployments_key():
    """The deployment's key is for the operator's endpoint: a user's endpoint gets only the profile's."""
    deployment = AgentSettings(backend="openai", openai_api_key="sk-operator", openai_api_key_secret="operator-key")
    profile = {"id": "agt_1", "name": "local vllm", "backend": "openai", "model": "llama", "api_key": None,
               "base_url": "https://203.0.113.7/v1", "max_steps": 3, "max_tokens": 4000}
    allowed = replace(deployment.outbound, allow_networks=(ipaddress.ip_network("203.0.113.0/24"),))
    with_profile = settings_for(profile, replace(deployment, outbound=allowed))
    assert (with_profile.openai_api_key, with_profile.openai_api_key_secret, with_profile.openai_model,
            with_profile.max_steps, with_profile.token_budget) == ("", "", "llama", 3, 4000)
    assert settings_for(None, deployment) is deployment
    assert settings_for(profile, replace(deployment, own_agent=True)).openai_api_key == "sk-operator"


def test_a_runner_with_its_own_model_overrides_the_profile(api, owner, transport, models):
    """A runner started with --own-agent (AGENT_OWN=true) works every run with
    its own model and key: the account's key is neither read nor sent, so a
    profile whose secret is not set does not fail its runs there."""
    theirs, ours = models(answer("# Profile\n\nfrom the profile")), models(answer("# Runner\n\nfrom the runner"))
    data = api.ok("POST", "/runners", owner, {"name": "box", "team_id": 0, "pool": "lab"}, status=201)
    runner, token = data["runner"], data["token"]
    _secret(api, owner, "profile-key", "sk-profile")
    with_key = _agent(api, owner, name="with key", backend="openai", model="m", base_url="https://api.example.com/v1",
                      api_key_secret="profile-key")["agent"]
    no_secret = _agent(api, owner, name="no secret", backend="openai", model="m",
                       base_url="https://api.example.com/v1", api_key_secret="never-set")["agent"]
    env = {"type": "runner", "runner_id": runner["id"]}
    keyed = _automation(api, owner, name="keyed", environment=env, agent_id=with_key["id"])
    unset = _automation(api, owner, name="unset", environment=env, agent_id=no_secret["id"])

    # without its own model, the claim hands the runner the profile and its key
    waiting = _run(api, owner, keyed)
    assert waiting["status"] == "queued"
    work = api.ok("POST", f"/runners/{runner['id']}/claim", token, {"wait": 0})["run"]
    assert work["run_id"] == waiting["id"] and work["agent"]["api_key"] == "sk-profile"
    assert work["agent"]["base_url"] == "https://api.example.com/v1" and work["agent"]["model"] == "m"
    api.ok("POST", f"/runs/{work['run_id']}/outcome", work["lease"]["token"], {"status": "succeeded"})
    # and a profile whose key secret is not set fails the run as the runner claims it
    failing = _run(api, owner, unset)
    assert api.ok("POST", f"/runners/{runner['id']}/claim", token, {"wait": 0})["run"] is None
    assert api.ok("GET", f"/runs/{failing['id']}", owner)["run"]["reason"].startswith(
        "agent profile 'no secret': secret 'never-set' is not set")

    own = replace(runner_settings((), environ={"AGENT_BACKEND": "openai", "OPENAI_BASE_URL": f"{ours.url}/v1",
                                               "OPENAI_MODEL": "runner-model", "OPENAI_API_KEY": "sk-runner"}),
                  own_agent=True)
    box = Runner("http://testserver", token, runner["id"], poll_seconds=1, http=transport, settings=own)
    for automation in (keyed, unset):
        run = _run(api, owner, automation)
        work = box.claim()
        assert work["run_id"] == run["id"] and work["agent"]["api_key"] is None  # not read, not sent
        assert box.work(work)["status"] == "succeeded"
        assert api.ok("GET", f"/runs/{run['id']}", owner)["run"]["status"] == "succeeded"
    assert theirs.requests == [] and len(ours.requests) == 2
    assert {(r["body"]["model"], r["headers"]["Authorization"]) for r in ours.requests} == \
        {("runner-model", "Bearer sk-runner")}
    assert settings.current().agent.own_agent is False  # the cloud's: profiles apply


# --- the command line --------------------------------------------------------------------------

def test_sre_agents_and_automations_agent(api, owner, transport, tmp_path):
    from click.testing import CliRunner

    from sre_client.api import Api
    from sre_client.cli import main
    from sre_client.connection import Connection
    from tests.test_cli import URL, Quiet

    def sre(*args):
        env = {"SRE_CONFIG_DIR": str(tmp_path), "SRE_API_URL": None, "SRE_API_KEY": None, "LANG": "en_US.UTF-8"}
        result = CliRunner(env=env).invoke(main, list(args), obj=Connection(api=Api(URL, owner, http=Quiet(transport))),
                                           prog_name="sre")
        return result.exit_code, result.output

    code, out = sre("agents", "create", "--name", "gpt prod", "--backend", "openai", "--model", "gpt-4o-mini",
                    "--base-url", "https://api.openai.com/v1", "--key-secret", "openai-key", "--default")
    assert code == 0, out
    agent_id = out.split()[1]
    assert agent_id.startswith("agt_") and "default     yes" in out and "key secret  openai-key" in out
    code, out = sre("agents", "list")
    assert code == 0 and "gpt prod" in out and agent_id in out
    code, out = sre("agents", "edit", agent_id, "--max-steps", "12", "--not-default")
    assert code == 0 and "max steps   12" in out and "default     no" in out
    code, out = sre("agents", "create", "--name", "bad", "--backend", "openai", "--model", "m")
    assert code == 1 and "--base-url" in out and "base_url is required" in out  # the flag to fix
    code, out = sre("agents", "show", agent_id, "--json")
    assert code == 0 and json.loads(out)["agent"]["max_steps"] == 12

    code, out = sre("automations", "create", "--name", "with agent", "--prompt", "Check.", "--api", "--agent", agent_id)
    assert code == 0, out
    automation_id = out.split()[1]
    assert api.ok("GET", f"/automations/{automation_id}", owner)["automation"]["agent_id"] == agent_id
    code, out = sre("agents", "delete", agent_id, "--yes")
    assert code == 1 and automation_id in out  # in use
    code, out = sre("automations", "edit", automation_id, "--agent", "default")
    assert code == 0, out
    assert api.ok("GET", f"/automations/{automation_id}", owner)["automation"]["agent_id"] is None
    code, out = sre("automations", "edit", automation_id, "--agent", "agt_nope")
    assert code == 1 and "--agent" in out
    assert sre("agents", "delete", agent_id, "--yes") == (0, f"{agent_id} deleted\n")


def test_the_answers_and_a_runners_work_are_what_the_document_says(api, owner):
    from tests.test_openapi import _checked, _conforms
    doc = api.call("GET", "/openapi.json")[1]
    body = {"name": "gpt", **OPENAI, "api_key_secret": "k", "max_steps": 3, "default": True}
    _conforms(doc, "/agents", "post", 201, body, part="requestBody")
    made = _checked(api, doc, "POST", "/agents", "/agents", owner, body, status=201)["agent"]
    _checked(api, doc, "GET", "/agents", "/agents", owner)
    _checked(api, doc, "GET", f"/agents/{made['id']}", "/agents/{agent_id}", owner)
    _checked(api, doc, "PUT", f"/agents/{made['id']}", "/agents/{agent_id}", owner, {"backend": "bedrock"})
    automation = _automation(api, owner, agent_id=made["id"],
                             environment={"type": "runner", "runner_id": api.ok(
                                 "POST", "/runners", owner, {"name": "box", "pool": "p"}, status=201)["runner"]["id"]})
    _checked(api, doc, "GET", f"/automations/{automation['id']}", "/automations/{automation_id}", owner)
    runner = api.ok("GET", "/runners", owner)["runners"][0]
    token = api.ok("POST", f"/runners/{runner['id']}/token/rotate", owner)["token"]
    _run(api, owner, automation)
    work = _checked(api, doc, "POST", f"/runners/{runner['id']}/claim", "/runners/{runner_id}/claim", token,
                    {"wait": 0, "own_agent": False})["run"]
    assert work["agent"]["backend"] == "bedrock" and work["agent"]["api_key"] is None
    _checked(api, doc, "DELETE", f"/agents/{made['id']}", "/agents/{agent_id}", owner, status=409)


def test_what_a_profile_adds_to_a_runs_start(api, owner, loopback, models):
    """One GetItem of the profile, and one GetSecretValue when it names a key;
    a run without a profile (and an account without a default) reads neither."""
    from bench.aws_calls import CallMeter

    def calls(automation):
        run = api.ok("POST", f"/automations/{automation['id']}/runs", owner, {}, status=202)["run"]
        with CallMeter() as meter, meter.counting():
            worker.process({"run_id": run["id"], "automation_id": automation["id"], "trigger": "manual"}, utcnow())
        assert api.ok("GET", f"/runs/{run['id']}", owner)["run"]["status"] == "succeeded"
        return meter.calls

    plain = calls(_automation(api, owner, name="plain"))
    builtin = _agent(api, owner, name="builtin", backend="builtin")["agent"]
    with_builtin = calls(_automation(api, owner, name="builtin", agent_id=builtin["id"]))
    assert with_builtin - plain == {("GetItem", "agents"): 1} and not plain - with_builtin
    assert not any(op == "GetSecretValue" for op, _ in plain)

    server = models(answer("# Fine\n\nAll good."))
    _secret(api, owner, "k", "sk-1")
    keyed = _agent(api, owner, name="keyed", backend="openai", model="m", base_url=f"{server.url}/v1",
                   api_key_secret="k")["agent"]
    with_key = calls(_automation(api, owner, name="keyed", agent_id=keyed["id"]))
    assert with_key[("GetItem", "agents")] == 1 and with_key[("GetSecretValue", "")] == 1
