"""Validating the fields of an automation as a user sends them."""
from chalicelib import settings
from chalicelib.errors import Invalid
from chalicelib.events import triggers as event_triggers
from chalicelib.identity.directory import parse_team_id
from chalicelib.rules import schedule

ENVIRONMENTS = ("auto", "cloud_sandbox", "runner")
TRIGGER_TYPES = ("schedule", "api", "event")


def name(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("name is required: a non-empty string of at most 255 characters", field="name")
    if len(value) > 255:
        raise Invalid(f"name is {len(value)} characters long; the limit is 255", field="name")
    return value.strip()


def task_prompt(value) -> str:
    limit = settings.current().max_task_prompt_chars
    if not isinstance(value, str) or not value.strip():
        raise Invalid("task_prompt is required: describe the task for the AI SRE agent to perform",
                      field="task_prompt")
    if len(value) > limit:
        raise Invalid(f"task_prompt is {len(value)} characters long; the limit is {limit}", field="task_prompt")
    return value


def enabled(value) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"enabled must be true or false; got {value!r}", field="enabled")
    return value


def team_id(value) -> int:
    return parse_team_id(value)


def environment(value) -> dict:
    """Shape check only; whether the runner fits the scope is checked by the caller."""
    if not isinstance(value, dict) or value.get("type") not in ENVIRONMENTS:
        raise Invalid(f"environment.type must be one of {', '.join(ENVIRONMENTS)}", field="environment.type")
    if value["type"] != "runner":
        return {"type": value["type"]}
    runner_id = value.get("runner_id")
    if not isinstance(runner_id, str) or not runner_id:
        raise Invalid("environment.runner_id is required when environment.type is 'runner'",
                      field="environment.runner_id")
    return {"type": "runner", "runner_id": runner_id}


def triggers(value, now, automation_id: str) -> list[dict]:
    """The trigger list: at least one, at most one of each type. Api triggers
    come back as `{"type": "api"}`; the caller keeps or issues their token."""
    if not isinstance(value, list) or not value:
        raise Invalid("triggers must be a non-empty list: add a schedule, an api or an event trigger",
                      field="triggers")
    out, seen = [], set()
    for i, item in enumerate(value):
        where = f"triggers[{i}]"
        if not isinstance(item, dict):
            raise Invalid(f"{where} must be an object with a 'type'", field=where)
        kind = item.get("type")
        if kind not in TRIGGER_TYPES:
            raise Invalid(f"{where}.type must be one of {', '.join(TRIGGER_TYPES)}; got {kind!r}",
                          field=f"{where}.type")
        if kind in seen:
            raise Invalid(f"{where}: an automation has at most one {kind} trigger", field=f"{where}.type")
        seen.add(kind)
        if kind == "schedule":
            out.append(schedule.parse(item, where, now))
        elif kind == "event":
            out.append(event_triggers.parse(item, where, automation_id))
        else:
            out.append({"type": "api"})
    return out


OVERLAP = ("skip", "allow")


def overlap(value) -> str:
    """What happens when a run is due while the previous one still runs."""
    if value not in OVERLAP:
        raise Invalid(f"overlap must be one of {', '.join(OVERLAP)}; got {value!r}", field="overlap")
    return value


LOCALES = ("en-US", "zh-CN")


def locale(value) -> str:
    """The language of the automation's builtin reports."""
    if value not in LOCALES:
        raise Invalid(f"locale must be one of {', '.join(LOCALES)}; got {value!r}", field="locale")
    return value


FIELDS = {"name": name, "task_prompt": task_prompt, "enabled": enabled,
          "team_id": team_id, "environment": environment, "overlap": overlap, "locale": locale}
