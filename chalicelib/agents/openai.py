"""The OpenAI-compatible backend: any Chat Completions endpoint with tool
calling (OpenAI, vLLM, Ollama). The model is called in a loop, its tool calls
run through the toolbox, until it answers, or a step or token limit stops it.
"""
import json

import botocore.exceptions
import requests

from chalicelib import aws, settings
from chalicelib.agents import tools
from chalicelib.agents.base import Agent, AgentOutcome, PermanentAgentError, TransientAgentError
from chalicelib.agents.conversation import SYSTEM_PROMPT, finish, model_timeout, stop


def _api_key() -> str | None:
    if settings.get("OPENAI_API_KEY"):  # a runner's own key, from its environment
        return settings.get("OPENAI_API_KEY")
    name = settings.get("OPENAI_API_KEY_SECRET")
    if not name:
        return None  # a local vLLM/Ollama needs no key
    try:
        secret = aws.client("secretsmanager") \
            .get_secret_value(SecretId=name)
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        error = TransientAgentError if code in ("ThrottlingException", "InternalServiceError") else PermanentAgentError
        raise error(f"cannot read the OpenAI API key secret {name!r}: {code}")
    except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as exc:
        raise TransientAgentError(f"cannot reach Secrets Manager: {exc}")
    if not secret.get("SecretString", "").strip():
        raise PermanentAgentError(f"the OpenAI API key secret {name!r} has no SecretString")
    return secret["SecretString"].strip()


def _post(url: str, body: dict, key: str | None) -> dict:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        resp = requests.post(url, json=body, headers=headers,
                             timeout=(float(settings.get("AGENT_HTTP_TIMEOUT")), model_timeout()))
    except requests.Timeout as exc:
        raise TransientAgentError(f"model endpoint timed out: {exc}")
    except requests.ConnectionError as exc:
        raise TransientAgentError(f"cannot reach the model endpoint: {exc}")
    except requests.RequestException as exc:
        raise PermanentAgentError(f"bad model endpoint request: {exc}")
    if resp.status_code >= 400:
        detail = (resp.text.replace(key, "***") if key else resp.text)[:300]  # some servers echo the key
        error = TransientAgentError if resp.status_code in (408, 429) or resp.status_code >= 500 \
            else PermanentAgentError
        raise error(f"model endpoint answered HTTP {resp.status_code}: {detail}")
    try:
        return resp.json()
    except ValueError:
        raise PermanentAgentError(f"model endpoint answered with non-JSON (HTTP {resp.status_code})")


def _parse(reply) -> tuple[str | None, list, str | None, int]:
    """(content, tool calls, finish reason, tokens used) of a Chat Completions reply."""
    try:
        choice = reply["choices"][0]
        message = choice["message"]
        calls = message.get("tool_calls") or []
        for call in calls:
            if not isinstance(call["id"], str) or not isinstance(call["function"]["name"], str):
                raise TypeError("a tool call without an id or a function name")
        tokens = int((reply.get("usage") or {}).get("total_tokens") or 0)
        return message.get("content"), calls, choice.get("finish_reason"), tokens
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise PermanentAgentError(f"malformed Chat Completions response: {exc!r}")


def _run_tool(toolbox, call: dict) -> dict:
    name, raw = call["function"]["name"], call["function"].get("arguments") or "{}"
    try:
        args = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        args = raw  # the toolbox records it as a failed call and tells the model why
    return toolbox.call(name, args)


class OpenAIAgent(Agent):
    """A model behind an OpenAI-compatible Chat Completions endpoint."""
    type = "openai"

    def run(self, task, session, toolbox) -> AgentOutcome:
        """Run the tool-calling loop until the model answers or a limit is reached."""
        url = settings.get("OPENAI_BASE_URL").rstrip("/") + "/chat/completions"
        model, key = settings.get("OPENAI_MODEL"), _api_key()
        max_steps, budget = settings.get_int("AGENT_MAX_STEPS"), settings.get_int("AGENT_TOKEN_BUDGET")
        # task.prompt is the session's first message already, context included
        messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": task.prompt}]
        functions = [{"type": "function", "function": spec} for spec in tools.SPECS]
        used = 0
        for step in range(1, max_steps + 1):
            reply = _post(url, {"model": model, "messages": messages, "tools": functions}, key)
            content, calls, reason, tokens = _parse(reply)
            used += tokens
            if not calls:
                cut = None if reason in (None, "stop") else f"the model stopped early (finish_reason {reason})"
                return finish(session, toolbox, content or "", cut)
            if step == max_steps:
                return stop(session, toolbox, f"step limit reached: {max_steps} model calls without a final answer")
            if used >= budget:
                return stop(session, toolbox, f"token budget exhausted: {used} of {budget} tokens used")
            messages.append({"role": "assistant", "content": content, "tool_calls": calls})
            for call in calls:
                output = _run_tool(toolbox, call)
                messages.append({"role": "tool", "tool_call_id": call["id"],
                                 "content": json.dumps(output, ensure_ascii=False, default=str)})
        return stop(session, toolbox, "AGENT_MAX_STEPS is 0: the model was never called")
