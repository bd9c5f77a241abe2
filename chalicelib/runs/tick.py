"""The scheduler tick (every 15 minutes) and its two-level fan-out.

Level 1 (`scheduler_tick`): reads the last completed tick and the local-time
keys in use (one GetItem, one Query), then queues one fan-out job per due
(key, shard) of the schedule index, for this tick and for any missed tick it
catches up, in batches of ten; then records the tick as completed.
Level 2 (`fan_out`): each job reads one page of its partition, saves each due
rule's run `queued` (conditionally: a job delivered twice makes no second
run, and a run whose message is lost is in the `waiting` index for the
sweeper), sends their messages in batches of ten, and queues a follow-up job
for the next page, so no single Lambda does all the work. A scheduled run's id
comes from (rule, tick).

Queries per tick: 1 (the keys in use) + SCHEDULE_SHARDS x (16 cron keys at the
top of the hour + the local keys in use whose local hour has just come: for
each zone in use, its daily key and its key for that weekday, where rules use
them); plus one per follow-up page of a partition past PAGE rules.
"""
import hashlib
import json
import logging
from datetime import datetime

from chalicelib.clock import iso, parse_iso, utcnow
from chalicelib.observability import metrics
from chalicelib.rules import cron, local_time, schedule_index
from chalicelib.runs import catch_up, queue, sqs_batch
from chalicelib.runs.records import jitter_of, new_queued
from chalicelib.store import ConditionFailed, repos

PAGE = 500
FANOUT = "fanout"
log = logging.getLogger(__name__)


def scheduled_run_id(automation_id: str, at: datetime) -> str:
    """The one run id of a rule for a scheduled time."""
    return "run_" + hashlib.sha256(f"{automation_id}@{iso(at)}".encode()).hexdigest()[:20]


def _send_batches(name: str, entries: list[dict]) -> int:
    failed = repos.queues.send_batch(name, [{**e, "Id": str(i)} for i, e in enumerate(entries)])
    if failed:
        raise RuntimeError(f"{len(failed)} messages were not sent (first: {failed[0]['Id']})")
    return len(entries)


def _jobs(at: datetime, used, late: datetime | None = None, manual: bool = False) -> list[dict]:
    body = {"at": iso(at), **({"late": iso(late)} if late else {}), **({"manual": True} if manual else {})}
    return [{"MessageBody": json.dumps({"slot": slot, **body})} for slot in schedule_index.due_slots(at, used)]


def scheduler_tick(at: datetime, clock=utcnow, catch_up_missed: bool = True, manual: bool = False) -> dict:
    """Level 1 for the tick that `at` falls in (and the missed ticks before
    it, unless `catch_up_missed` is off, as for `make tick`). A tick fires only
    rules scheduled before its time (`next_runs`' boundary), unless it is
    `manual` (`make tick AT=…`: a tick of any time, for every rule scheduled now)."""
    started = clock()
    tick = local_time.floor_tick(at)
    last = catch_up.last_completed() if catch_up_missed else None
    used = schedule_index.in_use()
    missed, dropped = catch_up.missed_ticks(last, tick)
    jobs = [job for due in missed for job in _jobs(due, used, late=tick)] + _jobs(tick, used, manual=manual)
    _send_batches(FANOUT, jobs)
    summary = {"tick": iso(tick), "jobs": len(jobs), "keys": schedule_index.due_keys(tick, used),
               "caught_up": [iso(t) for t in missed], "dropped": dropped}
    if catch_up_missed:
        catch_up.record(tick, started, clock(), missed, dropped, len(jobs), used.accounts)
    if missed or dropped:
        log.warning("tick %s caught up %d missed tick(s) (%d beyond the look-back)", iso(tick), len(missed), dropped)
    return summary


def fan_out(job: dict, clock=utcnow) -> dict:
    """Level 2: one page of one (key, shard): a queued run and its message per due rule."""
    at = parse_iso(job.get("at") or job["hour"])  # "hour": jobs queued before 15-minute ticks
    note = catch_up.late_note(at, parse_iso(job["late"])) if job.get("late") else None
    page, more = repos.schedule.entries(job["slot"], PAGE, job.get("cursor"))
    messages, read, created = [], 0, 0
    for entry in page:
        read += 1
        if entry.cron is not None and not cron.is_due(entry.cron, at):
            continue
        if not job.get("manual") and schedule_index.scheduled_after(entry, at):
            continue  # a tick (late or caught up) of a time before the rule was scheduled: it was never due
        run = new_queued(entry.automation_id, entry.account_id, "schedule", clock(), scheduled_for=at,
                                 run_id=scheduled_run_id(entry.automation_id, at), note=note)
        try:
            repos.runs.add(run)
            created += 1
            metrics.run_queued(run)
        except ConditionFailed:
            # made by an earlier delivery of this job: its message is sent again
            # (harmless, the worker starts a run once) in case that send was lost
            pass
        messages.append({"MessageBody": json.dumps(queue.run_message(run)),
                         "DelaySeconds": jitter_of(entry.automation_id)})
    _send_batches(queue.RUNS, messages)
    if more:
        _send_batches(FANOUT, [{"MessageBody": json.dumps({**job, "cursor": more})}])
    metrics.rules_dispatched(job["slot"], read, len(messages))
    return {"read": read, "sent": len(messages), "created": created, "more": bool(more)}


def handle_jobs(records: list[dict]) -> dict:
    """A batch of fan-out jobs (Lambda's SQS shape), failures reported per job."""
    return sqs_batch.process(records, lambda job, _record: fan_out(job), what="fan-out job")
