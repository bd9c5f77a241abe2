"""cancel_run: cancel the run the event or outcome is about (its
`payload.run_id`), or the run a templated `run_id` names, with a templated
reason. Hooked to a proactive "late to finish" trigger (after
automation.run.running, expect a finished status within N seconds, for_each
payload.run_id), it cancels a run that has been running for too long."""
from chalicelib.actions import fields
from chalicelib.actions.base import ActionFailed, ActionResult, render
from chalicelib.actions.control import ControlAction, reason_field

DEFAULT_RUN = "{event.payload.run_id}"


class CancelRunAction(ControlAction):
    type = "cancel_run"
    fields = ("run_id", "reason")

    def check(self, config: dict, where: str) -> dict:
        return {**fields.template(config, "run_id", where, max_chars=200), **reason_field(config, where)}

    def _run_id(self, config: dict, context: dict) -> str:
        return render(config, "run_id", context, render({"run_id": DEFAULT_RUN}, "run_id", context)).strip()

    def preview(self, config: dict, context: dict) -> dict:
        """The run that would be cancelled, and why."""
        return {"type": self.type, "run_id": self._run_id(config, context) or None,
                "reason": self.reason(config, context)}

    def send(self, config: dict, context: dict, idempotency_key: str, skip: frozenset = frozenset()) -> ActionResult:
        """Cancel the run; a run that already ended fails the action with its status."""
        run_id = self._run_id(config, context)
        if not run_id:
            raise ActionFailed("no run to cancel: the event has no payload.run_id; set run_id")
        return self.control().cancel_run(self.saver(config), run_id, self.reason(config, context))
