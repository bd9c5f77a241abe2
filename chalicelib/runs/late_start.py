"""Late to start (the minute tick): a proactive trigger with `after:
["automation.run.queued"]` fires for every run it watches that is still
`queued` longer than the trigger's `within` (the product document's "a run
fails to start after being scheduled for a certain amount of time").

`queued` is never emitted as an event, so that the trigger URL stays at three
AWS calls; these triggers are checked here instead. The tick reads the runs
waiting longer than the shortest proactive window from the sparse `waiting`
index (one Query per shard) and, only for the accounts that have such runs,
the event-trigger index buckets that can match `automation.run.queued` (two
Queries per account). Each (trigger, run) fires once: the run it starts has
an id derived from both. This is not the sweeper that re-sends lost run
messages; it only fires triggers.
"""
from datetime import timedelta

from chalicelib.clock import parse_iso
from chalicelib.events import matching, run_events, triggers
from chalicelib.events.ingest import Firing
from chalicelib.runs import fire, records
from chalicelib.runs.records import start_due
from chalicelib.store import repos

MIN_WITHIN = 60  # the shortest `within` a proactive trigger may have (triggers.parse)


def _late_start_triggers(account_id: str) -> list[tuple[str, dict]]:
    """(automation id, trigger) of the account's late-to-start triggers."""
    found = {}
    for bucket in triggers.candidate_buckets(account_id, triggers.QUEUED):
        for entry in repos.events.triggers_in(bucket):
            if triggers.is_late_start(entry.trigger):
                found[entry.automation_id] = entry.trigger
    return list(found.items())


def queued_event(run, name: str | None, waited: int) -> dict:
    """The event a still-queued run stands for (it is not stored)."""
    event = run_events.run_event(run, "queued", f"queued for {waited} s without starting",
                                 parse_iso(run.created_at), name)
    event["payload"]["waited_seconds"] = waited
    return event


def check(now) -> list:
    """Fire the late-to-start triggers of runs queued too long; returns the runs started."""
    started, watching, names = [], {}, {}
    for run in records.waiting_runs(now - timedelta(seconds=MIN_WITHIN)):
        if run.status != "queued":
            continue  # retrying: it started once already
        if run.account_id not in watching:
            watching[run.account_id] = _late_start_triggers(run.account_id)
        waited = int((now - start_due(run)).total_seconds())  # a scheduled run's start offset is no delay
        for automation_id, trigger in watching[run.account_id]:
            if waited < trigger["within"]:
                continue
            if run.automation_id not in names:
                rule = repos.rules.get(run.automation_id)
                names[run.automation_id] = rule.name if rule else None
            event = queued_event(run, names[run.automation_id], waited)
            if matching.role_of(trigger, event) != "after":
                continue
            why = (f"Late-to-start trigger fired: run {run.id} has been queued for {waited} s "
                   f"(more than {trigger['within']} s) without starting")
            fired = fire.fire(Firing(automation_id, why, event, f"late-start:{run.id}"), now)
            if fired:
                started.append(fired)
    return started
