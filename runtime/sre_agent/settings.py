"""The agent runtime's settings: which model backend, its limits, and where
outbound HTTP may go. The cloud sandbox gets them from the service's settings
(chalicelib/settings.py holds them as its `agent` group); a runner reads them
from its own environment and command line. Nothing here writes the
environment: each environment builds one `AgentSettings` and hands it on."""
from dataclasses import dataclass

from sre_agent.config import from_env, nested, setting


@dataclass(frozen=True)
class Outbound:
    """Where outbound HTTP on a user's behalf (agent tools, actions) may go
    beside global addresses (sre_agent.net.guard decides); link-local and the
    cloud metadata addresses never."""
    allow_loopback: bool = setting("ALLOW_LOOPBACK", False, "outbound HTTP may reach loopback (the local stack)",
                                   "bool")
    allow_private_networks: bool = setting("ALLOW_PRIVATE_NETWORKS", False, "outbound HTTP may reach private "
                                           "networks (runners)", "bool")
    allow_networks: tuple = setting("ALLOW_NETWORKS", (), "comma-separated CIDRs outbound HTTP may reach even "
                                    "though internal", "networks")


@dataclass(frozen=True)
class AgentSettings:
    """How an environment works a run's session."""
    backend: str = setting("AGENT_BACKEND", "builtin", "the model backend", "choice",
                           choices=("builtin", "openai", "bedrock"))
    max_steps: int = setting("AGENT_MAX_STEPS", 8, "model calls per run at most", "int", 0)
    token_budget: int = setting("AGENT_TOKEN_BUDGET", 50000, "tokens per run at most", "int", 1)
    http_timeout: float = setting("AGENT_HTTP_TIMEOUT", 10.0, "seconds for a whole URL check (and a connection to "
                                  "the model endpoint)", "float", 0.1)
    model_timeout: float = setting("AGENT_MODEL_TIMEOUT", 120.0, "seconds for a whole model call, connect to last "
                                   "byte (less when the environment's stop is nearer)", "float", 0.1)
    model_retries: int = setting("AGENT_MODEL_RETRIES", 3, "a 429/5xx of the model endpoint is retried this often "
                                 "inside the session", "int", 0, 20)
    model_retry_max_seconds: float = setting("AGENT_MODEL_RETRY_MAX_SECONDS", 60.0, "a longer wait hands the run "
                                             "back to the queue", "float", 0)
    openai_base_url: str = setting("OPENAI_BASE_URL", "https://api.openai.com/v1", "any Chat Completions endpoint")
    openai_model: str = setting("OPENAI_MODEL", "gpt-4o-mini", "the model of the openai backend")
    openai_api_key_secret: str = setting("OPENAI_API_KEY_SECRET", "", "the Secrets Manager secret holding the "
                                         "model key")
    openai_api_key: str = setting("OPENAI_API_KEY", "", "a model key given directly (a runner's own)")
    bedrock_model_id: str = setting("BEDROCK_MODEL_ID", "anthropic.claude-3-5-sonnet-20240620-v1:0",
                                    "the Bedrock Converse model")
    mcp_connect_timeout: float = setting("AGENT_MCP_CONNECT_TIMEOUT", 10.0, "seconds to connect to an MCP server and "
                                         "list its tools at a run's start", "float", 0.1)
    mcp_call_timeout: float = setting("AGENT_MCP_CALL_TIMEOUT", 30.0, "seconds for one MCP tool call (less when the "
                                      "environment's stop is nearer)", "float", 0.1)
    own_agent: bool = setting("AGENT_OWN", False, "this environment's own backend, model and key win over the "
                              "automations' agent profiles (a runner's own model)", "bool")
    region: str = setting("AWS_DEFAULT_REGION", "us-east-1", "the AWS region of Bedrock and Secrets Manager")
    outbound: Outbound = nested(Outbound, "where outbound HTTP may go")


def agent_settings(environ, **changes) -> AgentSettings:
    """AgentSettings from environment variables (SettingError names a bad one)."""
    return from_env(AgentSettings, environ, **changes)
