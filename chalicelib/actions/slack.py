"""Slack: a message to an incoming webhook, whose URL is kept in a named secret
(the URL alone is enough to post to the channel).

Slack reads `&`, `<` and `>` as control characters (`<https://x|a link>`,
`<!here>`), so every value a template substitutes, and the default message
made of event data, is escaped as Slack's formatting rules say (`&amp;`,
`&lt;`, `&gt;`; nothing else). The template's own text is sent as written, so
a user can still write a link or a mention."""
from chalicelib.actions import fields
from chalicelib.actions.base import message
from chalicelib.actions.outbound import HttpAction, Outbound

MAX_TEXT = 4000  # Slack truncates longer messages anyway


def escape(text: str) -> str:
    """Text Slack shows as it is: its three control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackAction(HttpAction):
    type = "slack"
    fields = ("webhook_url_secret", "message")

    def check(self, config: dict, where: str) -> dict:
        return {**fields.secret(config, "webhook_url_secret", where), **fields.template(config, "message", where)}

    def requests(self, config: dict, context: dict, idempotency_key: str, secret) -> list[Outbound]:
        text = message(config, context, escape=escape)[:MAX_TEXT]
        return [Outbound("POST", secret(config["webhook_url_secret"]), {}, json={"text": text})]
