"""Default messages and titles of the event kinds, used by every action whose
own message is not set, and the context that actions and templates receive.

Our own events have the shape of ingested events (`event`, `resource`,
`payload`): `automation.run.<status>` and `automation.run.late` have the
automation as resource ({"id", "name"}) and `payload` {"run_id", "status",
"reason", "link"}; `runner.unhealthy` has the runner as resource and
`payload` {"reason", "last_seen"}.
"""
from chalicelib.actions.templates import lookup


def _first(event: dict, *paths: str, default: str = "") -> str:
    for path in paths:
        value = lookup(event, path)
        if value not in (None, ""):
            return str(value)
    return default


def _see(event: dict) -> str:
    link = _first(event, "payload.link", "link")
    return f" See {link} for more details." if link else ""


def default_message(event: dict) -> str:
    """The message of an event when an action does not set its own."""
    name = _first(event, "event", default="event")
    what = _first(event, "resource.name", "resource.id", default="unknown")
    reason = _first(event, "payload.reason", "payload.message")
    if name == "automation.run.late":
        reason = reason or "the expected run or event did not happen in time"
        within = _first(event, "payload.within")
        return f"Automation {what} missed its SLA: {reason}" + \
            (f" (within {within} seconds)." if within else ".") + _see(event)
    if name.startswith("automation.run."):
        status = _first(event, "payload.status", default=name.rsplit(".", 1)[-1])
        run_id = _first(event, "payload.run_id", "payload.run.id", default="(unknown)")
        return f"Run {run_id} of automation {what} entered state {status}" + \
            (f": {reason}." if reason else ".") + _see(event)
    if name == "runner.unhealthy":
        seen = _first(event, "payload.last_seen")
        return f"Runner {what} is unhealthy" + (f": {reason}." if reason else ".") + \
            (f" It last reported at {seen}." if seen else "") + " Runs that need it wait until it reports again."
    return f"Event {name} on {_first(event, 'resource.id', default='unknown')}"


def default_title(event: dict) -> str:
    """A short title (Teams card, email subject) for an event."""
    name = _first(event, "event", default="event")
    what = _first(event, "resource.name", "resource.id", default="unknown")
    if name == "automation.run.late":
        return f"Automation {what}: run late"
    if name.startswith("automation.run."):
        return f"Automation {what}: run {_first(event, 'payload.status', default=name.rsplit('.', 1)[-1])}"
    if name == "runner.unhealthy":
        return f"Runner {what} unhealthy"
    return f"Event {name}"


def build_context(account_id: str, event: dict, run: dict | None = None, automation: dict | None = None,
                  link: str | None = None, dedup_key: str | None = None, outcome: str | None = None) -> dict:
    """The context for actions and their templates: the data (plain dicts only,
    templates cannot reach anything else) plus the default message and title."""
    context = {"account_id": account_id, "event": event, "run": run or {}, "automation": automation or {},
               "link": link or _first(event, "payload.link") or None, "outcome": outcome,
               "message": default_message(event), "title": default_title(event)}
    if dedup_key:
        context["dedup_key"] = dedup_key
    return context
