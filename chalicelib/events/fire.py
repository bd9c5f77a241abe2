"""Starting a run because an event trigger fired, with its `triggered`
actions queued in the same SendMessageBatch as the run (nothing is sent here:
the worker sends them)."""
import hashlib
import json

from pynamodb.exceptions import PutError

from chalicelib.runs import notify, queue, records
from chalicelib.store.models import Automation, Run


def fire(automation_id: str, why: str, event: dict, now, firing_key: str) -> Run | None:
    """Queue an `event` run of the automation; one run per firing key (so a
    re-delivered event or a repeated minute tick fires once)."""
    try:
        rule = Automation.get(automation_id)
    except Automation.DoesNotExist:
        return None
    if not rule.enabled or rule.deleted_at:
        return None
    text = f"{why}\n\nEvent:\n{json.dumps(event, indent=2, ensure_ascii=False, default=str)}"
    run = records.new_queued(rule.id, rule.account_id, "event", now, text=text[:60_000],
                             run_id="run_" + hashlib.sha256(f"{rule.id}@{firing_key}".encode()).hexdigest()[:20])
    run.trigger_event = event
    run.action_results = notify.queued_records(rule, "triggered", now)
    try:
        unsent = queue.enqueue(run, also=notify.messages(run, rule, "triggered", event))
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return None
        raise
    notify.unsent(run, unsent, "could not be queued (SQS refused the message)", now)
    return run
