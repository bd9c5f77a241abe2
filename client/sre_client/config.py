"""Where `sre login` keeps the API URL and key: `config.json` in the user's
config directory (~/.config/sre on Linux, or $SRE_CONFIG_DIR), readable by
the user only (0600, in a 0700 directory). Trigger tokens the CLI was shown
(when it created an api trigger or rotated one) are kept beside it, the same
way, so `sre trigger` can use them. SRE_API_URL and SRE_API_KEY override."""
import json
import os
from pathlib import Path

import click


def config_dir() -> Path:
    return Path(os.environ.get("SRE_CONFIG_DIR") or click.get_app_dir("sre"))


def _read(name: str) -> dict:
    path = config_dir() / name
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise click.ClickException(f"{path} is not valid JSON; run `sre login` again") from exc


def _write(name: str, data: dict) -> Path:
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    path.chmod(0o600)  # also when the file existed with wider rights
    return path


def load() -> dict:
    """{"api_url", "api_key"} from the environment or the saved login."""
    saved = _read("config.json")
    return {"api_url": os.environ.get("SRE_API_URL") or saved.get("api_url"),
            "api_key": os.environ.get("SRE_API_KEY") or saved.get("api_key")}


def save(api_url: str, api_key: str) -> Path:
    return _write("config.json", {"api_url": api_url.rstrip("/"), "api_key": api_key})


def save_key(api_key: str) -> None:
    """After `sre keys rotate`: the new key replaces the old one in the saved login."""
    saved = _read("config.json")
    if saved:
        save(saved["api_url"], api_key)


def trigger_token(automation_id: str) -> str | None:
    return _read("triggers.json").get(automation_id)


def save_trigger_token(automation_id: str, token: str) -> None:
    tokens = _read("triggers.json")
    tokens[automation_id] = token
    _write("triggers.json", tokens)
