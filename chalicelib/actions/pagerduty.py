"""PagerDuty: an alert through the Events API v2. The routing key (an
integration key) is kept in a named secret.

The dedup key is stable per automation (and per `for_each` key of its event
trigger), so repeated failures update one open alert instead of paging again
each run, and a later `resolve` or `acknowledge` with the same key closes or
acknowledges it. `event_action` is `trigger`, `acknowledge`, `resolve`, or
`auto` (the default): `resolve` when the outcome is `succeeded`, `trigger`
otherwise, so a success never opens an alert unless `trigger` is asked for.
Acknowledge and resolve events carry only the routing key, the action and the
dedup key, as the Events API defines them; links are sent only when absolute."""
from chalicelib import settings
from chalicelib.actions import fields
from chalicelib.actions.base import message, render
from chalicelib.actions.outbound import HttpAction, Outbound

SEVERITIES = ("info", "warning", "error", "critical")
EVENT_ACTIONS = ("auto", "trigger", "acknowledge", "resolve")
MAX_SUMMARY = 1024  # the Events API refuses longer summaries
MAX_DEDUP_KEY = 255


def event_action(config: dict, context: dict) -> str:
    """The Events API action this send makes."""
    chosen = config.get("event_action", "auto")
    if chosen != "auto":
        return chosen
    return "resolve" if context.get("outcome") == "succeeded" else "trigger"


def _absolute(link) -> str | None:
    return link if isinstance(link, str) and link.startswith(("https://", "http://")) else None


class PagerDutyAction(HttpAction):
    type = "pagerduty"
    fields = ("routing_key_secret", "severity", "summary", "event_action", "dedup_key")

    def check(self, config: dict, where: str) -> dict:
        return {**fields.secret(config, "routing_key_secret", where),
                **fields.choice(config, "severity", where, SEVERITIES, "error"),
                **fields.choice(config, "event_action", where, EVENT_ACTIONS, "auto"),
                **fields.template(config, "summary", where, max_chars=MAX_SUMMARY),
                **fields.template(config, "dedup_key", where, max_chars=MAX_DEDUP_KEY)}

    def requests(self, config: dict, context: dict, idempotency_key: str, secret) -> list[Outbound]:
        automation = context.get("automation") or {}
        default_key = context.get("dedup_key") or automation.get("id") or idempotency_key
        dedup_key = (render(config, "dedup_key", context, str(default_key)) or str(default_key))[:MAX_DEDUP_KEY]
        action = event_action(config, context)
        event = {"routing_key": secret(config["routing_key_secret"]), "event_action": action, "dedup_key": dedup_key}
        if action == "trigger":
            source = automation.get("name") or automation.get("id") or "sre-automations"
            run = context.get("run") or {}
            event["payload"] = {
                "summary": message(config, context, "summary")[:MAX_SUMMARY] or "Automation alert",
                "source": str(source)[:255], "severity": config.get("severity", "error"),
                "custom_details": {k: run.get(k) for k in ("id", "status", "reason", "trigger") if run.get(k)}}
            link = _absolute(context.get("link"))
            if link:
                event["links"] = [{"href": link, "text": "Automation run"}]
                event["client"], event["client_url"] = "AI SRE automations", link
        return [Outbound("POST", settings.current().pagerduty_events_url, {}, json=event)]
