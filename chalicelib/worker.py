"""The worker: SQS batches of run messages and action messages.

A run message: the worker asks the lifecycle whether the run may start (or
is skipped), asks placement where it goes, then either leaves it waiting for
a runner of a pool or starts it on the cloud sandbox (the lifecycle's status
change, then the sandbox's launch). An action message: one send, through
notify. Each message is handled on its own through Powertools' batch
processor (runs/sqs_batch.py), with per-message failures reported
(`batchItemFailures`) so one retry or one poison message does not redeliver
the whole batch. The sends of a batch go out side by side, so one slow
receiver never holds up the others (nor the runs of the batch)."""
import contextvars
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from chalicelib import settings
from chalicelib.agents import work as agent_work
from chalicelib.clock import utcnow
from chalicelib.environments import placement, sandbox
from chalicelib.events.triggers import runs_watched
from chalicelib.observability import bound
from chalicelib.runs import control_actions, lifecycle, notify, queue, sqs_batch
from chalicelib.runs.publish import RUN_EVENTS, RunEvents
from chalicelib.store import repos

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What the worker does with the message: delete it, or retry after a delay."""
    status: str
    retry_after: int | None = None


def process(message: dict, now, clock=None, agent=None, events: RunEvents = RUN_EVENTS) -> Outcome:
    """Work one run message: skip it, place it on a runner pool, or start it
    on the cloud sandbox (with its agent profile: one whose key secret is not
    set fails it here, before it starts)."""
    clock = clock or (lambda: now)
    run, rule, account = lifecycle.ensure_run(message, now)
    if run.status not in lifecycle.STARTABLE:
        return Outcome(run.status)  # a duplicate delivery, or already ended (cancelled)
    if run.pool and run.status == "queued":
        return Outcome("waiting")  # already waiting for a runner (a duplicate delivery)
    watched = runs_watched(account)
    recent = lifecycle.recent_runs(rule, now) if rule is not None and not rule.deleted_at and rule.enabled else None
    reason = lifecycle.skip_reason(run, rule, recent)
    if reason:
        lifecycle.finish(run, "skipped", reason, now, only_from=lifecycle.STARTABLE, rule=rule, watched=watched,
                         events=events)
        return Outcome("skipped")
    where = placement.place(rule, now, account)
    if where.error:
        lifecycle.finish(run, "failed", where.error, now, only_from=lifecycle.STARTABLE, rule=rule, watched=watched,
                         events=events)
        return Outcome("failed")
    if where.pool:
        return Outcome("waiting" if placement.wait_for_runner(run, where, now) else "duplicate")
    try:
        profile = agent_work.for_run(rule, account)
    except agent_work.ProfileUnusable as exc:
        lifecycle.finish(run, "failed", str(exc), now, only_from=lifecycle.STARTABLE, rule=rule, watched=watched,
                         events=events)
        return Outcome("failed")
    token = lifecycle.start(run, rule, {"type": "cloud_sandbox"}, now, watched=watched, events=events)
    if not token:
        return Outcome("duplicate")
    work = lifecycle.work_for(run, rule, token, now, recent, agent=profile, account=account)
    if settings.current().cloud_sandbox == "inline":
        result = sandbox.run_inline(work, clock, agent, run=run, rule=rule, watched=watched, events=events)
        if result["status"] == "cancelled":
            return Outcome("cancelled")
        answer = result["answer"] or {}
        if answer.get("retry_after") is not None:
            return Outcome("retrying", retry_after=answer["retry_after"])
        return Outcome(answer.get("status"))
    sandbox.launch(work)
    return Outcome("running")


def _is_send(record: dict) -> bool:
    try:
        return json.loads(record["body"]).get("kind") == "action"
    except (ValueError, TypeError, AttributeError, KeyError):
        return False  # the run path reports it as a failed message


def handle_batch(records: list[dict], clock=utcnow, events: RunEvents = RUN_EVENTS) -> dict:
    """Process SQS records (Lambda's shape: messageId, receiptHandle, body).

    A run to be retried gets its message made visible again after the backoff
    and is reported as a batch item failure; a message that fails to process is
    reported too, and after maxReceiveCount lands in the dead-letter queue.
    """
    def controller(run, rule, event, now):
        return control_actions.RunControl(run, rule, event, now, events)

    def send(message: dict, record) -> None:
        notify.deliver(message, clock(), events, controller)

    def work(message: dict, record) -> None:
        outcome = process(message, clock(), clock=clock, events=events)
        if outcome.retry_after is not None:
            repos.queues.delay(queue.RUNS, record.receipt_handle, outcome.retry_after)
            raise sqs_batch.RetryLater()

    sends = [record for record in records if _is_send(record)]
    runs = [record for record in records if record not in sends]
    with ThreadPoolExecutor(max_workers=max(1, len(sends))) as pool:
        # each send in a copy of this invocation's context: its log lines keep the function and request id
        pending = [pool.submit(contextvars.copy_context().run, sqs_batch.process, [record], send, "action message")
                   for record in sends]
        failures = sqs_batch.process(runs, work, what="run message")["batchItemFailures"] if runs else []
        for answer in pending:
            failures += answer.result()["batchItemFailures"]
    return {"batchItemFailures": failures}


def handle_dead_letters(records: list[dict], clock=utcnow, events: RunEvents = RUN_EVENTS) -> int:
    """Messages that could not be processed: their runs end `failed`, never
    stuck (an action message that kept failing is recorded as failed)."""
    ended = 0
    for record in records:
        try:
            message = json.loads(record["body"])
            run = repos.runs.get(message["run_id"])
        except (ValueError, KeyError, TypeError):
            run = None
        if run is None:
            log.error("dead letter without a known run: %s", record.get("messageId"))
            continue
        with bound(run_id=run.id, automation_id=run.automation_id, account_id=run.account_id):
            log.error("message dead-lettered", extra={"message_id": record.get("messageId"),
                                                      "kind": message.get("kind", "run")})
            if message.get("kind") == "action":
                notify.unsent(run, [message], "not sent: its message could not be processed after repeated "
                                              "attempts (dead-lettered)", clock())
                continue
            reason = "The run message could not be processed after repeated attempts (dead-lettered)."
            ended += lifecycle.finish(run, "failed", reason, clock(), only_from=("queued", "retrying", "running"),
                                      events=events)
    return ended
