"""The action interface: what runs after a run ends or an event trigger fires
(a webhook, a Slack message, an email, a page). Two exceptions tell the caller
what to do with a failure: ActionFailed (for good: do not retry) and
ActionRetry (for now: try again after a delay, up to the action's `retries`).

The context an action gets is a dict of plain data, the same one its templates
see: `message` (the default message of the event kind, see messages.py),
`title` (a default title), `account_id` (whose secrets to read), `run`,
`event`, `automation`, `link`, `outcome` (what fired it: a run status or
`triggered`) and `dedup_key` (stable per automation and `for_each` key, for
services that merge repeats such as PagerDuty). Keys starting with `_` are
for the action alone (`_now`, the send time; `_signing_secret` and, during
a rotation's grace, `_previous_signing_secret`): templates cannot reach them,
the sandbox refuses every name starting with `_`.

An action with several recipients (SMS numbers, email addresses) sends to
each on its own (`send_each`): every recipient gets its own result, one
failure never stops the others, and a retry goes only to the recipients that
did not get it (`skip`).

This package is a leaf: it knows how to check, preview and send each action
type, and nothing about runs, rules or events (tests/test_action_imports.py).
"""
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from chalicelib import secrets, settings
from chalicelib.actions import templates
from chalicelib.errors import Invalid

COMMON_FIELDS = ("type", "on", "retries", "saved_by")  # validated (saved_by: set) by the registry and the rule
MAX_DELAY = 900  # the longest SQS DelaySeconds


class ActionFailed(Exception):
    """Failed for good (refused by the service, bad secret, bad template): no
    retry. `deliveries` are the per-recipient results when there were several."""

    def __init__(self, message: str, deliveries: list[dict] | None = None):
        super().__init__(message)
        self.deliveries = deliveries


class ActionRetry(Exception):
    """Failed for now (timeout, 5xx, 408, 429): try again, not before
    `retry_after` seconds if given; `deliveries` as for ActionFailed."""

    def __init__(self, message: str, retry_after: float | None = None, deliveries: list[dict] | None = None):
        super().__init__(message)
        self.retry_after, self.deliveries = retry_after, deliveries


@dataclass
class ActionResult:
    """How a send went: status "sent", the service's HTTP status if any, a
    short detail, and per recipient (when there are several) how each went."""
    status: str = "sent"
    code: int | None = None
    detail: str = ""
    deliveries: list[dict] | None = field(default=None)


class Action:
    """One kind of action. Subclasses set `type` and `fields` (the settings
    they accept) and implement `check`, `preview` and `send`."""
    type = ""
    fields: tuple[str, ...] = ()

    def __init__(self, controller=None):
        self.controller = controller  # the run side's Control, for the control actions (see control.py)

    def validate(self, config: dict, where: str) -> dict:
        """The action's settings checked and normalised (without type/on/retries);
        Invalid names the field, e.g. `actions[0].url`."""
        unknown = sorted(set(config) - set(self.fields) - set(COMMON_FIELDS))
        if unknown:
            raise Invalid(f"{where}.{unknown[0]} is not a setting of a {self.type} action; "
                          f"its settings are {', '.join(self.fields)}", field=f"{where}.{unknown[0]}")
        return self.check(config, where)

    def check(self, config: dict, where: str) -> dict:  # pragma: no cover - interface
        """The action's own settings checked; unknown fields are refused already."""
        raise NotImplementedError

    def preview(self, config: dict, context: dict) -> dict:  # pragma: no cover - interface
        """What would be sent, rendered, without sending or reading secret values."""
        raise NotImplementedError

    def send(self, config: dict, context: dict, idempotency_key: str,
             skip: frozenset = frozenset()) -> ActionResult:  # pragma: no cover - interface
        """Send once (to every recipient not in `skip`); raises ActionFailed or ActionRetry."""
        raise NotImplementedError


def send_each(targets: Iterable[str], send_one: Callable[[str], ActionResult], skip: frozenset) -> ActionResult:
    """Send to each target not in `skip` on its own. All sent: the result.
    Some failed for now: ActionRetry (a retry skips the ones that got it or
    failed for good). Others failed for good only: ActionFailed. Either way
    `deliveries` says how each target went."""
    deliveries, waits, pending = [], [], False
    for target in targets:
        if target in skip:
            continue
        try:
            result = send_one(target)
            deliveries.append({"to": target, "status": "sent", "code": result.code, "detail": result.detail})
        except ActionRetry as exc:
            pending = True
            waits.append(exc.retry_after or 0)
            deliveries.append({"to": target, "status": "retrying", "error": str(exc)})
        except ActionFailed as exc:
            deliveries.append({"to": target, "status": "failed", "error": str(exc)})
    sent = sum(d["status"] == "sent" for d in deliveries)
    summary = f"sent to {sent} of {len(deliveries)}" + (f" ({len(skip)} had it already)" if skip else "")
    problems = "; ".join(f"{d['to']}: {d['error']}" for d in deliveries if d["status"] != "sent")
    if pending:
        raise ActionRetry(f"{summary}; {problems}", max(waits) or None, deliveries)
    if problems:
        raise ActionFailed(f"{summary}; {problems}", deliveries)
    return ActionResult("sent", None, summary, deliveries)


def render(config: dict, key: str, context: dict, default: str = "", escape=None) -> str:
    """A template setting rendered with the context, or `default` when the
    setting is absent; a render failure fails the action with the template
    error. `escape` is applied to every value the template substitutes (and to
    the default, which is made of event data)."""
    text = config.get(key)
    if text is None:
        return escape(default) if escape else default
    try:
        return templates.render(text, context, escape)
    except templates.TemplateError as exc:
        raise ActionFailed(f"{key}: template error: {exc}") from exc


def message(config: dict, context: dict, key: str = "message", escape=None) -> str:
    """The action's own message template, else the event kind's default message."""
    return render(config, key, context, str(context.get("message") or ""), escape)


def read_secret(context: dict, name: str) -> str:
    """A secret's value at send time, its problems turned into action failures."""
    if not context.get("account_id"):
        raise ActionFailed("the action context names no account, so its secrets cannot be read")
    try:
        return secrets.get_secret(context["account_id"], name)
    except secrets.SecretNotFound as exc:
        raise ActionFailed(str(exc)) from exc
    except secrets.SecretUnavailable as exc:
        raise ActionRetry(str(exc)) from exc


def secret_placeholder(name: str) -> str:
    """How a preview shows a secret: by its name, never its value."""
    return f"<secret {name}>"


def retry_delay(attempt: int, retry_after: float | None = None, rand=random.random) -> int:
    """Seconds to wait after failed attempt `attempt` (1, 2, ...): exponential
    backoff from ACTION_RETRY_BASE_SECONDS with equal jitter (between half of
    it and all of it, so the sends a receiver's outage failed together do not
    all come back in the same second), never sooner than the service's
    Retry-After, never more than 900 seconds."""
    backoff = min(MAX_DELAY, settings.current().action_retry_base_seconds * 2 ** max(0, attempt - 1))
    return int(min(MAX_DELAY, max(backoff / 2 + rand() * backoff / 2, retry_after or 0)))
