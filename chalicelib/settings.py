"""Settings, read from environment variables in this one place.

Every value is read when asked for, not at import, because the Chalice test
client and the local stack set environment variables per stage and request.
"""
import os

DEFAULTS = {
    "APP_STAGE": "local",
    "TABLE_PREFIX": "sre-automations-local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "RUNS_QUEUE_URL": "",
    "PUBLIC_BASE_URL": "",
    "SCHEDULE_SHARDS": "8",
    "RUN_RETENTION_DAYS": "180",
    "MAX_BODY_BYTES": "262144",
    "TRIGGER_MAX_BODY_BYTES": "65536",
    "MAX_TASK_PROMPT_CHARS": "32000",
    "FANOUT_QUEUE_URL": "",
    "RUNS_DLQ_URL": "",
    "JITTER_SECONDS": "300",
    "MAX_ATTEMPTS": "3",
    "RETRY_BASE_SECONDS": "30",
    "MAX_RUN_SECONDS": "900",
    "ABANDON_GRACE_SECONDS": "120",
    # The scheduler: catch-up of missed ticks, and the sweeper of runs whose message was lost.
    "SCHEDULER_LOOKBACK_HOURS": "6",
    "SWEEP_AFTER_SECONDS": "600",
    "SWEEP_MAX_RESENDS": "3",
    "HEARTBEAT_SECONDS": "20",
    "AGENT_BACKEND": "builtin",
    "AGENT_MAX_STEPS": "8",
    "AGENT_TOKEN_BUDGET": "50000",
    "AGENT_HTTP_TIMEOUT": "10",
    "AGENT_MODEL_TIMEOUT": "120",
    "AGENT_MODEL_RETRIES": "3",
    "AGENT_MODEL_RETRY_MAX_SECONDS": "60",
    "OPENAI_BASE_URL": "https://api.openai.com/v1",
    "OPENAI_MODEL": "gpt-4o-mini",
    "OPENAI_API_KEY_SECRET": "",
    "BEDROCK_MODEL_ID": "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "EVENT_RETENTION_DAYS": "30",
    "RUNNER_HEALTH_SECONDS": "120",
    "ALLOW_LOOPBACK": "false",
    "ALLOW_PRIVATE_NETWORKS": "false",
    "ALLOW_NETWORKS": "",  # comma-separated CIDRs outbound HTTP may reach even though internal (runners)
    "OPENAI_API_KEY": "",  # a runner's own model key (the cloud reads OPENAI_API_KEY_SECRET instead)
    # Environments: runners, leases, the cloud sandbox.
    "LEASE_SECONDS": "60",
    "RUNNER_POLL_SECONDS": "20",
    "RUNNER_QUEUE_SECONDS": "1800",
    "CLOUD_SANDBOX": "queue",
    "SANDBOX_QUEUE_URL": "",
    "SANDBOX_API_URL": "",
    "SANDBOX_SECONDS": "300",
    # Actions (chalicelib/actions): outbound timeout, retries, and the services' base URLs (tests point them locally).
    "ACTION_HTTP_TIMEOUT": "10",
    "ACTION_MAX_RETRIES": "3",
    "ACTION_RETRY_BASE_SECONDS": "30",
    "EMAIL_FROM": "",  # required in prod (checked at start-up); the local stack sets one
    "TWILIO_API_BASE": "https://api.twilio.com",
    "PAGERDUTY_EVENTS_URL": "https://events.pagerduty.com/v2/enqueue",
    # Logs (chalicelib/observability): one JSON object per line, or readable text on the local stack.
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "json",
}


def get(name: str) -> str:
    """The raw string value of a setting (environment first, then default)."""
    return os.environ.get(name, DEFAULTS.get(name, ""))


def get_int(name: str) -> int:
    """A setting read as an integer."""
    return int(get(name))


def table_prefix() -> str:
    return get("TABLE_PREFIX")


def runs_queue_url() -> str:
    return get("RUNS_QUEUE_URL")


def public_base_url() -> str:
    return get("PUBLIC_BASE_URL").rstrip("/")


def schedule_shards() -> int:
    return max(1, get_int("SCHEDULE_SHARDS"))


def run_retention_days() -> int:
    return get_int("RUN_RETENTION_DAYS")


def check_deployment() -> None:
    """Refuse to start a deployed (prod) stage in Lambda without the settings
    it cannot work without, with a message that says what to set. (Packaging
    imports the app without them: there CloudFormation refuses a stack whose
    EmailFrom parameter is missing.)"""
    if get("APP_STAGE") != "prod" or not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return
    sender = get("EMAIL_FROM").strip()
    if not sender or "@" not in sender or sender.lower().endswith(("@example.com", "@example.org")):
        raise RuntimeError(
            "EMAIL_FROM is not set to a real sender address: set it (an address or domain verified in Amazon "
            "SES) with the EmailFrom parameter of the CloudFormation stack, or in .chalice/config.json "
            f"stages.prod.environment_variables; got {sender!r}")


def get_bool(name: str) -> bool:
    """A setting read as a boolean (1/true/yes/on)."""
    return get(name).strip().lower() in ("1", "true", "yes", "on")
