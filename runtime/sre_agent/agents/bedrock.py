"""The Bedrock backend: the Converse API with tool use, in the same loop as the
OpenAI backend (model call, tool calls through the toolbox, until end_turn or a
step or token limit).

One retry policy, the run's (conversation.call_model, as for OpenAI):
botocore's own retries are off, so a throttled or unavailable model is tried
AGENT_MODEL_RETRIES times in all, with a jittered backoff, and never past the
environment's stop. botocore signs each request and reads the answer; the
request itself goes through net/endpoint.py (a `before-send` hook), so
AGENT_MODEL_TIMEOUT, or the time left if less, bounds the whole call, not
each socket read.

The Converse API takes a tool use's `input` only as a JSON object: one that a
model sent as anything else (a string, a list, null) goes back to it as {}
beside a tool error saying why, so the next turn is a valid request."""
import http.client
import time

import botocore.awsrequest
import botocore.config
import botocore.exceptions

from sre_agent import aws
from sre_agent.agents.base import Agent, AgentOutcome, PermanentAgentError, system_prompt_of
from sre_agent.agents.conversation import SYSTEM_PROMPT, Retry, call_model, finish, stop
from sre_agent.net import endpoint
from sre_agent.net.http import DeadlinePassed
from sre_agent.settings import AgentSettings

TRANSIENT_CODES = {"ThrottlingException", "ServiceUnavailableException", "InternalServerException",
                   "ModelNotReadyException", "ModelTimeoutException"}
MAX_ANSWER_TOKENS = 4096
SEND_EVENT = "before-send.bedrock-runtime.Converse"


class _Body:
    """A whole answer, as botocore reads a raw response."""

    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_):
        yield self.data


def _sender(settings: AgentSettings, seconds: float):
    """A before-send hook that sends botocore's signed request with a deadline
    of `seconds` for the whole call."""
    def send(request, **_):
        body = request.body.read() if hasattr(request.body, "read") else request.body
        body = body.encode() if isinstance(body, str) else body
        result = endpoint.send(request.url, request.method, dict(request.headers.items()), body,
                               connect_timeout=settings.http_timeout, deadline=seconds)
        return botocore.awsrequest.AWSResponse(request.url, result.status, result.headers, _Body(result.body))
    return send


def _converse(client, settings: AgentSettings, seconds: float, params: dict) -> dict:
    """One try of one Converse call, with `seconds` for all of it."""
    hook = _sender(settings, seconds)
    client.meta.events.register(SEND_EVENT, hook)
    try:
        return client.converse(**params)
    except DeadlinePassed:
        raise  # call_model tells the model timeout from the environment's stop
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        message = f"Bedrock {code}: {error.get('Message', '')}".rstrip(": ")
        if code in TRANSIENT_CODES:
            raise Retry(message) from exc
        raise PermanentAgentError(message) from exc
    except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError, OSError,
            http.client.HTTPException) as exc:
        raise Retry(f"cannot reach Bedrock: {exc}") from exc
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:  # no credentials or region, bad parameters
        raise PermanentAgentError(f"Bedrock request failed: {exc}") from exc
    finally:
        client.meta.events.unregister(SEND_EVENT, hook)


def _tool_uses(blocks: list) -> tuple[list, list]:
    """(the assistant's content as it may be sent back, its tool uses): a
    tool use whose input is not an object is sent back with {} and keeps what
    the model sent, for the toolbox to refuse."""
    content, uses = [], []
    for block in blocks:
        if "toolUse" in block:
            use = block["toolUse"]
            uses.append(use)
            if not isinstance(use.get("input"), dict):
                block = {**block, "toolUse": {**use, "input": {}}}
        content.append(block)
    return content, uses


class BedrockAgent(Agent):
    """A model on Amazon Bedrock, through the Converse API."""
    type = "bedrock"
    system_prompt = SYSTEM_PROMPT

    def __init__(self, settings: AgentSettings | None = None, client=None, sleep=time.sleep):
        super().__init__(settings)
        self.client = client  # tests pass a stubbed client; otherwise one is made per run
        self.sleep = sleep  # tests pass their own to see the waits without waiting

    def _client(self):
        if self.client is not None:
            return self.client
        # botocore's retries off: the run's retry policy is the only one (call_model)
        config = botocore.config.Config(connect_timeout=self.settings.http_timeout,
                                        read_timeout=self.settings.model_timeout,
                                        retries={"total_max_attempts": 1, "mode": "standard"})
        return aws.client("bedrock-runtime", self.settings.region, config=config)

    def run(self, task, session, toolbox) -> AgentOutcome:
        """Run the tool-use loop until the model ends its turn or a limit is reached."""
        s = self.settings
        client, model = self._client(), s.bedrock_model_id
        max_steps, budget = s.max_steps, s.token_budget
        # task.prompt is the session's first message already, context included
        messages = [{"role": "user", "content": [{"text": task.prompt}]}]
        tool_config = {"tools": [{"toolSpec": {"name": t["name"], "description": t["description"],
                                               "inputSchema": {"json": t["parameters"]}}} for t in toolbox.specs]}
        used = 0
        for step in range(1, max_steps + 1):
            params = {"modelId": model, "system": [{"text": system_prompt_of(self, task)}], "messages": messages,
                      "toolConfig": tool_config,
                      "inferenceConfig": {"maxTokens": max(1, min(MAX_ANSWER_TOKENS, budget - used))}}
            reply = call_model(lambda seconds, params=params: _converse(client, s, seconds, params), s,
                               toolbox.deadline, self.sleep)
            try:
                message, reason = reply["output"]["message"], reply["stopReason"]
                used += int(reply.get("usage", {}).get("totalTokens") or 0)
                blocks = message["content"]
                text = "\n".join(b["text"] for b in blocks if "text" in b)
                content, uses = _tool_uses(blocks)
                if any(not isinstance(u.get("toolUseId"), str) or not isinstance(u.get("name"), str) for u in uses):
                    raise TypeError("a toolUse without its toolUseId or name")
            except (KeyError, TypeError, AttributeError) as exc:
                raise PermanentAgentError(f"malformed Converse response: {exc!r}") from exc
            if reason != "tool_use" or not uses:
                cut = None if reason in ("end_turn", "stop_sequence") else f"the model stopped early ({reason})"
                return finish(session, toolbox, text, cut)
            # the whole turn is kept: its text, and which tools it asked for (with their ids)
            session.message("assistant", text, tool_calls=[{"id": u["toolUseId"], "tool": u["name"]} for u in uses])
            if step == max_steps:
                return stop(session, toolbox, f"step limit reached: {max_steps} model calls without a final answer")
            if used >= budget:
                return stop(session, toolbox, f"token budget exhausted: {used} of {budget} tokens used")
            messages.append({"role": message.get("role", "assistant"), "content": content})
            results = [{"toolResult": {"toolUseId": use["toolUseId"], "content": [
                {"json": toolbox.call(use["name"], use.get("input"), use["toolUseId"])}]}} for use in uses]
            messages.append({"role": "user", "content": results})
        return stop(session, toolbox, "AGENT_MAX_STEPS is 0: the model was never called")
