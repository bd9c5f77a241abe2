"""The one place agent backends are registered and chosen (AGENT_BACKEND).
Backends are imported when chosen: the API never pays for a model client."""
from importlib import import_module

from chalicelib import settings
from chalicelib.agents.base import Agent, PermanentAgentError

BACKENDS: dict[str, str] = {
    "builtin": "chalicelib.agents.builtin:BuiltinAgent",
    "openai": "chalicelib.agents.openai:OpenAIAgent",
    "bedrock": "chalicelib.agents.bedrock:BedrockAgent",
}


def agent_for_settings() -> Agent:
    """The backend the AGENT_BACKEND setting names."""
    name = settings.get("AGENT_BACKEND")
    if name not in BACKENDS:
        raise PermanentAgentError(f"unknown agent backend {name!r}; use one of {', '.join(sorted(BACKENDS))}")
    module, cls = BACKENDS[name].split(":")
    return getattr(import_module(module), cls)()
