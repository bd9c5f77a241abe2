"""run_automation: start a run of another automation (by id) with a templated
`text` as its context. The new run's trigger is `automation`; its context
names the run and event that started it, and chains of such runs stop where
chains of event-started runs do."""
from chalicelib.actions import fields
from chalicelib.actions.base import ActionResult, render
from chalicelib.actions.control import ControlAction, automation_id

MAX_TEXT = 16_000


class RunAutomationAction(ControlAction):
    type = "run_automation"
    fields = ("automation_id", "text")

    def check(self, config: dict, where: str) -> dict:
        return {**automation_id(config, where, required=True),
                **fields.template(config, "text", where, max_chars=MAX_TEXT)}

    def _text(self, config: dict, context: dict) -> str:
        return render(config, "text", context, str(context.get("message") or ""))[:MAX_TEXT]

    def preview(self, config: dict, context: dict) -> dict:
        """The run that would be started."""
        return {"type": self.type, "automation_id": config["automation_id"], "text": self._text(config, context)}

    def send(self, config: dict, context: dict, idempotency_key: str, skip: frozenset = frozenset()) -> ActionResult:
        """Start the run (once per idempotency key)."""
        return self.control().start_run(self.saver(config), config["automation_id"], self._text(config, context),
                                        idempotency_key)
