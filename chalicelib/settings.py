"""The service's settings: one frozen object, read from the environment and
checked once, at start-up. Every setting's type, default and meaning is in
`Settings` below; a bad value fails the start with the setting's name
(`SettingError`), never a request later.

- Deployed, each function reads its environment once (`current()`, on first
  use: app.py asks at import, so a bad value fails the cold start).
- The local stack and the runner build a `Settings` of their own (`from_env`
  of the values they choose, `replace`) and `install` it; nothing writes
  `os.environ` to configure the code.
- Tests change settings with `override(...)`.

Installing settings also points the store at the tables they name.
"""
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sre_agent import config
from sre_agent.config import SettingError, nested, setting
from sre_agent.settings import AgentSettings, Outbound

__all__ = ["Settings", "SettingError", "current", "install", "load", "override", "from_env", "check_deployment"]


@dataclass(frozen=True)
class Settings:
    """Every setting of the service (the environment variable, in upper case, is the field's name)."""
    # Where it runs.
    app_stage: str = setting("APP_STAGE", "local", "the stage: local, or prod when deployed")
    table_prefix: str = setting("TABLE_PREFIX", "sre-automations-local", "DynamoDB table names are <prefix>-<table>")
    region: str = setting("AWS_DEFAULT_REGION", "us-east-1", "the AWS region of the tables, queues and secrets")
    public_base_url: str = setting("PUBLIC_BASE_URL", "", "base of trigger URLs, status URLs and run links "
                                    "(empty: from the request's Host)")
    runs_queue_url: str = setting("RUNS_QUEUE_URL", "", "the SQS runs queue (set by the stack)")
    fanout_queue_url: str = setting("FANOUT_QUEUE_URL", "", "the scheduler's fan-out queue (set by the stack)")
    runs_dlq_url: str = setting("RUNS_DLQ_URL", "", "the runs dead-letter queue (set by the stack)")
    # Limits of the API.
    max_body_bytes: int = setting("MAX_BODY_BYTES", 262144, "request body limit (413 above)", "int", 1024)
    trigger_max_body_bytes: int = setting("TRIGGER_MAX_BODY_BYTES", 65536, "trigger URL body limit (413 above)",
                                           "int", 1024)
    max_task_prompt_chars: int = setting("MAX_TASK_PROMPT_CHARS", 32000, "task prompt length limit", "int", 1)
    knowledge_max_bytes: int = setting("KNOWLEDGE_MAX_BYTES", 262144, "a knowledge document's content limit in "
                                        "UTF-8 bytes (413 above)", "int", 1024, 360000)
    knowledge_prompt_chars: int = setting("KNOWLEDGE_PROMPT_CHARS", 4000, "the most characters of knowledge put in "
                                           "a run's system prompt (0: none)", "int", 0, 100000)
    # Schedules and runs.
    schedule_shards: int = setting("SCHEDULE_SHARDS", 8, "shards per schedule-index key (fixed per deployment)",
                                    "int", 1, 64)
    run_retention_days: int = setting("RUN_RETENTION_DAYS", 180, "run history retention (DynamoDB TTL)", "int", 1)
    jitter_seconds: int = setting("JITTER_SECONDS", 300, "window of each rule's stable start offset (at most 900)",
                                   "int", 0)
    max_attempts: int = setting("MAX_ATTEMPTS", 3, "attempts of a run on transient failures", "int", 1, 20)
    retry_base_seconds: int = setting("RETRY_BASE_SECONDS", 30, "first retry backoff of a run (doubles each "
                                       "attempt)", "int", 0)
    max_run_seconds: int = setting("MAX_RUN_SECONDS", 900, "a running run past this plus the grace is abandoned",
                                    "int", 1)
    abandon_grace_seconds: int = setting("ABANDON_GRACE_SECONDS", 120, "grace after MAX_RUN_SECONDS before the "
                                          "reaper ends a run", "int", 0)
    scheduler_lookback_hours: int = setting("SCHEDULER_LOOKBACK_HOURS", 6, "how far back a tick catches up ticks "
                                             "that did not complete", "int", 0, 48)
    sweep_after_seconds: int = setting("SWEEP_AFTER_SECONDS", 600, "a run waiting this long for a worker has its "
                                        "message sent again", "int", 0)
    sweep_max_resends: int = setting("SWEEP_MAX_RESENDS", 3, "after this many re-sends a run no worker started "
                                      "ends failed", "int", 0)
    heartbeat_seconds: int = setting("HEARTBEAT_SECONDS", 20, "how often a session worked inside the worker "
                                      "renews its lease", "int", 1)
    event_retention_days: int = setting("EVENT_RETENTION_DAYS", 30, "events kept (TTL)", "int", 1)
    # Environments: runners, leases, the cloud sandbox.
    lease_seconds: int = setting("LEASE_SECONDS", 60, "a run's lease without renewal (renewed every third)",
                                  "int", 3)
    runner_health_seconds: int = setting("RUNNER_HEALTH_SECONDS", 120, "a runner is healthy while its last "
                                          "heartbeat is this recent", "int", 1)
    runner_poll_seconds: int = setting("RUNNER_POLL_SECONDS", 20, "the longest a runner's claim is held open",
                                        "int", 0, 60)
    runner_queue_seconds: int = setting("RUNNER_QUEUE_SECONDS", 1800, "how long a run waits for a runner of its "
                                         "pool before it ends failed", "int", 1)
    cloud_sandbox: str = setting("CLOUD_SANDBOX", "queue", "queue: the sandbox function works cloud runs; inline "
                                  "(tests, benchmarks): the worker does", "choice", choices=("queue", "inline"))
    sandbox_queue_url: str = setting("SANDBOX_QUEUE_URL", "", "the sandbox's queue (set by the stack)")
    sandbox_api_url: str = setting("SANDBOX_API_URL", "", "the API the sandbox reports to (set by the stack)")
    sandbox_seconds: int = setting("SANDBOX_SECONDS", 300, "the sandbox function's time limit", "int", 10)
    # The agent of the cloud sandbox (a runner has its own) and outbound HTTP (agent tools and actions).
    agent: AgentSettings = nested(AgentSettings, "the cloud sandbox's agent")
    # Actions.
    action_http_timeout: float = setting("ACTION_HTTP_TIMEOUT", 10.0, "total deadline of one action send "
                                          "(seconds)", "float", 0.1)
    action_max_retries: int = setting("ACTION_MAX_RETRIES", 3, "retries of an action (its `retries` overrides)",
                                       "int", 0, 10)
    action_retry_base_seconds: int = setting("ACTION_RETRY_BASE_SECONDS", 30, "first backoff of an action retry",
                                              "int", 0)
    email_from: str = setting("EMAIL_FROM", "", "the SES-verified sender of email actions (required in prod)")
    twilio_api_base: str = setting("TWILIO_API_BASE", "https://api.twilio.com", "Twilio's API (tests point it "
                                    "locally)")
    pagerduty_events_url: str = setting("PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com/v2/enqueue",
                                         "PagerDuty's Events API (tests point it locally)")
    sns_cert_base_url: str = setting("SNS_CERT_BASE_URL", "", "empty: SNS signing certificates and subscription "
                                      "URLs are fetched from their sns.<region>.amazonaws.com host; set (tests, the "
                                      "local stack): from this base instead, same path and query")
    # Logs.
    log_level: str = setting("LOG_LEVEL", "INFO", "our modules' log level", "choice",
                              choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    log_format: str = setting("LOG_FORMAT", "json", "json: one object per line; text: readable lines", "choice",
                               choices=("json", "text"))

    @property
    def base_url(self) -> str:
        """PUBLIC_BASE_URL without a trailing slash (empty when unset)."""
        return self.public_base_url.rstrip("/")

    @property
    def outbound(self) -> Outbound:
        """Where outbound HTTP on a user's behalf may go."""
        return self.agent.outbound

    def as_env(self) -> dict[str, str]:
        """The settings as environment variables (for a child process of the local stack)."""
        return config.as_env(self)


def from_env(environ: Mapping[str, str], **changes) -> Settings:
    """Settings read from environment variables (the defaults for those not
    set), then `changes` by field name; SettingError names a bad one."""
    return config.from_env(Settings, environ, **changes)


_current: Settings | None = None


def install(value: Settings) -> Settings:
    """Make `value` the settings of this process (and point the store at its tables)."""
    global _current
    _current = value
    from chalicelib.store import configure
    configure(value.table_prefix, value.region, {
        "runs": value.runs_queue_url, "fanout": value.fanout_queue_url, "sandbox": value.sandbox_queue_url,
        "runs_dlq": value.runs_dlq_url})
    return value


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check the settings of this process from its environment, and install them."""
    return install(from_env(os.environ if environ is None else environ))


def current() -> Settings:
    """The settings of this process (read from the environment on first use)."""
    return _current if _current is not None else load()


@contextmanager
def override(**changes) -> Iterator[Settings]:
    """Settings with some fields changed, for the duration of a `with` (tests)."""
    before = current()
    try:
        yield install(replace(before, **changes))
    finally:
        install(before)


def check_deployment(value: Settings | None = None, lambda_function: str | None = None) -> None:
    """Refuse to start a deployed (prod) stage in Lambda without the settings
    it cannot work without, with a message that says what to set. (Packaging
    imports the app without them: there CloudFormation refuses a stack whose
    EmailFrom parameter is missing.)"""
    value = value or current()
    function = lambda_function if lambda_function is not None else os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    if value.app_stage != "prod" or not function:
        return
    sender = value.email_from.strip()
    if not sender or "@" not in sender or sender.lower().endswith(("@example.com", "@example.org")):
        raise SettingError(
            "EMAIL_FROM is not set to a real sender address: set it (an address or domain verified in Amazon "
            "SES) with the EmailFrom parameter of the CloudFormation stack, or in .chalice/config.json "
            f"stages.prod.environment_variables; got {sender!r}")
