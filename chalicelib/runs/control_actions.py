"""The run side of the control actions (chalicelib/actions/control.py):
starting a run of another automation, cancelling a run, pausing and resuming
an automation, each with the rights of the user who saved the action, checked
again now (that user may have left a team, or been removed, since)."""
from chalicelib.actions.base import ActionFailed, ActionResult, ActionRetry
from chalicelib.errors import DomainError, Forbidden, NotFound, Unavailable
from chalicelib.events.matching import MAX_CHAIN
from chalicelib.identity.caller import as_user
from chalicelib.rules import automations
from chalicelib.runs import lifecycle, queue, records
from chalicelib.runs.control import CANCELLABLE
from chalicelib.runs.publish import RunEvents
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import Rule, Run


class RunControl:
    """The Control of one action send: the run and rule that fired it, the
    event it fired on, and the time."""

    def __init__(self, run: Run, rule: Rule, event: dict, now, events: RunEvents):
        self.run, self.rule, self.event, self.now, self.events = run, rule, event or {}, now, events

    def _saver(self, user_id: str):
        caller = as_user(user_id)
        if caller is None or caller.account_id != self.rule.account_id:
            raise ActionFailed("the user who saved this action no longer exists; save the automation again")
        return caller

    @staticmethod
    def _target(caller, automation_id: str, verb: str) -> Rule:
        """The automation, when the saver may still run, cancel or pause it (as the API decides)."""
        try:
            return automations.get_editable(caller, automation_id)
        except NotFound as exc:
            raise ActionFailed(f"no automation {automation_id!r} that {caller.email} can see") from exc
        except Forbidden as exc:
            raise ActionFailed(f"{caller.email}, who saved this action, may no longer {verb} {automation_id}") from exc

    def start_run(self, saved_by: str, automation_id: str, text: str, idempotency_key: str) -> ActionResult:
        """A run of the target with trigger `automation` (once per key)."""
        caller = self._saver(saved_by)
        target = self._target(caller, automation_id, "run")
        if not target.enabled:
            raise ActionFailed(f"automation {target.name!r} is disabled")
        depth = int((self.event.get("payload") or {}).get("chain_depth") or 0)
        if depth >= MAX_CHAIN:
            raise ActionFailed(f"not started: this is hop {depth} of a chain of automation-started runs "
                               f"(at most {MAX_CHAIN})")
        run = records.new_queued(target.id, target.account_id, "automation", self.now, text=text,
                                 idempotency_key=idempotency_key)
        run.trigger_event = self.event
        run.started_by = {"automation_id": self.rule.id, "automation_name": self.rule.name, "run_id": self.run.id,
                          "event_id": self.event.get("id"), "event": self.event.get("event")}
        try:
            queue.enqueue(run)
        except ConditionFailed:
            return ActionResult("sent", None, f"run {run.id} of {target.name!r} was started already")
        except Unavailable as exc:
            raise ActionRetry(str(exc)) from exc
        return ActionResult("sent", None, f"started run {run.id} of {target.name!r}")

    def cancel_run(self, saved_by: str, run_id: str, reason: str) -> ActionResult:
        """End a queued or running run `failed`, reason "cancelled by automation …"."""
        caller = self._saver(saved_by)
        run = repos.runs.get(run_id)
        if run is None or run.account_id != self.rule.account_id or records.is_expired(run, self.now):
            raise ActionFailed(f"no run {run_id!r}")
        self._target(caller, run.automation_id, "cancel runs of")
        why = f"cancelled by automation {self.rule.name}" + (f": {reason}" if reason else "")
        if not lifecycle.finish(run, "failed", why, self.now, only_from=CANCELLABLE, events=self.events):
            run = repos.runs.get(run_id)
            raise ActionFailed(f"run {run_id} already ended ({run.status}); nothing to cancel")
        return ActionResult("sent", None, f"cancelled run {run_id}")

    def set_paused(self, saved_by: str, automation_id: str | None, paused: bool, reason: str) -> ActionResult:
        """Pause or resume the target, saying which automation and run did it."""
        if not automation_id:
            raise ActionFailed("the event is not about an automation; set automation_id")
        caller = self._saver(saved_by)
        by = {"kind": "automation", "id": self.rule.id, "name": self.rule.name}
        try:
            changed = automations.pause(caller, automation_id, paused, self.now, by=by, run_id=self.run.id,
                                        reason=reason or None)
        except DomainError as exc:  # not visible, read-only for the saver: the API's own words
            raise ActionFailed(f"{'pause' if paused else 'resume'} {automation_id}: {exc}") from exc
        verb = "paused" if paused else "resumed"
        return ActionResult("sent", None, f"{verb} {automation_id}" if changed else f"{automation_id} was {verb} "
                            "already")
