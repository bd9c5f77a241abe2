"""Checks for action settings, each naming the field it refuses
(`actions[0].message`), shared by the action modules."""
import re

from chalicelib.actions.templates import validate_template
from chalicelib.errors import Invalid
from chalicelib.secrets import check_name


def template(config: dict, key: str, where: str, max_chars: int = 4000) -> dict:
    """An optional template setting: `{key: text}` when set, `{}` when not."""
    text = config.get(key)
    if text is None:
        return {}
    if not isinstance(text, str) or not 0 < len(text) <= max_chars:
        raise Invalid(f"{where}.{key} must be a template of 1-{max_chars} characters", field=f"{where}.{key}")
    validate_template(text, f"{where}.{key}")
    return {key: text}


def secret(config: dict, key: str, where: str) -> dict:
    """A required secret name (the secret itself is read at send time)."""
    if config.get(key) is None:
        raise Invalid(f"{where}.{key} is required: the name of a secret written with PUT /secrets/{{name}}",
                      field=f"{where}.{key}")
    return {key: check_name(config[key], f"{where}.{key}")}


def choice(config: dict, key: str, where: str, options: tuple[str, ...], default: str) -> dict:
    """One of a few words, with a default."""
    value = config.get(key, default)
    if value not in options:
        raise Invalid(f"{where}.{key} must be one of {', '.join(options)}; got {value!r}", field=f"{where}.{key}")
    return {key: value}


def matching(config: dict, key: str, where: str, pattern: re.Pattern, what: str) -> dict:
    """A required string of a given shape (`what` describes it to the user)."""
    value = config.get(key)
    if not isinstance(value, str) or not pattern.match(value):
        raise Invalid(f"{where}.{key} must be {what}; got {value!r}", field=f"{where}.{key}")
    return {key: value}


def matching_list(config: dict, key: str, where: str, pattern: re.Pattern, what: str, most: int) -> dict:
    """A required non-empty list of strings of a given shape, without repeats."""
    values = config.get(key)
    if not isinstance(values, list) or not 0 < len(values) <= most:
        raise Invalid(f"{where}.{key} must be a list of 1-{most} {what}s", field=f"{where}.{key}")
    for index, value in enumerate(values):
        if not isinstance(value, str) or not pattern.match(value):
            raise Invalid(f"{where}.{key}[{index}] must be {what}; got {value!r}", field=f"{where}.{key}[{index}]")
    return {key: list(dict.fromkeys(values))}
