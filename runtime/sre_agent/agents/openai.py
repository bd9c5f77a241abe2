"""The OpenAI-compatible backend: any Chat Completions endpoint with tool
calling (OpenAI, vLLM, Ollama, llama.cpp, mlx-lm, a LiteLLM proxy). The model
is called in a loop, its tool calls run through the toolbox, until it
answers, or a step or token limit stops it.

As the protocol and its servers behave:
- each call has AGENT_MODEL_TIMEOUT for the whole reply (connect, send,
  headers, body), or what is left before the environment's stop if that is
  less; the endpoint is the operator's, so it goes through net/endpoint.py,
  not the outbound guard that protects users' URLs;
- a 429 or 5xx (and a dropped connection) is retried inside the session,
  after the Retry-After the server asks for (or a jittered backoff), up to
  AGENT_MODEL_RETRIES times, instead of restarting the whole run; a wait
  longer than AGENT_MODEL_RETRY_MAX_SECONDS hands the run back to the queue
  (conversation.call_model, the policy Bedrock shares);
- an error that says the account is out of quota or budget fails the run at
  once with the provider's message: OpenAI's `insufficient_quota` and the
  other billing codes, LiteLLM's `budget_exceeded`, and the provider's words
  when a proxy passes them on under a code of its own (LiteLLM: `"code":
  "429"`, "… exceeded your current quota …"): retrying cannot help until
  someone adds credit;
- a reply that refuses (`content: null` and a `refusal`) fails the run with
  "the model refused: …", the refusal kept in the session;
- a tool call without an `id` (llama.cpp and mlx-lm servers omit it) gets
  one, used for its answer; arguments are sent back as the JSON string the
  protocol requires, whatever form the server sent them in;
- `max_completion_tokens` bounds each reply (within the token budget).
The key is read from the Secrets Manager secret OPENAI_API_KEY_SECRET names,
named as you named it (the deployment's `AgentApiKeySecret` parameter lets the
worker read it).
"""
import http.client
import json
import time

import botocore.exceptions

from sre_agent import aws
from sre_agent.agents.base import Agent, AgentOutcome, PermanentAgentError, TransientAgentError, system_prompt_of
from sre_agent.agents.conversation import SYSTEM_PROMPT, Retry, call_model, finish, refused, stop
from sre_agent.net import endpoint
from sre_agent.net.http import DeadlinePassed, retry_after
from sre_agent.settings import AgentSettings

MAX_ANSWER_TOKENS = 4096
BILLING_CODES = {"insufficient_quota", "credit_balance_exhausted", "organization_spend_limit_exceeded",
                 "project_spend_limit_exceeded", "organization_usage_limit_exceeded",
                 "budget_exceeded"}  # LiteLLM's own budgets (422, or 429 where its operator chose so)
# The provider's words for an empty account, as a proxy passes them on under a code of its own
# (LiteLLM: {"error": {"message": "litellm.RateLimitError: … You exceeded your current quota …", "code": "429"}}).
QUOTA_WORDS = ("exceeded your current quota", "insufficient_quota", "credit balance is too low")


def _api_key(settings: AgentSettings) -> str | None:
    if settings.openai_api_key:  # a runner's own key, from its environment
        return settings.openai_api_key
    name = settings.openai_api_key_secret
    if not name:
        return None  # a local vLLM/Ollama needs no key
    try:
        secret = aws.client("secretsmanager", settings.region).get_secret_value(SecretId=name)
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        error = TransientAgentError if code in ("ThrottlingException", "InternalServiceError") else PermanentAgentError
        raise error(f"cannot read the OpenAI API key secret {name!r}: {code}") from exc
    except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as exc:
        raise TransientAgentError(f"cannot reach Secrets Manager: {exc}") from exc
    if not secret.get("SecretString", "").strip():
        raise PermanentAgentError(f"the OpenAI API key secret {name!r} has no SecretString")
    return secret["SecretString"].strip()


def _billing_problem(body: bytes) -> str | None:
    """What an error answer says about an account out of quota or budget, or None."""
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict):
        return None
    message = str(error.get("message") or "")
    for value in (error.get("code"), error.get("type")):
        if isinstance(value, str) and value in BILLING_CODES:
            return f"{value}: {message[:200]}".rstrip(": ")
    if any(words in message.lower() for words in QUOTA_WORDS):
        return f"out of quota: {message[:200]}"
    return None


def _call(url: str, body: dict, key: str | None, settings: AgentSettings, seconds: float) -> dict:
    """One try of one model call, with `seconds` for all of it."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        resp = endpoint.send(url, "POST", headers, json.dumps(body).encode(),
                             connect_timeout=settings.http_timeout, deadline=seconds)
    except DeadlinePassed:
        raise  # call_model tells the model timeout from the environment's stop
    except (OSError, http.client.HTTPException) as exc:  # refused, dropped, no connection within AGENT_HTTP_TIMEOUT
        raise Retry(f"cannot reach the model endpoint: {exc}") from exc
    except ValueError as exc:
        raise PermanentAgentError(f"bad model endpoint: {exc}") from exc
    if resp.status < 400:
        try:
            return json.loads(resp.body)
        except ValueError as exc:
            raise PermanentAgentError(f"model endpoint answered with non-JSON (HTTP {resp.status})") from exc
    text = resp.body.decode("utf-8", "replace")
    detail = (text.replace(key, "***") if key else text)[:300]  # some servers echo the key
    if billing := _billing_problem(resp.body):
        raise PermanentAgentError(f"the model provider refused the request: {billing}")
    if resp.status not in (408, 429) and resp.status < 500:
        raise PermanentAgentError(f"model endpoint answered HTTP {resp.status}: {detail}")
    raise Retry(f"model endpoint answered HTTP {resp.status}: {detail}", retry_after(resp.headers))


def _parse(reply, step: int) -> tuple[str | None, list, str | None, int, str | None]:
    """(content, tool calls, finish reason, tokens used, refusal) of a Chat
    Completions reply; every tool call has an `id` and its arguments as a string."""
    try:
        choice = reply["choices"][0]
        message = choice["message"]
        calls = []
        for index, call in enumerate(message.get("tool_calls") or []):
            function = call["function"]
            if not isinstance(function["name"], str):
                raise TypeError("a tool call without a function name")
            raw = function.get("arguments")
            arguments = raw if isinstance(raw, str) else json.dumps(raw if raw is not None else {})
            call_id = call.get("id") if isinstance(call.get("id"), str) and call.get("id") else \
                f"call_{step}_{index + 1}"
            calls.append({"id": call_id, "type": "function",
                          "function": {"name": function["name"], "arguments": arguments}})
        tokens = int((reply.get("usage") or {}).get("total_tokens") or 0)
        refusal = message.get("refusal")  # OpenAI's structured refusal, with `content` null
        refusal = refusal if isinstance(refusal, str) and refusal.strip() else None
        return message.get("content"), calls, choice.get("finish_reason"), tokens, refusal
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise PermanentAgentError(f"malformed Chat Completions response: {exc!r}") from exc


def _run_tool(toolbox, call: dict) -> dict:
    name, raw = call["function"]["name"], call["function"]["arguments"] or "{}"
    try:
        args = json.loads(raw)
    except ValueError:
        args = raw  # the toolbox records it as a failed call and tells the model why
    return toolbox.call(name, args, call["id"])


class OpenAIAgent(Agent):
    """A model behind an OpenAI-compatible Chat Completions endpoint."""
    type = "openai"
    system_prompt = SYSTEM_PROMPT

    def __init__(self, settings: AgentSettings | None = None, sleep=time.sleep):
        super().__init__(settings)
        self.sleep = sleep  # tests pass their own to see the waits without waiting

    def run(self, task, session, toolbox) -> AgentOutcome:
        """Run the tool-calling loop until the model answers or a limit is reached."""
        s = self.settings
        url = s.openai_base_url.rstrip("/") + "/chat/completions"
        model, key = s.openai_model, _api_key(s)
        max_steps, budget = s.max_steps, s.token_budget
        # task.prompt is the session's first message already, context included
        messages = [{"role": "system", "content": system_prompt_of(self, task)},
                    {"role": "user", "content": task.prompt}]
        functions = [{"type": "function", "function": spec} for spec in toolbox.specs]
        used = 0
        for step in range(1, max_steps + 1):
            body = {"model": model, "messages": messages, "tools": functions,
                    "max_completion_tokens": max(1, min(MAX_ANSWER_TOKENS, budget - used))}
            reply = call_model(lambda seconds, body=body: _call(url, body, key, s, seconds), s, toolbox.deadline,
                               self.sleep)
            content, calls, reason, tokens, refusal = _parse(reply, step)
            used += tokens
            if refusal:
                raise refused(session, refusal)
            if not calls:
                cut = None if reason in (None, "stop") else f"the model stopped early (finish_reason {reason})"
                return finish(session, toolbox, content or "", cut)
            # the whole turn is kept: its text, and which tools it asked for (with their ids)
            session.message("assistant", content or "",
                            tool_calls=[{"id": c["id"], "tool": c["function"]["name"]} for c in calls])
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
