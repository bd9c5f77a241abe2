"""The one place agent backends are registered and chosen (AGENT_BACKEND)."""
from chalicelib import settings
from chalicelib.agents.base import Agent, PermanentAgentError
from chalicelib.agents.bedrock import BedrockAgent
from chalicelib.agents.builtin import BuiltinAgent
from chalicelib.agents.openai import OpenAIAgent

BACKENDS: dict[str, type[Agent]] = {cls.type: cls for cls in (BuiltinAgent, OpenAIAgent, BedrockAgent)}


def register(cls: type[Agent]) -> type[Agent]:
    """Add a backend under its `type` name."""
    BACKENDS[cls.type] = cls
    return cls


def agent_for_settings() -> Agent:
    """The backend the AGENT_BACKEND setting names."""
    name = settings.get("AGENT_BACKEND")
    if name not in BACKENDS:
        raise PermanentAgentError(f"unknown agent backend {name!r}; use one of {', '.join(sorted(BACKENDS))}")
    return BACKENDS[name]()
