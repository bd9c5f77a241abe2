"""Typed settings from environment variables, checked once: the machinery
the agent runtime's settings (sre_agent/settings.py) and the service's
(chalicelib/settings.py) are both made of. A setting is a dataclass field
made by `setting(...)`: the variable it comes from, its default, its meaning,
how its text is read and its bounds; `from_env` reads them all and fails on
the first bad value with `SettingError`, which names the variable."""
import ipaddress
from collections.abc import Mapping
from dataclasses import field, fields
from typing import Any


class SettingError(ValueError):
    """A setting's value cannot be used; the message names the setting."""


def setting(env: str, default: Any, meaning: str, kind: str = "str", low: float | None = None,
            high: float | None = None, choices: tuple[str, ...] = ()):
    """One setting: the environment variable it comes from, its default, its
    meaning, how its text is read (`str`, `int`, `float`, `bool`, `choice`,
    `networks`: comma-separated CIDRs) and its bounds."""
    return field(default=default, metadata={"env": env, "meaning": meaning, "kind": kind, "low": low,
                                            "high": high, "choices": choices})


def nested(cls, meaning: str):
    """A group of settings of its own (a settings class), read from the same environment."""
    return field(default_factory=cls, metadata={"nested": cls, "meaning": meaning})


def read(spec, raw: str):
    """A setting's text as its type, checked; SettingError names it."""
    meta, name = spec.metadata, spec.metadata["env"]
    kind, text = meta["kind"], raw.strip()
    try:
        if kind == "int":
            value = int(text)
        elif kind == "float":
            value = float(text)
        elif kind == "bool":
            if text.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
                raise ValueError("use true or false")
            return text.lower() in ("1", "true", "yes", "on")
        elif kind == "networks":
            return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())
        elif kind == "choice":
            found = [choice for choice in meta["choices"] if choice.lower() == text.lower()]
            if not found:
                raise ValueError(f"use one of {', '.join(meta['choices'])}")
            return found[0]
        else:
            return raw
    except ValueError as exc:
        raise SettingError(f"{name}={raw!r} is not a valid {kind} setting ({meta['meaning']}): {exc}") from exc
    if (meta["low"] is not None and value < meta["low"]) or (meta["high"] is not None and value > meta["high"]):
        bounds = f"at least {meta['low']:g}" if meta["high"] is None else f"{meta['low']:g}-{meta['high']:g}"
        raise SettingError(f"{name}={raw!r} is out of range: it must be {bounds} ({meta['meaning']})")
    return value


def from_env(cls, environ: Mapping[str, str], **changes):
    """An instance of the settings class `cls` read from environment variables
    (the defaults for those not set), then `changes` by field name."""
    values = {}
    for spec in fields(cls):
        if "nested" in spec.metadata:
            values[spec.name] = from_env(spec.metadata["nested"], environ)
        elif environ.get(spec.metadata["env"]) is not None:
            values[spec.name] = read(spec, environ[spec.metadata["env"]])
    values.update(changes)
    return cls(**values)


def as_env(value) -> dict[str, str]:
    """Settings as the environment variables they are read from."""
    out = {}
    for spec in fields(value):
        item = getattr(value, spec.name)
        if "nested" in spec.metadata:
            out.update(as_env(item))
            continue
        if spec.metadata["kind"] == "bool":
            item = "true" if item else "false"
        elif spec.metadata["kind"] == "networks":
            item = ",".join(str(net) for net in item)
        out[spec.metadata["env"]] = str(item)
    return out
