"""The one place agent backends are registered and chosen: by the run's
agent profile (the work's `agent`, which the service resolves from the
automation or the account's default), else by the environment's own
AGENT_BACKEND. An environment with AGENT_OWN set (a runner with its own model
and key) always uses its own. Backends are imported when chosen: the API
never pays for a model client."""
from dataclasses import replace
from importlib import import_module

from sre_agent.agents.base import Agent, PermanentAgentError, TransientAgentError
from sre_agent.net import guard
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


def settings_for(profile: dict | None, settings: AgentSettings) -> AgentSettings:
    """The settings a run works with: the environment's, with the run's agent
    profile (backend, model, endpoint, key, limits) laid over them. A
    profile's endpoint is the user's, not the operator's, so the outbound
    guard checks it under the environment's policy (the cloud: global
    addresses only; a runner: its networks too) before any model call."""
    if not profile or settings.own_agent:
        return settings
    backend, model = profile["backend"], profile.get("model")
    changes = {"backend": backend, "max_steps": int(profile.get("max_steps") or settings.max_steps),
               "token_budget": int(profile.get("max_tokens") or settings.token_budget)}
    if backend == "openai":
        url = profile["base_url"]
        try:
            guard.check_url(url, settings.outbound)
        except guard.UnresolvedHost as exc:
            error = TransientAgentError if exc.temporary else PermanentAgentError
            raise error(f"agent profile {profile['name']!r}: base_url: {exc}") from exc
        except guard.BlockedAddress as exc:
            raise PermanentAgentError(f"agent profile {profile['name']!r}: base_url: {exc}") from exc
        # only the profile's own key: the deployment's never goes to a user's endpoint
        changes.update(openai_base_url=url, openai_model=model or settings.openai_model,
                       openai_api_key=profile.get("api_key") or "", openai_api_key_secret="")
    elif backend == "bedrock" and model:
        changes["bedrock_model_id"] = model
    return replace(settings, **changes)
