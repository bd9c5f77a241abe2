"""The one place action types are registered, and the check of an automation's
`actions` list: each action's type, the run outcomes that fire it (`on`), its
retry limit and its own settings."""
from chalicelib import settings
from chalicelib.actions import budget
from chalicelib.actions.base import Action
from chalicelib.actions.cancel_run import CancelRunAction
from chalicelib.actions.control import ControlAction
from chalicelib.actions.email import EmailAction
from chalicelib.actions.pagerduty import PagerDutyAction
from chalicelib.actions.pause_automation import PauseAutomationAction
from chalicelib.actions.resume_automation import ResumeAutomationAction
from chalicelib.actions.run_automation import RunAutomationAction
from chalicelib.actions.slack import SlackAction
from chalicelib.actions.teams import TeamsAction
from chalicelib.actions.twilio import TwilioAction
from chalicelib.actions.webhook import WebhookAction
from chalicelib.errors import Invalid
from chalicelib.validation import whole_number

ACTIONS: dict[str, type[Action]] = {cls.type: cls for cls in (
    WebhookAction, SlackAction, TeamsAction, EmailAction, TwilioAction, PagerDutyAction,
    RunAutomationAction, CancelRunAction, PauseAutomationAction, ResumeAutomationAction)}
CONTROL_TYPES = tuple(name for name, cls in ACTIONS.items() if issubclass(cls, ControlAction))
OUTCOMES = ("succeeded", "partial", "failed", "skipped", "abandoned", "triggered")
MAX_ACTIONS = 20
MAX_RETRIES = 10


def action_for(type_name: str, controller=None) -> Action:
    """The action of a type name (control actions act through `controller`);
    KeyError names the known types."""
    if type_name not in ACTIONS:
        raise KeyError(f"unknown action type {type_name!r}; use one of {', '.join(ACTIONS)}")
    return ACTIONS[type_name](controller)


def _on(item: dict, where: str, allow_triggered: bool) -> list[str]:
    allowed = OUTCOMES if allow_triggered else OUTCOMES[:-1]
    value = item.get("on", ["failed"])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(v in allowed for v in value):
        hint = "" if allow_triggered else " (triggered is only for automations with an event trigger)"
        raise Invalid(f"{where}.on must be a non-empty list of {', '.join(allowed)}; got {value!r}{hint}",
                      field=f"{where}.on")
    return list(dict.fromkeys(value))


def _retries(item: dict, where: str) -> int:
    given = item.get("retries", settings.current().action_max_retries)
    value = whole_number(given)
    if value is None or not 0 <= value <= MAX_RETRIES:
        raise Invalid(f"{where}.retries must be an integer 0-{MAX_RETRIES}; got {given!r}", field=f"{where}.retries")
    return value


def validate_actions(value, allow_triggered: bool = True, saved_by: str | None = None) -> list[dict]:
    """An automation's actions, checked and normalised, each with `type`, `on`
    (default ["failed"]) and `retries` (how many times a transient failure is
    tried again); control actions get `saved_by` (the user saving them, whose
    rights they act with; a `saved_by` sent in is ignored). `allow_triggered=False`
    for automations without an event trigger. Invalid names the field,
    e.g. `actions[1].on`."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ACTIONS:
        raise Invalid(f"actions must be a list of at most {MAX_ACTIONS} actions", field="actions")
    out = []
    with budget.scope():  # the trial renders of all its templates share one budget (see budget.py)
        for index, item in enumerate(value):
            where = f"actions[{index}]"
            if not isinstance(item, dict):
                raise Invalid(f"{where} must be an object with a type", field=where)
            if not isinstance(item.get("type"), str) or item["type"] not in ACTIONS:  # {} is unhashable
                raise Invalid(f"{where}.type must be one of {', '.join(ACTIONS)}; got {item.get('type')!r}",
                              field=f"{where}.type")
            common = {"type": item["type"], "on": _on(item, where, allow_triggered),
                      "retries": _retries(item, where)}
            if item["type"] in CONTROL_TYPES and saved_by:
                common["saved_by"] = saved_by
            out.append({**common, **action_for(item["type"]).validate(item, where)})
    return out
