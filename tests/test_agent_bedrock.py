"""The Bedrock backend with a real bedrock-runtime client under
botocore.stub.Stubber, and the session in the real store (moto)."""
import json
import socket
import time
from dataclasses import replace

import boto3
import botocore.config
import pytest
from botocore.stub import ANY, Stubber

from chalicelib import settings
from chalicelib.runs import records
from chalicelib.runs.lifecycle import recent_json
from chalicelib.sessions import items as store
from chalicelib.sessions.items import open_writer
from chalicelib.store import repos
from sre_agent.agents import registry, tools
from sre_agent.agents.base import PermanentAgentError, Task, TransientAgentError
from sre_agent.agents.bedrock import BedrockAgent
from sre_agent.agents.openai import SYSTEM_PROMPT
from sre_agent.agents.tools import Toolbox
from sre_agent.deadline import Deadline, TimeLimit
from sre_agent.settings import AgentSettings
from tests.conftest import NOW
from tests.servers import serve, slow

USAGE = {"inputTokens": 100, "outputTokens": 20, "totalTokens": 120}
TOOL_CONFIG = {"tools": [{"toolSpec": {"name": s["name"], "description": s["description"],
                                       "inputSchema": {"json": s["parameters"]}}} for s in tools.SPECS]}


def reply(stop_reason, *content, usage=USAGE):
    """A Converse response with the assistant's content blocks."""
    return {"output": {"message": {"role": "assistant", "content": list(content)}}, "stopReason": stop_reason,
            "usage": usage, "metrics": {"latencyMs": 250}}


def agent(**changes):
    """The agent settings now (the cloud sandbox's: the service's `agent` group), with some changed."""
    return replace(settings.current().agent, **changes)


@pytest.fixture
def run_parts(aws):
    """A saved run, its session writer, a task and a toolbox."""
    run = records.new_queued("auto_1", "acct_1", "manual", NOW)
    repos.runs.add(run)
    session = open_writer(f"ses_{run.id}", run, clock=lambda: NOW)
    task = Task(prompt="Summarise recent failures.", automation_id="auto_1", run_id=run.id,
                recent_runs=recent_json([run], None))  # the snapshot the work carries
    return run, session, task, Toolbox(task, session, lambda: NOW, agent())


@pytest.fixture
def stubbed():
    """A real bedrock-runtime client and its Stubber."""
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def test_tool_use_then_end_turn(run_parts, stubbed):
    run, session, task, toolbox = run_parts
    client, stub = stubbed
    user = {"role": "user", "content": [{"text": "Summarise recent failures."}]}
    tool_use = reply("tool_use", {"text": "Reading the run history."},
                     {"toolUse": {"toolUseId": "tu_1", "name": "query_runs", "input": {"limit": 5}}})
    runs = {"runs": [{"id": run.id, "status": "queued", "reason": None, "trigger": "manual",
                      "created_at": "2026-11-23T10:00:00Z", "duration_ms": None}]}
    result = {"role": "user", "content": [{"toolResult": {"toolUseId": "tu_1", "content": [{"json": runs}]}}]}
    stub.add_response("converse", tool_use, {
        "modelId": AgentSettings().bedrock_model_id, "system": [{"text": SYSTEM_PROMPT}], "messages": [user],
        "toolConfig": TOOL_CONFIG, "inferenceConfig": {"maxTokens": 4096}})
    stub.add_response("converse", reply("end_turn", {"text": "No failures yet.\n\nOnly this run exists."}), {
        "modelId": ANY, "system": ANY, "toolConfig": ANY, "inferenceConfig": ANY,
        "messages": [user, tool_use["output"]["message"], result]})

    outcome = BedrockAgent(agent(), client=client).run(task, session, toolbox)

    assert (outcome.summary, outcome.tool_calls, outcome.failed_tool_calls, outcome.incomplete) == \
        ("No failures yet.", 1, 0, None)
    saved = store.load(f"ses_{run.id}")
    # the whole conversation after the prompt (which the lifecycle writes, with the system prompt):
    # the text that came with the tool call, the call with its id, input and output, and the answer
    assert [(m["role"], m["content"], m.get("tool_calls")) for m in saved["messages"]] == [
        ("assistant", "Reading the run history.", [{"id": "tu_1", "tool": "query_runs"}]),
        ("assistant", "No failures yet.\n\nOnly this run exists.", None)]
    assert [(c["id"], c["tool"], c["input"], c["output"]) for c in saved["tool_calls"]] == \
        [("tu_1", "query_runs", {"limit": 5}, runs)]
    assert BedrockAgent.system_prompt == SYSTEM_PROMPT
    assert [{k: v for k, v in a.items() if k != "seq"} for a in saved["artifacts"]] == [
        {"name": "report.md", "media_type": "text/markdown", "content": "No failures yet.\n\nOnly this run exists.\n"}]


def test_the_services_tools_are_offered_and_answered_through_the_reporter(run_parts, stubbed):
    """The work's tool specs are in the Converse toolConfig beside the
    runtime's own, and a toolUse of one goes to the reporter."""
    run, session, task, _ = run_parts
    client, stub = stubbed
    spec = {"name": "oncall_load", "description": "Pages of a window by responder and hour",
            "parameters": {"type": "object", "properties": {"since": {"type": "string"}}}}
    load = {"pages": 3, "off_hours": 1, "by_responder": [{"who": "Alice", "pages": 3}]}

    class Reporter:
        calls = []

        def tool(self, name, args):
            self.calls.append((name, args))
            return load
    reporter = Reporter()
    toolbox = Toolbox(task, session, lambda: NOW, agent(), reporter=reporter, tools=[spec])
    user = {"role": "user", "content": [{"text": "Summarise recent failures."}]}
    tool_use = reply("tool_use", {"toolUse": {"toolUseId": "tu_1", "name": "oncall_load", "input": {}}})
    result = {"role": "user", "content": [{"toolResult": {"toolUseId": "tu_1", "content": [{"json": load}]}}]}
    config = {"tools": TOOL_CONFIG["tools"] + [{"toolSpec": {"name": "oncall_load", "description": spec["description"],
                                                             "inputSchema": {"json": spec["parameters"]}}}]}
    stub.add_response("converse", tool_use, {"modelId": ANY, "system": ANY, "messages": [user],
                                             "toolConfig": config, "inferenceConfig": ANY})
    stub.add_response("converse", reply("end_turn", {"text": "Alice took all 3 pages."}), {
        "modelId": ANY, "system": ANY, "toolConfig": config, "inferenceConfig": ANY,
        "messages": [user, tool_use["output"]["message"], result]})

    outcome = BedrockAgent(agent(), client=client).run(task, session, toolbox)

    assert (outcome.summary, outcome.tool_calls, outcome.failed_tool_calls) == ("Alice took all 3 pages.", 1, 0)
    assert reporter.calls == [("oncall_load", {})]
    assert store.load(f"ses_{run.id}")["tool_calls"][0]["output"] == load


@pytest.mark.parametrize("code, error", [
    ("ThrottlingException", TransientAgentError), ("ModelTimeoutException", TransientAgentError),
    ("ValidationException", PermanentAgentError), ("AccessDeniedException", PermanentAgentError),
])
def test_client_error_mapping(run_parts, stubbed, code, error):
    """A transient error is tried again inside the session (the run's policy,
    as for OpenAI), then the run goes back to the queue; a permanent one fails at once."""
    _, session, task, toolbox = run_parts
    client, stub = stubbed
    tries = agent().model_retries + 1 if error is TransientAgentError else 1
    for _ in range(tries):
        stub.add_client_error("converse", service_error_code=code, service_message="nope", http_status_code=400)
    waits = []
    with pytest.raises(error, match=code):
        BedrockAgent(agent(), client=client, sleep=waits.append).run(task, session, toolbox)
    assert len(waits) == tries - 1


def test_unreachable_endpoint_is_transient(run_parts):
    _, session, task, toolbox = run_parts
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                          config=botocore.config.Config(retries={"total_max_attempts": 1}))
    waits = []
    with pytest.raises(TransientAgentError, match="cannot reach Bedrock"):
        BedrockAgent(agent(), client=client, sleep=waits.append).run(task, session, toolbox)
    assert len(waits) == agent().model_retries


def test_step_limit_and_token_budget(run_parts, stubbed):
    run, session, task, toolbox = run_parts
    client, stub = stubbed
    again = reply("tool_use", {"toolUse": {"toolUseId": "tu_x", "name": "query_runs", "input": {}}})
    stub.add_response("converse", again)
    stub.add_response("converse", again)
    outcome = BedrockAgent(agent(max_steps=2), client=client).run(task, session, toolbox)
    assert "step limit" in outcome.incomplete and outcome.tool_calls == 1

    stub.add_response("converse", reply("tool_use", *again["output"]["message"]["content"],
                                        usage={"inputTokens": 900, "outputTokens": 100, "totalTokens": 1000}))
    outcome = BedrockAgent(agent(max_steps=8, token_budget=1000), client=client).run(task, session, toolbox)
    assert "token budget" in outcome.incomplete and "1000 of 1000" in outcome.incomplete


def test_registered():
    assert isinstance(registry.agent_for(agent(backend="bedrock")), BedrockAgent)


UNAVAILABLE = (b'{"message": "Bedrock is unavailable"}', {"x-amzn-ErrorType": "ServiceUnavailableException"})


def test_one_retry_policy_the_runs_botocore_retries_are_off(run_parts, monkeypatch):
    """The agent's own client against a Converse endpoint that is always
    unavailable: AGENT_MODEL_RETRIES + 1 requests in all (botocore's own three
    tries per call no longer multiply them), with jittered waits between."""
    _, session, task, toolbox = run_parts
    seen, waits = [], []
    with slow(UNAVAILABLE[0], status=503, headers=UNAVAILABLE[1], record=seen) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url)
        with pytest.raises(TransientAgentError, match="Bedrock ServiceUnavailableException: Bedrock is unavailable"):
            BedrockAgent(agent(), sleep=waits.append).run(task, session, toolbox)
    assert len(seen) == agent().model_retries + 1 == 4
    assert seen[0].startswith("/model/") and seen[0].endswith("/converse")
    assert all(step / 2 <= wait <= step for wait, step in zip(waits, (1, 2, 4), strict=True))
    assert waits != [1, 2, 4]


def test_a_converse_call_has_a_deadline_for_the_whole_call(run_parts, monkeypatch):
    """A model that answers in 10 s: AGENT_MODEL_TIMEOUT (1 s) ends the call,
    and with less time left before the environment's stop, the stop does."""
    _, session, task, toolbox = run_parts
    answer = json.dumps(reply("end_turn", {"text": "late"})).encode()
    with slow(answer, first_byte_after=10) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url)
        started = time.monotonic()
        with pytest.raises(TransientAgentError, match=r"no complete answer within 1 s \(AGENT_MODEL_TIMEOUT\)"):
            BedrockAgent(agent(model_timeout=1.0)).run(task, session, toolbox)
        assert time.monotonic() - started < 2.0
        stopping = Toolbox(task, session, lambda: NOW, agent(), Deadline(1.0))
        started = time.monotonic()
        with pytest.raises(TimeLimit, match="during a model call"):
            BedrockAgent(agent()).run(task, session, stopping)
        assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("sent", ["limit=5", ["limit", 5], None])
def test_a_tool_use_input_that_is_not_an_object_goes_back_as_an_object_with_a_tool_error(run_parts, stubbed, sent):
    """The Converse API takes `toolUse.input` only as an object: what the
    model sent otherwise goes back as {}, and the tool's answer says why."""
    run, session, task, toolbox = run_parts
    client, stub = stubbed
    asked = reply("tool_use", {"toolUse": {"toolUseId": "tu_1", "name": "query_runs", "input": sent}})
    stub.add_response("converse", asked)
    error = {"ok": False, "error": "arguments for query_runs must be a JSON object"}
    stub.add_response("converse", reply("end_turn", {"text": "Could not read the runs."}), {
        "modelId": ANY, "system": ANY, "toolConfig": ANY, "inferenceConfig": ANY, "messages": [
            {"role": "user", "content": [{"text": task.prompt}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tu_1", "name": "query_runs", "input": {}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "tu_1", "content": [{"json": error}]}}]}]})
    outcome = BedrockAgent(agent(), client=client).run(task, session, toolbox)
    assert (outcome.tool_calls, outcome.failed_tool_calls) == (1, 1)
    [call] = store.load(f"ses_{run.id}")["tool_calls"]
    assert (call["id"], call["input"], call["output"]) == ("tu_1", {"arguments": sent}, error)


def test_the_agents_own_client_sends_signed_converse_calls_and_reads_the_answers(run_parts, monkeypatch):
    """Through net/endpoint.py (the before-send hook): botocore's signed
    request goes out as botocore built it, and its answer is parsed as
    botocore would (a tool round, then the answer)."""
    run, session, task, toolbox = run_parts
    answers = [reply("tool_use", {"toolUse": {"toolUseId": "tu_1", "name": "query_runs", "input": {"limit": 1}}}),
               reply("end_turn", {"text": "One run, queued."})]
    seen = []
    with serve(lambda method, path, body: (200, answers[len(seen) - 1]), record=seen) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url)
        outcome = BedrockAgent(agent()).run(task, session, toolbox)
    assert (outcome.summary, outcome.tool_calls, outcome.failed_tool_calls) == ("One run, queued.", 1, 0)
    first, second = seen
    assert first["path"] == f"/model/{agent().bedrock_model_id}/converse".replace(":", "%3A")
    assert first["headers"]["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
    assert json.loads(first["body"])["messages"] == [{"role": "user", "content": [{"text": task.prompt}]}]
    result = json.loads(second["body"])["messages"][2]["content"][0]["toolResult"]
    assert result["toolUseId"] == "tu_1" and result["content"][0]["json"]["runs"][0]["id"] == run.id
