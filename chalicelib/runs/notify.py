"""The run side of actions: which of a rule's actions fire when a run enters
a status or an event trigger fires (`triggered`), one runs-queue message per
send, and the worker's handling of those messages.

No send happens inside an API request or a tick: firing an action only
queues its message (in the same SendMessageBatch as the run's own message for
an event-triggered run), and its record on the run says `queued` from the
same write that changed the run. The worker then sends each message on its
own, so one slow receiver never delays another. A send carries the
idempotency key (run, outcome, action); a transient failure is queued again
after a backoff (honouring Retry-After) up to the action's `retries`, and a
retry of an action with several recipients skips the ones that got it.

`partial` once sends are queued: a run's status is decided when its session
ends, and its `succeeded` actions are sent after that. When one of them fails
for good (refused, or out of retries), the run turns from `succeeded` to
`partial` with a reason naming the failed actions, `automation.run.partial`
is emitted, and the actions `on: ["partial"]` fire. So the events of such a
run are `running`, `succeeded`, then `partial`: every status the run
entered, in the order it entered them, and never `partial` without its cause.
"""
import logging

from chalicelib import settings
from chalicelib.actions import budget
from chalicelib.actions.base import ActionFailed, ActionRetry, retry_delay
from chalicelib.actions.messages import build_context
from chalicelib.actions.registry import action_for
from chalicelib.clock import iso
from chalicelib.events import matching, run_events
from chalicelib.observability import metrics
from chalicelib.rules import signing
from chalicelib.runs import queue, records
from chalicelib.store import ConditionFailed, repos

log = logging.getLogger(__name__)


def result_key(outcome: str, index: int) -> str:
    """Where an action's result is kept on the run."""
    return f"{outcome}:{index}"


def due(rule, outcome: str) -> list[int]:
    """The indexes of the rule's actions whose `on` names this outcome."""
    return [index for index, config in enumerate(rule.actions or []) if outcome in config["on"]]


def queued_records(rule, outcome: str, now) -> dict[str, dict]:
    """The `queued` records of the actions this outcome fires, written with
    the run change that fires them (so the run shows them at once)."""
    return {result_key(outcome, index): {"index": index, "type": rule.actions[index]["type"], "outcome": outcome,
                                         "status": "queued", "attempts": 0, "at": iso(now)}
            for index in due(rule, outcome)}


def message_for(run, index: int, kind: str, outcome: str, event: dict, attempt: int = 1,
                skip: list | None = None) -> dict:
    """The runs-queue message of one send of one action."""
    return {"kind": "action", "run_id": run.id, "automation_id": run.automation_id, "account_id": run.account_id,
            "index": index, "type": kind,
            "outcome": outcome, "event": event, "attempt": attempt, "skip": skip or []}


def messages(run, rule, outcome: str, event: dict) -> list[dict]:
    """One message per action this outcome fires."""
    return [message_for(run, index, rule.actions[index]["type"], outcome, event) for index in due(rule, outcome)]


def send(run, rule, outcome: str, event: dict, now) -> None:
    """Queue the sends of the actions this outcome fires (their records say
    `queued` already); a message SQS does not take is recorded as failed."""
    bodies = messages(run, rule, outcome, event)
    if not bodies:
        return
    try:
        failed = [bodies[int(e["Id"])] for e in repos.queues.send_batch(queue.RUNS, queue.entries(bodies))]
    except Exception as exc:  # SQS unreachable: say so on the run rather than lose the sends silently
        log.exception("could not queue the actions of run %s", run.id)
        failed, reason = bodies, f"could not be queued ({type(exc).__name__})"
    else:
        reason = "could not be queued (SQS refused the message)"
    unsent(run, failed, reason, now)


def unsent(run, bodies: list[dict], reason: str, now) -> None:
    """Record sends that never reached the queue as failed."""
    if not bodies:
        return
    repos.runs.set_action_results(run, {result_key(b["outcome"], b["index"]): {
        "index": b["index"], "type": b.get("type"), "outcome": b["outcome"], "status": "failed", "attempts": 0,
        "error": reason, "at": iso(now)} for b in bodies})


def dedup_key(rule, run) -> str:
    """Stable per automation and per `for_each` key of its event trigger, so
    repeats (PagerDuty) merge into one alert."""
    trigger = next((t for t in rule.triggers if t["type"] == "event"), None)
    if trigger and trigger.get("for_each") and run.trigger_event:
        return f"{rule.id}|{matching.bucket_of(trigger, run.trigger_event)}"[:255]
    return rule.id


def context_for(run, rule, event: dict, outcome: str, now=None,
                signing_secrets: tuple[str, str | None] | None = None) -> dict:
    """What an action and its templates get: plain dicts of the event, the
    run, the automation (plus, for the action alone, the send time and the
    signing secrets: the current one and, during a rotation's grace, the
    previous one; previews get neither)."""
    base = settings.current().base_url
    context = build_context(run.account_id, event, run=records.run_json(run, base),
                            automation={"id": rule.id, "name": rule.name, "team_id": int(rule.team_id)},
                            link=f"{base}/runs/{run.id}", dedup_key=dedup_key(rule, run), outcome=outcome)
    if now is not None:
        context["_now"] = now
    current, previous = signing_secrets or (None, None)
    if current:
        context["_signing_secret"] = current
    if previous:
        context["_previous_signing_secret"] = previous
    return context


def deliver(message: dict, now, events, controller_for=None) -> dict | None:
    """Work one action message (the worker): send once, keep the result on
    the run, queue a retry when it failed for now. `controller_for(run, rule,
    event, now)` gives the control actions their Control; `events` publishes
    the run's `partial` when a `succeeded` action fails for good."""
    run, rule = repos.runs.get(message["run_id"]), repos.rules.get(message["automation_id"])
    if run is None or rule is None:
        return None  # gone with its retention
    index, outcome, event = message["index"], message["outcome"], message["event"]
    key, number = result_key(outcome, index), int(message.get("attempt", 1))
    record = {"index": index, "type": message.get("type"), "outcome": outcome, "attempts": number, "at": iso(now)}
    config = (rule.actions or [])[index] if index < len(rule.actions or []) else None
    if config is None or config["type"] != message.get("type", config["type"]):
        record.update(status="failed", error="not sent: the automation's actions changed after it was queued")
        repos.runs.set_action_results(run, {key: record})
        return record
    previous = ((run.action_results or {}).get(key) or {}).get("deliveries") or []
    skip = frozenset(message.get("skip") or [])
    try:
        keys = signing.signing_secrets(rule, now) if config["type"] == "webhook" else None
        context = context_for(run, rule, event, outcome, now, keys)
        controller = controller_for(run, rule, event, now) if controller_for else None
        with budget.scope():  # all its templates share one render budget
            result = action_for(config["type"], controller).send(config, context, f"{run.id}:{key}", skip)
        record.update(status="sent", code=result.code, detail=result.detail)
        deliveries = result.deliveries
    except ActionRetry as exc:
        deliveries = exc.deliveries
        if number <= int(config.get("retries", 0)):
            delay = retry_delay(number, exc.retry_after)
            done = sorted(skip | {d["to"] for d in deliveries or [] if d["status"] != "retrying"})
            repos.queues.send(queue.RUNS, message_for(run, index, config["type"], outcome, event, number + 1, done),
                              delay)
            record.update(status="retrying", error=str(exc), retry_in=delay)
        else:
            record.update(status="failed", error=str(exc))
    except ActionFailed as exc:
        deliveries = exc.deliveries
        record.update(status="failed", error=str(exc))
    except Exception as exc:  # a bug in one action must not stop the others
        log.exception("action %s of run %s crashed", index, run.id)
        deliveries = None
        record.update(status="failed", error=f"internal error ({type(exc).__name__})")
    if deliveries is not None:
        merged = {d["to"]: d for d in previous}
        merged.update({d["to"]: d for d in deliveries})
        record["deliveries"] = list(merged.values())
        refused = [d for d in record["deliveries"] if d["status"] == "failed"]
        if refused and record["status"] == "sent":  # the rest got it now; these never will
            record.update(status="failed", error="not sent to " + "; ".join(
                f"{d['to']}: {d.get('error')}" for d in refused)[:500])
    metrics.action_result(run, record)
    repos.runs.set_action_results(run, {key: record})
    if record["status"] == "failed" and outcome == "succeeded":
        turn_partial(run, rule, now, events)
    return record


def failed_summary(run, outcome: str) -> str | None:
    """A run reason naming the actions of an outcome that failed, or None."""
    results = [r for r in (run.action_results or {}).values() if r.get("outcome") == outcome]
    failed = [r for r in results if r.get("status") == "failed"]
    if not failed:
        return None
    return f"{len(failed)} of {len(results)} action(s) failed: " + "; ".join(
        f"{r['type']}: {r.get('error')}" for r in sorted(failed, key=lambda r: r["index"]))[:500]


def turn_partial(run, rule, now, events) -> None:
    """A `succeeded` action failed for good: the run becomes `partial` (once;
    a later failure only updates the reason) and its partial actions fire."""
    reason = records.with_note(run, failed_summary(run, "succeeded"))
    try:
        repos.runs.turn_partial(run, reason=reason, action_records=queued_records(rule, "partial", now))
    except ConditionFailed:
        try:  # partial already: its reason names every failure so far
            repos.runs.set_reason(run, reason, status="partial")
        except ConditionFailed:
            pass
        return
    conclude(run, "partial", reason, now, rule, events, ended=False)


def conclude(run, status: str, reason: str | None, now, rule, events, ended: bool = True,
             watched: bool = True) -> None:
    """After a run entered a final status (its action records say `queued`
    already): queue its actions for that status, then emit its event (`watched`:
    see run_events.emit). The RunsEnded metric counts a run once, when it ends
    (`ended`): one that turns `partial` later shows in ActionsFailed, not twice
    in RunsEnded."""
    if rule is not None and rule.actions:
        try:
            send(run, rule, status, run_events.run_event(run, status, reason, now, rule.name), now)
        except Exception:  # notifications must not undo the run's own outcome
            log.exception("actions of run %s", run.id)
    if ended:
        metrics.run_ended(run, status, reason)
    events.emit(run, status, reason, now, name=rule.name if rule else None, watched=watched)
