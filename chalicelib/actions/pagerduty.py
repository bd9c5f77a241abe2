"""PagerDuty: an alert through the Events API v2. The routing key (an
integration key) is kept in a named secret; the dedup key is stable per
automation and firing, so a repeated send updates one alert instead of paging
twice."""
from chalicelib import settings
from chalicelib.actions import fields
from chalicelib.actions.base import message
from chalicelib.actions.outbound import HttpAction, Outbound

SEVERITIES = ("info", "warning", "error", "critical")
MAX_SUMMARY = 1024  # the Events API refuses longer summaries


class PagerDutyAction(HttpAction):
    type = "pagerduty"
    fields = ("routing_key_secret", "severity", "summary")

    def check(self, config: dict, where: str) -> dict:
        return {**fields.secret(config, "routing_key_secret", where),
                **fields.choice(config, "severity", where, SEVERITIES, "error"),
                **fields.template(config, "summary", where, max_chars=MAX_SUMMARY)}

    def requests(self, config: dict, context: dict, idempotency_key: str, secret) -> list[Outbound]:
        automation = context.get("automation") or {}
        source = automation.get("name") or automation.get("id") or "sre-automations"
        event = {"routing_key": secret(config["routing_key_secret"]), "event_action": "trigger",
                 "dedup_key": str(context.get("dedup_key") or idempotency_key)[:255],
                 "payload": {"summary": message(config, context, "summary")[:MAX_SUMMARY] or "Automation alert",
                             "source": str(source)[:255], "severity": config.get("severity", "error")}}
        if context.get("link"):
            event["links"] = [{"href": str(context["link"]), "text": "Automation run"}]
        return [Outbound("POST", settings.get("PAGERDUTY_EVENTS_URL"), {}, json=event)]
