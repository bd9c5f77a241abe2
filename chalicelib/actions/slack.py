"""Slack: a message to an incoming webhook, whose URL is kept in a named secret
(the URL alone is enough to post to the channel)."""
from chalicelib.actions import fields
from chalicelib.actions.base import message
from chalicelib.actions.outbound import HttpAction, Outbound

MAX_TEXT = 4000  # Slack truncates longer messages anyway


class SlackAction(HttpAction):
    type = "slack"
    fields = ("webhook_url_secret", "message")

    def check(self, config: dict, where: str) -> dict:
        return {**fields.secret(config, "webhook_url_secret", where), **fields.template(config, "message", where)}

    def requests(self, config: dict, context: dict, idempotency_key: str, secret) -> list[Outbound]:
        text = message(config, context)[:MAX_TEXT]
        return [Outbound("POST", secret(config["webhook_url_secret"]), {}, json={"text": text})]
