"""POST /automations/{id}/test: render every action's payload for a sample
event (or a run outcome) without sending anything (control actions included:
nothing is started, cancelled or paused), and explain whether the rule's
event trigger would match the event and why."""
from chalicelib.actions import budget
from chalicelib.actions.base import ActionFailed
from chalicelib.actions.registry import OUTCOMES, action_for
from chalicelib.actions.templates import TemplateError
from chalicelib.errors import Invalid
from chalicelib.events import ingest, matching, run_events
from chalicelib.rules.automations import get_editable
from chalicelib.runs import notify, records


def explain(trigger: dict | None, event: dict) -> dict:
    """Whether and why an event counts for the trigger."""
    if trigger is None:
        return {"matches": False, "why": "This automation has no event trigger."}
    filters = [{"field": path, "value": matching.lookup(event, path), "expected": spec,
                "ok": matching.value_matches(spec, matching.lookup(event, path))}
               for path, spec in (trigger.get("match") or {}).items()]
    role = matching.role_of(trigger, event)
    if role == "expect":
        why = (f"{event['event']} matches {trigger['expect']}; "
               + ("it fires at once" if trigger["threshold"] <= 1 and trigger["posture"] == "reactive" else
                  f"it counts toward the threshold of {trigger['threshold']} ({trigger['posture']})"))
    elif role == "after":
        why = f"{event['event']} matches after {trigger['after']}: it opens a {trigger['within']} s window"
    elif not all(f["ok"] for f in filters):
        why = "A field filter does not match: " + ", ".join(f["field"] for f in filters if not f["ok"])
    elif (matching.lookup(event, "payload.chain_depth") or 0) >= matching.MAX_CHAIN:
        why = "The event comes from too long a chain of event-started runs"
    else:
        why = f"{event['event']} matches neither expect {trigger['expect']} nor after {trigger['after']}"
    return {"matches": role is not None, "role": role, "why": why, "filters": filters}


def test_fire(caller, automation_id: str, body: dict, now) -> dict:
    """The previews of every action for the sample, nothing sent."""
    rule = get_editable(caller, automation_id)
    outcome = body.get("outcome", "failed")  # checked with or without an event: a bad one is never ignored
    if outcome not in OUTCOMES or outcome == "triggered":
        raise Invalid(f"outcome must be one of {', '.join(o for o in OUTCOMES if o != 'triggered')}",
                      field="outcome")
    run = records.new_queued(rule.id, rule.account_id, "manual", now)
    trigger = next((t for t in rule.triggers if t["type"] == "event"), None)
    if body.get("event") is not None:
        try:
            event = ingest.parse(body["event"], now)
        except Invalid as exc:
            raise exc.within("event") from exc
        outcome, explanation = "triggered", explain(trigger, event)
        run.trigger, run.trigger_event = "event", event
    else:
        run.status, run.reason = outcome, None if outcome == "succeeded" else "sample reason for a test"
        event, explanation = run_events.run_event(run, outcome, run.reason, now, rule.name), None
    context = notify.context_for(run, rule, event, outcome)
    previews = []
    for index, config in enumerate(rule.actions or []):
        item = {"index": index, "type": config["type"], "on": config["on"], "fires": outcome in config["on"]}
        try:
            with budget.scope():  # all its templates share one render budget, as when it is sent
                item["preview"] = action_for(config["type"]).preview(config, context)
        except (TemplateError, ActionFailed) as exc:
            item["error"] = str(exc)
        previews.append(item)
    return {"outcome": outcome, "event": event, "trigger": explanation, "actions": previews, "sent": False}
