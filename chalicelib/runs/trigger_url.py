"""The trigger URL: `POST /trigger/{trigger_id}` with the trigger token.

The hot path costs three AWS calls: the trigger item by id (it carries what the
decision needs), the run write, the queue send.
"""
import json

from chalicelib import settings
from chalicelib.errors import Conflict, Forbidden, Invalid, TooLarge, Unauthorized, Unavailable
from chalicelib.identity import permissions, tokens
from chalicelib.observability import bind
from chalicelib.runs import queue, records
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import Run, TriggerToken

_BAD_TOKEN = "Missing, wrong or rotated trigger token, or unknown trigger URL."
MAX_IDEMPOTENCY_KEY = 255


def check_size(raw: bytes | None) -> None:
    """413 over the trigger body limit (checked before anything else is done)."""
    limit = settings.current().trigger_max_body_bytes
    if len(raw or b"") > limit:
        raise TooLarge(f"The request body is {len(raw)} bytes; the limit is {limit} bytes (64 KiB).")


def parse_body(raw: bytes | None) -> str | None:
    """The optional `text` of a trigger body; 400 when malformed."""
    if not raw:  # no body at all (whitespace is not JSON: a 400 below)
        return None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise Invalid('The body must be a JSON object such as {"text": "what happened"}.', field="body")
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        raise Invalid(f"text must be a string; got {type(text).__name__}", field="text")
    return text


def authorize(trigger_id: str, headers) -> TriggerToken:
    """The trigger item when the token is right and its issuer may still run it."""
    item = tokens.bearer_item(headers, tokens.TRIGGER_TOKEN_PREFIX, lambda: repos.rules.token(trigger_id),
                              lambda found: found.token_hash, Unauthorized(_BAD_TOKEN))
    bind(account_id=item.account_id, automation_id=item.automation_id)
    if not permissions.issuer_may_trigger(item.issuer_id, item.issuer_role, item.owner_id):
        raise Forbidden("This trigger token was issued by someone who is no longer the automation's "
                        "owner nor an admin; ask the owner or an admin to rotate it.")
    if not item.enabled:
        raise Conflict("The automation is disabled; enable it before triggering it.")
    return item


def trigger(trigger_id: str, headers, raw_body: bytes | None, now) -> Run:
    """Accept a trigger: a `queued` run, saved and sent to the runs queue."""
    check_size(raw_body)
    item = authorize(trigger_id, headers)
    text = parse_body(raw_body)
    key = (headers or {}).get("idempotency-key")
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        raise Invalid(f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} characters", field="Idempotency-Key")
    run = records.new_queued(item.automation_id, item.account_id, "api", now, text=text,
                             idempotency_key=key)
    try:
        queue.enqueue(run)
    except ConditionFailed:
        if key is None:
            raise
        made = repos.runs.get(run.id)  # the same call again: the run it already made
        if made is None:  # the first call is failing right now and removed it
            raise Unavailable("A call with this Idempotency-Key is failing right now; retry it.") from None
        if made.context_text != text:  # a different request under the same key: not a repeat
            raise Conflict("This Idempotency-Key was used with a different body (its run "
                           f"{made.id} has other text); use a new key for a new request.") from None
        return made
    return run
