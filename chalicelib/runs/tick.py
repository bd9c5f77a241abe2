"""The hourly tick and its two-level fan-out.

Level 1 (`hourly`): one fan-out job per due (key, shard) of the schedule index,
sent in batches of ten. Level 2 (`fan_out`): each job reads one page of its
partition, sends one run message per due rule in batches of ten, and queues a
follow-up job for the next page, so no single Lambda does all the work. A
scheduled run's id comes from (rule, hour): a tick or job delivered twice
makes no second run.
"""
import hashlib
import json
import logging
from datetime import datetime

from chalicelib import settings
from chalicelib.clock import iso, parse_iso
from chalicelib.observability import metrics
from chalicelib.rules import cron, schedule_index
from chalicelib.runs import queue, sqs_batch
from chalicelib.store.models import ScheduleEntry

PAGE = 500
log = logging.getLogger(__name__)


def scheduled_run_id(automation_id: str, hour: datetime) -> str:
    """The one run id of a rule for a scheduled hour."""
    return "run_" + hashlib.sha256(f"{automation_id}@{iso(hour)}".encode()).hexdigest()[:20]


def jitter_of(automation_id: str) -> int:
    """A rule's stable start offset within the jitter window (SQS allows 900 s)."""
    window = min(settings.get_int("JITTER_SECONDS"), 900)
    if window <= 0:
        return 0
    return int.from_bytes(hashlib.sha256(automation_id.encode()).digest()[4:8], "big") % window


def _send_batches(queue_url: str, entries: list[dict]) -> int:
    failed = queue.send_batches(queue_url, entries)
    if failed:
        raise RuntimeError(f"{len(failed)} messages were not sent (first: {failed[0]['Id']})")
    return len(entries)


def hourly(at: datetime) -> int:
    """Level 1: queue a fan-out job per due (key, shard) for the hour of `at`."""
    hour = at.replace(minute=0, second=0, microsecond=0)
    jobs = [{"Id": str(i), "MessageBody": json.dumps({"slot": slot, "hour": iso(hour)})}
            for i, slot in enumerate(schedule_index.due_slots(hour))]
    return _send_batches(settings.get("FANOUT_QUEUE_URL"), jobs)


def fan_out(job: dict) -> dict:
    """Level 2: one page of one (key, shard): run messages for its due rules."""
    hour = parse_iso(job["hour"])
    page = ScheduleEntry.query(job["slot"], limit=PAGE, last_evaluated_key=job.get("cursor"))
    messages, read = [], 0
    for entry in page:
        read += 1
        if not cron.is_due(entry.cron, hour):
            continue
        run_id = scheduled_run_id(entry.automation_id, hour)
        body = {"run_id": run_id, "automation_id": entry.automation_id, "account_id": entry.account_id,
                "trigger": "schedule", "scheduled_for": iso(hour)}
        messages.append({"Id": str(len(messages)), "MessageBody": json.dumps(body),
                         "DelaySeconds": jitter_of(entry.automation_id)})
    _send_batches(settings.runs_queue_url(), messages)
    if page.last_evaluated_key:
        _send_batches(settings.get("FANOUT_QUEUE_URL"), [{"Id": "next", "MessageBody": json.dumps(
            {**job, "cursor": page.last_evaluated_key})}])
    metrics.rules_dispatched(job["slot"], read, len(messages))
    return {"read": read, "sent": len(messages), "more": bool(page.last_evaluated_key)}


def handle_jobs(records: list[dict]) -> dict:
    """A batch of fan-out jobs (Lambda's SQS shape), failures reported per job."""
    return sqs_batch.process(records, lambda job, _record: fan_out(job), what="fan-out job")
