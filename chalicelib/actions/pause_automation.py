"""pause_automation: stop an automation's triggers (by id, or the automation
the event is about when none is given), reversibly and visibly: it becomes
`enabled: false` and its `paused` says which automation (and run) paused it
and why. resume_automation (its own module) undoes it."""
from chalicelib.actions.base import ActionResult
from chalicelib.actions.control import ControlAction, automation_id, reason_field


class PauseAutomationAction(ControlAction):
    type = "pause_automation"
    fields = ("automation_id", "reason")
    pause = True

    def check(self, config: dict, where: str) -> dict:
        return {**automation_id(config, where, required=False), **reason_field(config, where)}

    def _target(self, config: dict, context: dict) -> str | None:
        if config.get("automation_id"):
            return config["automation_id"]
        resource = (context.get("event") or {}).get("resource") or {}
        return resource.get("id") if resource.get("kind") == "automation" else None

    def preview(self, config: dict, context: dict) -> dict:
        """The automation that would be paused (or resumed), and why."""
        return {"type": self.type, "automation_id": self._target(config, context),
                "reason": self.reason(config, context)}

    def send(self, config: dict, context: dict, idempotency_key: str, skip: frozenset = frozenset()) -> ActionResult:
        """Pause (or resume) the automation; doing it twice changes nothing."""
        return self.control().set_paused(self.saver(config), self._target(config, context), self.pause,
                                         self.reason(config, context))
