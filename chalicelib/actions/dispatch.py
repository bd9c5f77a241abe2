"""Firing a rule's actions for a run outcome, and keeping how each went on the run.

Each action is sent with an idempotency key of (run, outcome, action), so a
retried send never notifies twice at a service that honours it. A transient
failure is tried again through the runs queue after a backoff (honouring
Retry-After), up to the action's `retries`; a permanent failure, or running
out of retries, marks the action failed and turns a succeeded run `partial`.
"""
import logging

from chalicelib import settings
from chalicelib.actions.base import ActionFailed, ActionRetry, retry_delay
from chalicelib.actions.messages import build_context
from chalicelib.actions.registry import action_for
from chalicelib.clock import iso
from chalicelib.observability import metrics
from chalicelib.runs import queue, records
from chalicelib.store.models import Run

log = logging.getLogger(__name__)


def context_for(run: Run, rule, event: dict) -> dict:
    """What templates may use: plain dicts of the event, the run, the automation."""
    base = settings.public_base_url()
    return build_context(run.account_id, event, run=records.run_json(run, base),
                         automation={"id": rule.id, "name": rule.name, "team_id": int(rule.team_id)},
                         link=f"{base}/runs/{run.id}", dedup_key=f"{rule.id}:{run.id}")


def fire(run: Run, rule, outcome: str, event: dict, now) -> list[dict]:
    """Send every action of the rule whose `on` names this outcome."""
    return [attempt(run, rule, index, outcome, event, 1, now)
            for index, config in enumerate(rule.actions or []) if outcome in config["on"]]


def attempt(run: Run, rule, index: int, outcome: str, event: dict, number: int, now) -> dict:
    """One try of one action; the result is written on the run."""
    config = rule.actions[index]
    record = {"index": index, "type": config["type"], "outcome": outcome, "attempts": number, "at": iso(now)}
    try:
        result = action_for(config["type"]).send(config, context_for(run, rule, event), f"{run.id}:{outcome}:{index}")
        record.update(status="sent", code=result.code, detail=result.detail)
    except ActionRetry as exc:
        if number <= int(config.get("retries", 0)):
            delay = retry_delay(number, exc.retry_after)
            queue.send_message({"kind": "action", "run_id": run.id, "automation_id": run.automation_id,
                                "index": index, "outcome": outcome, "event": event, "attempt": number + 1}, delay)
            record.update(status="retrying", error=str(exc), retry_in=delay)
        else:
            record.update(status="failed", error=str(exc))
    except ActionFailed as exc:
        record.update(status="failed", error=str(exc))
    except Exception as exc:  # a bug in one action must not stop the others
        log.exception("action %s of run %s crashed", index, run.id)
        record.update(status="failed", error=f"internal error ({type(exc).__name__})")
    metrics.action_result(run, record)
    run.update(actions=[Run.action_results[f"{outcome}:{index}"].set(record)])
    return record


def retry(message: dict, now) -> dict | None:
    """A queued retry of one action (from the worker)."""
    from chalicelib.store.models import Automation
    try:
        run, rule = Run.get(message["run_id"]), Automation.get(message["automation_id"])
    except (Run.DoesNotExist, Automation.DoesNotExist):
        return None
    if message["index"] >= len(rule.actions or []):
        return None  # the rule's actions changed since
    return attempt(run, rule, message["index"], message["outcome"], message["event"], message["attempt"], now)


def failed_summary(results: list[dict]) -> str | None:
    """A run reason naming the actions that failed, or None."""
    failed = [r for r in results if r["status"] == "failed"]
    if not failed:
        return None
    return f"{len(failed)} of {len(results)} action(s) failed: " + "; ".join(
        f"{r['type']}: {r['error']}" for r in failed)[:500]
