"""Microsoft Teams: an Adaptive Card with a title and a message, posted to a
Teams workflow webhook whose URL is kept in a named secret."""
from chalicelib.actions import fields
from chalicelib.actions.base import message, render
from chalicelib.actions.outbound import HttpAction, Outbound

DEFAULT_TITLE = "Automation notification"


def card(title: str, text: str) -> dict:
    """The workflow-webhook payload: a message with one Adaptive Card."""
    return {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
        "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                    "version": "1.4", "body": [
                        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True},
                        {"type": "TextBlock", "text": text, "wrap": True}]}}]}


class TeamsAction(HttpAction):
    type = "teams"
    fields = ("webhook_url_secret", "title", "message")

    def check(self, config: dict, where: str) -> dict:
        return {**fields.secret(config, "webhook_url_secret", where),
                **fields.template(config, "title", where, max_chars=500), **fields.template(config, "message", where)}

    def requests(self, config: dict, context: dict, idempotency_key: str, secret) -> list[Outbound]:
        title = render(config, "title", context, str(context.get("title") or DEFAULT_TITLE))
        body = card(title[:500], message(config, context))
        return [Outbound("POST", secret(config["webhook_url_secret"]), {}, json=body)]
