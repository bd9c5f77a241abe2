"""The one place agent backends are registered and chosen (AGENT_BACKEND).
Backends are imported when chosen: the API never pays for a model client."""
from importlib import import_module

from sre_agent.agents.base import Agent, PermanentAgentError
from sre_agent.settings import AgentSettings

BACKENDS: dict[str, str] = {
    "builtin": "sre_agent.agents.builtin:BuiltinAgent",
    "openai": "sre_agent.agents.openai:OpenAIAgent",
    "bedrock": "sre_agent.agents.bedrock:BedrockAgent",
}


def agent_for(settings: AgentSettings) -> Agent:
    """The backend the settings name, made with them."""
    if settings.backend not in BACKENDS:
        raise PermanentAgentError(f"unknown agent backend {settings.backend!r}; use one of "
                                  f"{', '.join(sorted(BACKENDS))}")
    module, cls = BACKENDS[settings.backend].split(":")
    return getattr(import_module(module), cls)(settings)
