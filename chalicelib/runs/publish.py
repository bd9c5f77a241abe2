"""The publisher of run events, handed to the lifecycle and to the worker's
action sends: every status a run enters is recorded as
`automation.run.<status>` and matched against event triggers, and the runs
those fire are started. A failure here never breaks the run itself."""
import logging

from chalicelib.events.run_events import run_event
from chalicelib.runs import fire
from chalicelib.store import repos

log = logging.getLogger(__name__)


class RunEvents:
    """Emits run events (tests hand the lifecycle a recording one instead)."""

    def emit(self, run, status: str, reason: str | None, now, name: str | None = None, watched: bool = True) -> None:
        """Record and match the event of `run` entering `status`. `watched`
        False (the account's marker names no trigger on run events,
        events.triggers.runs_watched) records it without reading the trigger index."""
        try:
            if name is None:
                rule = repos.rules.get(run.automation_id)
                name = rule.name if rule else None
            fire.record(run.account_id, run_event(run, status, reason, now, name), now, match_triggers=watched)
        except Exception:
            log.exception("could not emit automation.run.%s for %s", status, run.id)


RUN_EVENTS = RunEvents()
