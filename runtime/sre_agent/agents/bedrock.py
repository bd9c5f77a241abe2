"""The Bedrock backend: the Converse API with tool use, in the same loop as the
OpenAI backend (model call, tool calls through the toolbox, until end_turn or a
step or token limit)."""
import botocore.config
import botocore.exceptions

from sre_agent import aws
from sre_agent.agents import tools
from sre_agent.agents.base import Agent, AgentOutcome, PermanentAgentError, TransientAgentError
from sre_agent.agents.conversation import SYSTEM_PROMPT, finish, stop
from sre_agent.settings import AgentSettings

TRANSIENT_CODES = {"ThrottlingException", "ServiceUnavailableException", "InternalServerException",
                   "ModelNotReadyException", "ModelTimeoutException"}
MAX_ANSWER_TOKENS = 4096


def _converse(client, **params) -> dict:
    try:
        return client.converse(**params)
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        cls = TransientAgentError if code in TRANSIENT_CODES else PermanentAgentError
        raise cls(f"Bedrock {code}: {error.get('Message', '')}".rstrip(": ")) from exc
    except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as exc:
        raise TransientAgentError(f"cannot reach Bedrock: {exc}") from exc
    except botocore.exceptions.BotoCoreError as exc:  # no credentials or region, invalid parameters
        raise PermanentAgentError(f"Bedrock request failed: {exc}") from exc


class BedrockAgent(Agent):
    """A model on Amazon Bedrock, through the Converse API."""
    type = "bedrock"
    system_prompt = SYSTEM_PROMPT

    def __init__(self, settings: AgentSettings | None = None, client=None):
        super().__init__(settings)
        self.client = client  # tests pass a stubbed client; otherwise one is made per run

    def _client(self):
        if self.client is not None:
            return self.client
        config = botocore.config.Config(connect_timeout=self.settings.http_timeout,
                                        read_timeout=self.settings.model_timeout)
        return aws.client("bedrock-runtime", self.settings.region, config=config)

    def run(self, task, session, toolbox) -> AgentOutcome:
        """Run the tool-use loop until the model ends its turn or a limit is reached."""
        client, model = self._client(), self.settings.bedrock_model_id
        max_steps, budget = self.settings.max_steps, self.settings.token_budget
        # task.prompt is the session's first message already, context included
        messages = [{"role": "user", "content": [{"text": task.prompt}]}]
        tool_config = {"tools": [{"toolSpec": {"name": s["name"], "description": s["description"],
                                               "inputSchema": {"json": s["parameters"]}}} for s in tools.SPECS]}
        used = 0
        for step in range(1, max_steps + 1):
            reply = _converse(client, modelId=model, system=[{"text": SYSTEM_PROMPT}], messages=messages,
                              toolConfig=tool_config,
                              inferenceConfig={"maxTokens": max(1, min(MAX_ANSWER_TOKENS, budget - used))})
            try:
                message, reason = reply["output"]["message"], reply["stopReason"]
                used += int(reply.get("usage", {}).get("totalTokens") or 0)
                blocks = message["content"]
                text = "\n".join(b["text"] for b in blocks if "text" in b)
                uses = [b["toolUse"] for b in blocks if "toolUse" in b]
            except (KeyError, TypeError) as exc:
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
            messages.append(message)
            results = [{"toolResult": {"toolUseId": use["toolUseId"], "content": [
                {"json": toolbox.call(use["name"], use.get("input") or {}, use["toolUseId"])}]}} for use in uses]
            messages.append({"role": "user", "content": results})
        return stop(session, toolbox, "AGENT_MAX_STEPS is 0: the model was never called")
