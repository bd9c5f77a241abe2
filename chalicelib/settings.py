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
