"""Settings are read and checked once, at start-up: a bad value fails the
function's start, naming the setting; nothing writes the environment."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import settings
from sre_agent.config import SettingError

ROOT = Path(__file__).resolve().parent.parent


def _start(**env) -> subprocess.CompletedProcess:
    """Import the app in a fresh interpreter, as a Lambda cold start does."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, capture_output=True, text=True,
                          env={**base, "AWS_DEFAULT_REGION": "us-east-1", **env}, timeout=60)


@pytest.mark.parametrize("name,value,words", [
    ("MAX_ATTEMPTS", "three", "MAX_ATTEMPTS='three' is not a valid int setting"),
    ("LEASE_SECONDS", "1", "LEASE_SECONDS='1' is out of range: it must be at least 3"),
    ("ALLOW_LOOPBACK", "maybe", "ALLOW_LOOPBACK='maybe' is not a valid bool setting"),
    ("AGENT_BACKEND", "gpt5", "AGENT_BACKEND='gpt5' is not a valid choice setting"),
    ("ALLOW_NETWORKS", "10.0.0.0/33", "ALLOW_NETWORKS='10.0.0.0/33' is not a valid networks setting"),
])
def test_a_bad_setting_fails_the_start_naming_it(name, value, words):
    started = _start(**{name: value})
    assert started.returncode != 0
    assert "SettingError" in started.stderr and words in started.stderr


def test_good_settings_start_and_are_typed():
    assert _start(MAX_ATTEMPTS="5", ALLOW_LOOPBACK="true", ALLOW_NETWORKS="10.1.0.0/16").returncode == 0
    read = settings.from_env({"MAX_ATTEMPTS": "5", "ALLOW_LOOPBACK": "yes", "AGENT_MODEL_TIMEOUT": "2.5",
                              "ALLOW_NETWORKS": "10.1.0.0/16, 192.168.0.0/24", "CLOUD_SANDBOX": "Inline"})
    assert (read.max_attempts, read.outbound.allow_loopback, read.agent.model_timeout) == (5, True, 2.5)
    assert [str(n) for n in read.outbound.allow_networks] == ["10.1.0.0/16", "192.168.0.0/24"]
    assert read.cloud_sandbox == "inline" and read.schedule_shards == 8  # a default


def test_settings_go_to_a_child_process_and_come_back_the_same():
    read = settings.from_env({"MAX_ATTEMPTS": "4", "ALLOW_NETWORKS": "10.2.0.0/16", "OPENAI_MODEL": "m"})
    assert settings.from_env(read.as_env()) == read


def test_a_prod_function_without_a_sender_refuses_to_start():
    prod = settings.from_env({"APP_STAGE": "prod", "EMAIL_FROM": "x@example.com"})
    with pytest.raises(SettingError, match="EMAIL_FROM is not set to a real sender address"):
        settings.check_deployment(prod, lambda_function="sre-automations-prod-worker")
    settings.check_deployment(prod, lambda_function="")  # packaging imports the app outside Lambda


def test_override_changes_the_settings_for_a_while_only():
    before = settings.current()
    with settings.override(max_attempts=9) as inside:
        assert settings.current().max_attempts == 9 == inside.max_attempts
    assert settings.current() == before


@pytest.mark.parametrize("first", ["settings", "models"])
def test_the_tables_are_the_settings_whatever_is_imported_first(first):
    script = ("from chalicelib import settings\n"
              "from chalicelib.store import models\n" if first == "settings" else
              "from chalicelib.store import models\n"
              "from chalicelib import settings\n") + \
        "settings.current()\nprint(models.Run.Meta.table_name, models.Run.Meta.region)\n"
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**base, "TABLE_PREFIX": "acme-prod", "AWS_DEFAULT_REGION": "eu-west-1"})
    assert out.stdout.split() == ["acme-prod-runs", "eu-west-1"], out.stderr
