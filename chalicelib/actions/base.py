"""The action interface: what runs after a run ends or an event trigger fires
(a webhook, a Slack message, an email, a page). Two exceptions tell the caller
what to do with a failure: ActionFailed (for good: do not retry) and
ActionRetry (for now: try again after a delay, up to the action's `retries`).

The context an action gets is a dict of plain data, the same one its templates
see: `message` (the default message of the event kind, see messages.py),
`title` (a default title), `account_id` (whose secrets to read), `run`,
`event`, `automation`, `link` and, optionally, `dedup_key` (stable per
automation and firing, for services that merge repeats such as PagerDuty).
"""
from dataclasses import dataclass

from chalicelib import secrets, settings
from chalicelib.actions import templates
from chalicelib.errors import BadRequest

COMMON_FIELDS = ("type", "on", "retries")  # validated by the registry
MAX_DELAY = 900  # the longest SQS DelaySeconds


class ActionFailed(Exception):
    """Failed for good (refused by the service, bad secret, bad template): no retry."""


class ActionRetry(Exception):
    """Failed for now (timeout, 5xx, 408, 429): try again, not before `retry_after` seconds if given."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class ActionResult:
    """How a send went: status "sent", the service's HTTP status if any, a short detail."""
    status: str = "sent"
    code: int | None = None
    detail: str = ""


class Action:
    """One kind of action. Subclasses set `type` and `fields` (the settings
    they accept) and implement `check`, `preview` and `send`."""
    type = ""
    fields: tuple[str, ...] = ()

    def validate(self, config: dict, where: str) -> dict:
        """The action's settings checked and normalised (without type/on/retries);
        BadRequest names the field, e.g. `actions[0].url`."""
        unknown = sorted(set(config) - set(self.fields) - set(COMMON_FIELDS))
        if unknown:
            raise BadRequest(f"{where}.{unknown[0]} is not a setting of a {self.type} action; "
                             f"its settings are {', '.join(self.fields)}")
        return self.check(config, where)

    def check(self, config: dict, where: str) -> dict:  # pragma: no cover - interface
        """The action's own settings checked; unknown fields are refused already."""
        raise NotImplementedError

    def preview(self, config: dict, context: dict) -> dict:  # pragma: no cover - interface
        """What would be sent, rendered, without sending or reading secret values."""
        raise NotImplementedError

    def send(self, config: dict, context: dict, idempotency_key: str) -> ActionResult:  # pragma: no cover
        """Send once; raises ActionFailed or ActionRetry."""
        raise NotImplementedError


def render(config: dict, key: str, context: dict, default: str = "", escape=None) -> str:
    """A template setting rendered with the context, or `default` when the
    setting is absent; a render failure fails the action with the template error."""
    text = config.get(key)
    if text is None:
        return default
    try:
        return templates.render(text, context, escape)
    except templates.TemplateError as exc:
        raise ActionFailed(f"{key}: template error: {exc}")


def message(config: dict, context: dict, key: str = "message") -> str:
    """The action's own message template, else the event kind's default message."""
    return render(config, key, context, str(context.get("message") or ""))


def read_secret(context: dict, name: str) -> str:
    """A secret's value at send time, its problems turned into action failures."""
    if not context.get("account_id"):
        raise ActionFailed("the action context names no account, so its secrets cannot be read")
    try:
        return secrets.get_secret(context["account_id"], name)
    except secrets.SecretNotFound as exc:
        raise ActionFailed(str(exc))
    except secrets.SecretUnavailable as exc:
        raise ActionRetry(str(exc))


def secret_placeholder(name: str) -> str:
    """How a preview shows a secret: by its name, never its value."""
    return f"<secret {name}>"


def retry_delay(attempt: int, retry_after: float | None = None) -> int:
    """Seconds to wait after failed attempt `attempt` (1, 2, ...): exponential
    backoff from ACTION_RETRY_BASE_SECONDS, never sooner than the service's
    Retry-After, never more than 900 seconds."""
    backoff = settings.get_int("ACTION_RETRY_BASE_SECONDS") * 2 ** max(0, attempt - 1)
    return int(min(MAX_DELAY, max(backoff, retry_after or 0)))
