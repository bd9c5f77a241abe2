"""The OpenAI-compatible backend against a scripted Chat Completions server on
127.0.0.1, with the API key in a Secrets Manager secret (moto) and the session
in the real store."""
import json
import socket
import threading
import time
from contextlib import ExitStack
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import pytest

from chalicelib import settings
from chalicelib.runs import records
from chalicelib.runs.lifecycle import recent_json
from chalicelib.sessions import items as store
from chalicelib.sessions.items import open_writer
from chalicelib.store import repos
from sre_agent.agents import registry
from sre_agent.agents.base import PermanentAgentError, Task, TransientAgentError
from sre_agent.agents.openai import OpenAIAgent
from sre_agent.agents.tools import Toolbox
from sre_agent.deadline import Deadline, TimeLimit
from tests.conftest import NOW
from tests.servers import serve as serve_with
from tests.servers import slow

KEY = "sk-test-0123456789"


def tool_reply(*calls, tokens=100):
    """A completion asking for tool calls: (id, name, arguments as a JSON string)."""
    return 200, {"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None,
        "tool_calls": [{"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
                       for cid, name, args in calls]}}], "usage": {"total_tokens": tokens}}


def answer(text, tokens=100):
    """A completion with a final answer."""
    return 200, {"choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
                 "usage": {"total_tokens": tokens}}


class ModelServer:
    """Chat Completions on 127.0.0.1: answers POSTs from a script (the last
    entry repeats), records each request, and serves GET /health for http_check."""

    def __init__(self, *script):
        self.script, self.requests = list(script), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                entry = outer.script.pop(0) if len(outer.script) > 1 else outer.script[0]
                self._send(*entry)

            def do_GET(self):
                self._send(200, {"ok": True})

            def _send(self, status, payload, headers=None):
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def agent():
    """The agent settings now (the cloud sandbox's: the service's `agent` group)."""
    return settings.current().agent


@pytest.fixture
def configure():
    """`configure(name=value)` changes agent settings for the rest of the test
    (`allow_loopback=...` the outbound policy's)."""
    with ExitStack() as changes:
        def change(allow_loopback=None, **values):
            if allow_loopback is not None:
                values["outbound"] = replace(agent().outbound, allow_loopback=allow_loopback)
            changes.enter_context(settings.override(agent=replace(agent(), **values)))
        yield change


@pytest.fixture
def serve(configure):
    """Start a ModelServer with a script and point OPENAI_BASE_URL at it."""
    servers = []

    def start(*script):
        server = ModelServer(*script)
        servers.append(server)
        configure(openai_base_url=f"{server.url}/v1", openai_model="test-model")
        return server
    yield start
    for server in servers:
        server.close()


@pytest.fixture
def run_parts(aws):
    """A saved run, its session writer, a task and a toolbox."""
    run = records.new_queued("auto_1", "acct_1", "manual", NOW)
    repos.runs.add(run)
    session = open_writer(f"ses_{run.id}", run, clock=lambda: NOW)
    task = Task(prompt="Check the API health.", automation_id="auto_1", run_id=run.id,
                recent_runs=recent_json([run], None),
                context={"text": "alert: latency high"})
    return run, session, task, Toolbox(task, session, lambda: NOW, agent())


def test_tool_round_then_answer(serve, run_parts, configure):
    run, session, task, _ = run_parts
    boto3.client("secretsmanager").create_secret(Name="openai-key", SecretString=KEY)
    configure(openai_api_key_secret="openai-key", allow_loopback=True)
    server = serve(None, answer("# All healthy\n\nThe API answered 200 and the last run is queued."))
    server.script[0] = tool_reply(("call_1", "http_check", json.dumps({"url": f"{server.url}/health"})),
                                  ("call_2", "query_runs", '{"limit": 5}'))
    toolbox = Toolbox(task, session, lambda: NOW, agent())  # the session's tools work under the same settings

    outcome = OpenAIAgent(agent()).run(task, session, toolbox)

    assert (outcome.summary, outcome.tool_calls, outcome.failed_tool_calls, outcome.incomplete) == \
        ("All healthy", 2, 0, None)
    first, second = server.requests
    assert first["path"] == "/v1/chat/completions"
    assert first["headers"]["Authorization"] == f"Bearer {KEY}"
    assert first["body"]["model"] == "test-model"
    assert {t["function"]["name"] for t in first["body"]["tools"]} == {"http_check", "query_runs"}
    assert all(t["type"] == "function" for t in first["body"]["tools"])
    system, user = first["body"]["messages"]
    assert system["role"] == "system" and "AI SRE agent" in system["content"]
    assert user == {"role": "user", "content": task.prompt}  # rendered by the lifecycle, context included
    assistant, check, runs = second["body"]["messages"][2:]
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_1", "call_2"]
    assert check["role"] == "tool" and check["tool_call_id"] == "call_1"
    assert json.loads(check["content"])["status"] == 200
    assert runs["tool_call_id"] == "call_2" and json.loads(runs["content"])["runs"][0]["id"] == run.id

    assert first["body"]["max_completion_tokens"] == 4096  # each reply is bounded
    saved = store.load(f"ses_{run.id}")
    # the lifecycle writes the system prompt and the task itself; the backend every turn after them
    assert [(m["role"], m["content"][:12]) for m in saved["messages"]] == \
        [("assistant", ""), ("assistant", "# All health")]
    assert saved["messages"][0]["tool_calls"] == [{"id": "call_1", "tool": "http_check"},
                                                  {"id": "call_2", "tool": "query_runs"}]
    assert [(c["id"], c["tool"], c["output"].get("ok")) for c in saved["tool_calls"]] == \
        [("call_1", "http_check", True), ("call_2", "query_runs", None)]
    assert saved["tool_calls"][1]["output"]["runs"][0]["id"] == run.id
    assert saved["artifacts"][0]["name"] == "report.md" and "All healthy" in saved["artifacts"][0]["content"]
    assert KEY not in json.dumps(saved)


def test_no_secret_sends_no_authorization(serve, run_parts):
    _, session, task, toolbox = run_parts
    server = serve(answer("Nothing to do."))
    assert OpenAIAgent(agent()).run(task, session, toolbox).summary == "Nothing to do."
    assert "Authorization" not in server.requests[0]["headers"]


def test_the_services_tools_are_offered_and_answered_through_the_reporter(serve, run_parts):
    """The work's tool specs (the operations data) are offered to the model
    beside the runtime's own; their calls go to the reporter, like every call
    in the session."""
    run, session, task, _ = run_parts
    spec = {"name": "query_alerts", "description": "Alerts of a window, summed per alert",
            "parameters": {"type": "object", "properties": {"service": {"type": "string"}}}}
    found = {"window": {"since": "2026-11-16T10:00:00Z", "until": "2026-11-23T10:00:00Z"}, "cursor": None,
             "alerts": [{"key": "alertmanager#3b15", "name": "HighLatency", "service": "checkout", "fired": 12}]}

    class Reporter:
        calls = []

        def tool(self, name, args):
            self.calls.append((name, args))
            return found
    reporter = Reporter()
    toolbox = Toolbox(task, session, lambda: NOW, agent(), reporter=reporter, tools=[spec])
    server = serve(tool_reply(("call_1", "query_alerts", '{"service": "checkout"}')), answer("HighLatency is noisy."))

    outcome = OpenAIAgent(agent()).run(task, session, toolbox)

    assert (outcome.summary, outcome.tool_calls, outcome.failed_tool_calls) == ("HighLatency is noisy.", 1, 0)
    offered = {t["function"]["name"]: t["function"] for t in server.requests[0]["body"]["tools"]}
    assert set(offered) == {"http_check", "query_runs", "query_alerts"} and offered["query_alerts"] == spec
    assert reporter.calls == [("query_alerts", {"service": "checkout"})]
    assert json.loads(server.requests[1]["body"]["messages"][-1]["content"]) == found
    saved = store.load(f"ses_{run.id}")
    assert [(c["id"], c["tool"], c["input"], c["output"]) for c in saved["tool_calls"]] == \
        [("call_1", "query_alerts", {"service": "checkout"}, found)]


def test_bad_tool_arguments_are_a_failed_call(serve, run_parts):
    run, session, task, toolbox = run_parts
    server = serve(tool_reply(("call_1", "query_runs", "{not json")), answer("Done."))
    outcome = OpenAIAgent(agent()).run(task, session, toolbox)
    assert (outcome.tool_calls, outcome.failed_tool_calls) == (1, 1)
    assert "JSON object" in json.loads(server.requests[1]["body"]["messages"][-1]["content"])["error"]
    assert store.load(f"ses_{run.id}")["tool_calls"][0]["input"] == {"arguments": "{not json"}


@pytest.mark.parametrize("status, body, error, requests", [
    (503, {"error": "overloaded"}, TransientAgentError, 4),  # retried inside the session, then handed back
    (429, {"error": "rate limited"}, TransientAgentError, 4),
    (400, {"error": "bad model"}, PermanentAgentError, 1),
    (200, "not json", PermanentAgentError, 1),
    (200, {"choices": []}, PermanentAgentError, 1),
])
def test_error_mapping(serve, run_parts, status, body, error, requests):
    _, session, task, toolbox = run_parts
    server, waits = serve((status, body)), []
    with pytest.raises(error) as caught:
        OpenAIAgent(agent(), sleep=waits.append).run(task, session, toolbox)
    assert status == 200 or f"HTTP {status}" in str(caught.value)
    assert len(server.requests) == requests and len(waits) == requests - 1
    # 1, 2, 4 s with equal jitter: half of each wait fixed, half random
    assert all(step / 2 <= wait <= step for wait, step in zip(waits, (1, 2, 4), strict=False))
    assert requests == 1 or waits != [1, 2, 4][:requests - 1]


def test_a_scripted_server_429_then_a_tool_call_without_id_and_malformed_arguments(serve, run_parts):
    """429 with Retry-After (waited, inside the session), then a tool call
    with no id (as llama.cpp and mlx-lm send it) and arguments that are not
    JSON, then one with arguments as an object: every call gets an id, the
    arguments go back as strings, and the session keeps all of it."""
    run, session, task, toolbox = run_parts
    no_id = {"choices": [{"finish_reason": "tool_calls", "message": {"role": "assistant",
             "content": "Let me look at the runs.",
             "tool_calls": [{"type": "function", "function": {"name": "query_runs", "arguments": "{limit: 5"}}]}}],
             "usage": {"total_tokens": 50}}
    as_object = {"choices": [{"finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
                 "tool_calls": [{"id": "", "type": "function",
                                 "function": {"name": "query_runs", "arguments": {"limit": 2}}}]}}],
                 "usage": {"total_tokens": 50}}
    server, waits = serve((429, {"error": {"type": "requests", "message": "slow down"}}, {"Retry-After": "2"}),
                          (200, no_id), (200, as_object), answer("Done.")), []
    outcome = OpenAIAgent(agent(), sleep=waits.append).run(task, session, toolbox)
    assert outcome.summary == "Done." and (outcome.tool_calls, outcome.failed_tool_calls) == (2, 1)
    assert waits == [2.0] and len(server.requests) == 4
    second_reply = server.requests[2]["body"]["messages"]
    assistant, tool = second_reply[2], second_reply[3]
    [call] = assistant["tool_calls"]
    assert call["id"] == "call_1_1" and call["function"]["arguments"] == "{limit: 5"  # a string, as sent
    assert tool == {"role": "tool", "tool_call_id": "call_1_1", "content": tool["content"]}
    assert "JSON object" in json.loads(tool["content"])["error"]
    third = server.requests[3]["body"]["messages"][4]["tool_calls"][0]
    assert third["id"] == "call_2_1" and third["function"]["arguments"] == '{"limit": 2}'
    saved = store.load(f"ses_{run.id}")
    assert [(m["role"], m["content"], [c["id"] for c in m.get("tool_calls", [])]) for m in saved["messages"]] == [
        ("assistant", "Let me look at the runs.", ["call_1_1"]), ("assistant", "", ["call_2_1"]),
        ("assistant", "Done.", [])]
    assert [(c["id"], c["input"]) for c in saved["tool_calls"]] == [("call_1_1", {"arguments": "{limit: 5"}),
                                                                    ("call_2_1", {"limit": 2})]
    assert saved["tool_calls"][1]["output"]["runs"][0]["id"] == run.id


def test_insufficient_quota_fails_at_once_with_that_reason(serve, run_parts):
    _, session, task, toolbox = run_parts
    server, waits = serve((429, {"error": {"message": "You exceeded your current quota, please check your plan.",
                                           "type": "insufficient_quota", "code": "insufficient_quota"}})), []
    with pytest.raises(PermanentAgentError, match="insufficient_quota: You exceeded your current quota"):
        OpenAIAgent(agent(), sleep=waits.append).run(task, session, toolbox)
    assert len(server.requests) == 1 and waits == []


def test_a_retry_after_longer_than_the_limit_hands_the_run_back(serve, run_parts, configure):
    _, session, task, toolbox = run_parts
    configure(model_retry_max_seconds=30.0)
    server, waits = serve((429, {"error": "later"}, {"Retry-After": "600"})), []
    with pytest.raises(TransientAgentError, match="HTTP 429"):
        OpenAIAgent(agent(), sleep=waits.append).run(task, session, toolbox)
    assert len(server.requests) == 1 and waits == []


def test_the_stored_session_is_the_whole_conversation(serve, aws, configure):
    """Through the lifecycle: the system prompt, the task, every assistant
    text (also the one that came with the tool call), the call with its id,
    input and output, and the answer."""
    from chalicelib import worker
    from chalicelib.store.records import Rule, RuleIndex
    from chalicelib.store.rules import RuleWrite
    configure(backend="openai")
    serve(tool_reply(("call_a", "query_runs", '{"limit": 1}')), answer("# Quiet\n\nNothing ran."))
    rule = Rule("aut_conv", account_id="acct_1", name="conv", team_id=0, owner_id="usr_1",
                environment={"type": "auto"}, task_prompt="Summarise the runs.", enabled=True,
                triggers=[{"type": "api"}], created_at="2026-11-23T10:00:00.000Z",
                updated_at="2026-11-23T10:00:00Z")
    repos.rules.save(rule, RuleWrite(index=RuleIndex(), stale=RuleIndex()))
    run = records.new_queued(rule.id, rule.account_id, "manual", NOW)
    repos.runs.add(run)
    assert worker.process({"run_id": run.id, "automation_id": rule.id, "trigger": "manual"}, NOW).status == \
        "succeeded"
    saved = store.load(repos.runs.get(run.id).session_id)
    roles = [(m["role"], m["content"][:20], [c["id"] for c in m.get("tool_calls", [])]) for m in saved["messages"]]
    assert roles[0][0] == "system" and "AI SRE agent" in saved["messages"][0]["content"]
    assert roles[1][0] == "user" and "Summarise the runs." in saved["messages"][1]["content"]
    assert roles[2:] == [("assistant", "", ["call_a"]), ("assistant", "# Quiet\n\nNothing ran", [])]
    assert [(c["id"], c["tool"], c["input"]) for c in saved["tool_calls"]] == [("call_a", "query_runs", {"limit": 1})]


def test_unreachable_endpoint_is_transient(run_parts, configure):
    _, session, task, toolbox = run_parts
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configure(openai_base_url=f"http://127.0.0.1:{port}/v1")
    waits = []
    with pytest.raises(TransientAgentError, match="cannot reach the model endpoint"):
        OpenAIAgent(agent(), sleep=waits.append).run(task, session, toolbox)
    assert len(waits) == agent().model_retries  # a dropped connection is retried inside the session


def test_missing_secret_is_permanent(serve, run_parts, configure):
    _, session, task, toolbox = run_parts
    server = serve(answer("never"))
    configure(openai_api_key_secret="no-such-secret")
    with pytest.raises(PermanentAgentError, match="no-such-secret"):
        OpenAIAgent(agent()).run(task, session, toolbox)
    assert server.requests == []


def test_step_limit(serve, run_parts, configure):
    run, session, task, toolbox = run_parts
    configure(max_steps=3)
    server = serve(tool_reply(("call_x", "query_runs", "{}")))
    outcome = OpenAIAgent(agent()).run(task, session, toolbox)
    assert "step limit" in outcome.incomplete and len(server.requests) == 3 and outcome.tool_calls == 2
    assert "step limit" in store.load(f"ses_{run.id}")["messages"][-1]["content"]


def test_token_budget(serve, run_parts, configure):
    _, session, task, toolbox = run_parts
    configure(token_budget=1000)
    server = serve(tool_reply(("call_x", "query_runs", "{}"), tokens=600))
    outcome = OpenAIAgent(agent()).run(task, session, toolbox)
    assert "token budget" in outcome.incomplete and "1200 of 1000" in outcome.incomplete
    assert len(server.requests) == 2


def test_registered():
    assert isinstance(registry.agent_for(replace(agent(), backend="openai")), OpenAIAgent)
    assert set(registry.BACKENDS) == {"builtin", "openai", "bedrock"}


ANSWER_BYTES = json.dumps({"choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": "All good."}}]}).encode()


def test_the_model_timeout_bounds_the_whole_reply_not_each_read(run_parts, configure):
    """A reply that trickles a byte every 0.1 s (about 9 s in all) against a
    1 s AGENT_MODEL_TIMEOUT: the call ends at 1 s, not when the last byte
    comes (each read alone would be well within the timeout)."""
    _, session, task, toolbox = run_parts
    configure(model_timeout=1.0)
    with slow(ANSWER_BYTES, per_byte=0.1) as url:
        configure(openai_base_url=f"{url}/v1")
        started = time.monotonic()
        with pytest.raises(TransientAgentError, match=r"no complete answer within 1 s \(AGENT_MODEL_TIMEOUT\)"):
            OpenAIAgent(agent()).run(task, session, toolbox)
    assert time.monotonic() - started < 2.0


def test_a_model_call_ends_at_the_environments_stop(run_parts):
    """The toolbox carries the environment's stop: a model that would answer
    in 10 s is cut when the 1 s left are gone, and says it was the stop."""
    _, session, task, _ = run_parts
    with slow(ANSWER_BYTES, first_byte_after=10) as url:
        within = replace(agent(), openai_base_url=f"{url}/v1")
        toolbox = Toolbox(task, session, lambda: NOW, within, Deadline(1.0))
        started = time.monotonic()
        with pytest.raises(TimeLimit) as stopped:
            OpenAIAgent(within).run(task, session, toolbox)
    assert 0.9 < time.monotonic() - started < 2.0
    assert stopped.value.during == "during a model call"


def test_a_retry_after_longer_than_the_time_left_stops_at_once(serve, run_parts):
    """A 429 asking for 30 s (within AGENT_MODEL_RETRY_MAX_SECONDS) with 5 s
    left before the stop: no wait that could only end at the stop."""
    _, session, task, _ = run_parts
    server, waits = serve((429, {"error": {"message": "slow down"}}, {"Retry-After": "30"}), answer("late")), []
    toolbox = Toolbox(task, session, lambda: NOW, agent(), Deadline(5.0))
    with pytest.raises(TimeLimit, match="the endpoint asked to wait 30 s, [45] s were left"):
        OpenAIAgent(agent(), sleep=waits.append).run(task, session, toolbox)
    assert waits == [] and len(server.requests) == 1


def test_a_refusal_fails_the_run_and_is_kept_in_the_session(serve, aws, configure):
    """`content: null` with OpenAI's `refusal`: the run ends failed, "the model
    refused: …", and the refusal is in the stored session."""
    from chalicelib import worker
    from chalicelib.store.records import Rule, RuleIndex
    from chalicelib.store.rules import RuleWrite
    configure(backend="openai")
    words = "I'm sorry, but I can't help with that request."
    serve((200, {"choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": None, "refusal": words}}], "usage": {"total_tokens": 30}}))
    rule = Rule("aut_refuse", account_id="acct_1", name="refuse", team_id=0, owner_id="usr_1",
                environment={"type": "auto"}, task_prompt="Do something.", enabled=True,
                triggers=[{"type": "api"}], created_at="2026-11-23T10:00:00.000Z", updated_at="2026-11-23T10:00:00Z")
    repos.rules.save(rule, RuleWrite(index=RuleIndex(), stale=RuleIndex()))
    run = records.new_queued(rule.id, rule.account_id, "manual", NOW)
    repos.runs.add(run)
    outcome = worker.process({"run_id": run.id, "automation_id": rule.id, "trigger": "manual"}, NOW)
    done = repos.runs.get(run.id)
    assert outcome.status == done.status == "failed"
    assert done.reason == f"the model refused: {words}"
    last = store.load(done.session_id)["messages"][-1]
    assert (last["role"], last["content"], last.get("refusal")) == ("assistant", words, True)


LITELLM_QUOTA = {"error": {
    "message": "litellm.RateLimitError: RateLimitError: OpenAIException - You exceeded your current quota, please "
               "check your plan and billing details. For more information on this error, read the docs: "
               "https://platform.openai.com/docs/guides/error-codes/api-errors.",
    "type": "throttling_error", "param": None, "code": "429"}}


@pytest.mark.parametrize("status, body, says", [
    (429, LITELLM_QUOTA, "out of quota: litellm.RateLimitError: RateLimitError: OpenAIException - You exceeded "
                         "your current quota"),
    (429, {"error": {"message": "Budget has been exceeded! Current cost: 10.2, Max budget: 10.0",
                     "type": "budget_exceeded", "param": None, "code": "429"}}, "budget_exceeded: Budget has been"),
])
def test_an_empty_account_behind_a_litellm_proxy_fails_at_once(serve, run_parts, status, body, says):
    """LiteLLM passes the provider's quota error on under its own code "429"
    (and its own budgets as `budget_exceeded`): a billing error, not a rate
    limit, so one request and the provider's words."""
    _, session, task, toolbox = run_parts
    server, waits = serve((status, body)), []
    with pytest.raises(PermanentAgentError) as caught:
        OpenAIAgent(agent(), sleep=waits.append).run(task, session, toolbox)
    assert str(caught.value).startswith(f"the model provider refused the request: {says}")
    assert len(server.requests) == 1 and waits == []


def test_a_rate_limit_behind_a_litellm_proxy_is_still_retried(serve, run_parts):
    _, session, task, toolbox = run_parts
    limited = {"error": {"message": "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached "
                                    "for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, "
                                    "Used 3.", "type": "throttling_error", "param": None, "code": "429"}}
    server, waits = serve((429, limited), answer("Done after a wait.")), []
    assert OpenAIAgent(agent(), sleep=waits.append).run(task, session, toolbox).summary == "Done after a wait."
    assert len(server.requests) == 2 and len(waits) == 1


def test_the_model_endpoint_is_reached_through_the_environments_proxy(run_parts, configure, monkeypatch):
    """HTTP_PROXY is honoured for the model endpoint (as requests did): the
    proxy is asked for the whole URL. The guard is not in the way: the
    endpoint is the operator's (loopback is not allowed here)."""
    _, session, task, toolbox = run_parts
    asked = []
    with serve_with(lambda method, path, body: (200, json.loads(ANSWER_BYTES)), record=asked) as proxy:
        for name in ("NO_PROXY", "no_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy)
        configure(openai_base_url="http://model.internal.test:8000/v1", allow_loopback=False)
        outcome = OpenAIAgent(agent()).run(task, session, toolbox)
    assert outcome.summary == "All good."
    assert [(r["method"], r["path"]) for r in asked] == [("POST", "http://model.internal.test:8000/v1/chat/completions")]
