"""The api trigger of a rule: its URL, its token (shown once), rotation."""
from chalicelib.clock import iso
from chalicelib.identity import tokens
from chalicelib.store.records import TriggerToken

CURL_TEXT = "Describe the event or context for this run."


def url(base_url: str, trigger_id: str) -> str:
    return f"{base_url}/trigger/{trigger_id}"


def curl(trigger_url: str, token: str) -> str:
    """The curl example shown with a freshly issued token."""
    return (f"curl -X POST '{trigger_url}' \\\n"
            f"  -H 'Authorization: Bearer {token}' \\\n"
            "  -H 'Content-Type: application/json' \\\n"
            f"  -d '{{\"text\":\"{CURL_TEXT}\"}}'")


def issue(rule, caller, now, trigger_id: str | None = None) -> tuple[TriggerToken, str]:
    """A trigger item with a new token for the rule, issued by `caller`.

    With `trigger_id` the same URL keeps working with the new token only
    (rotation); the caller saves the item, usually in a transaction.
    """
    token = tokens.new_trigger_token()
    item = TriggerToken(
        trigger_id or f"trg_{tokens.new_id()}",
        token_hash=tokens.hash_token(token), automation_id=rule.id,
        account_id=rule.account_id, owner_id=rule.owner_id, issuer_id=caller.user_id,
        issuer_role=caller.role, enabled=rule.enabled, created_at=iso(now))
    return item, token


def shown_once(base_url: str, trigger_id: str, token: str) -> dict:
    """The answer that carries the token: the only time it is ever shown."""
    trigger_url = url(base_url, trigger_id)
    return {"url": trigger_url, "token": token, "curl": curl(trigger_url, token)}
