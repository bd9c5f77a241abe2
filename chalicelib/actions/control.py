"""What the control actions share (run_automation, cancel_run,
pause_automation, resume_automation: the product document's "API actions").

They act on this service itself, but this package knows nothing of runs or
rules: each control action is given a `Control` (the run side's
implementation, chalicelib/runs/control_actions.py) that does the work and
checks, at fire time, that the user who saved the action may still do it.
Who saved it is recorded on the action (`saved_by`, set by the service when
the automation is saved; the saver must be allowed to run, cancel or pause the
target then too)."""
import re
from typing import Protocol

from chalicelib.actions import fields
from chalicelib.actions.base import Action, ActionFailed, ActionResult, render
from chalicelib.errors import Invalid

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_REASON = 500


class Control(Protocol):
    """The run side's operations behind the control actions. Each raises
    ActionFailed (not allowed, not found, already ended) or ActionRetry."""

    def start_run(self, saved_by: str, automation_id: str, text: str, idempotency_key: str) -> ActionResult: ...

    def cancel_run(self, saved_by: str, run_id: str, reason: str) -> ActionResult: ...

    def set_paused(self, saved_by: str, automation_id: str | None, paused: bool, reason: str) -> ActionResult: ...


def automation_id(config: dict, where: str, required: bool) -> dict:
    """An automation id setting (`aut_…`): required, or optional."""
    value = config.get("automation_id")
    if value is None and not required:
        return {}
    if not isinstance(value, str) or not _ID.match(value):
        raise Invalid(f"{where}.automation_id must be the id of an automation (aut_…); got {value!r}",
                      field=f"{where}.automation_id")
    return {"automation_id": value}


class ControlAction(Action):
    """A control action: its `send` hands the work to the Control it was given."""

    def control(self) -> Control:
        if self.controller is None:
            raise ActionFailed("control actions can only be sent by the worker")
        return self.controller

    @staticmethod
    def saver(config: dict) -> str:
        """Who saved the action (whose rights it acts with)."""
        if not config.get("saved_by"):
            raise ActionFailed("the action has no record of who saved it; save the automation again")
        return config["saved_by"]

    @staticmethod
    def reason(config: dict, context: dict) -> str:
        """The templated reason, or the default message of the event."""
        return " ".join(render(config, "reason", context, str(context.get("message") or "")).split())[:MAX_REASON]


def reason_field(config: dict, where: str) -> dict:
    """The optional `reason` template."""
    return fields.template(config, "reason", where, max_chars=MAX_REASON)
