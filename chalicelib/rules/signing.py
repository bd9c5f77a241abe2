"""The webhook signing secret of an automation.

Every webhook request an automation sends is signed with its own secret (see
chalicelib/actions/webhook.py and the README). Unlike tokens, which we only
check and so keep as hashes, this secret must sign, so it is kept on the
automation (DynamoDB encrypts it at rest) and never returned by a read: it is
shown once, in the answer that first gives the automation a webhook action,
and again only when rotated (the old secret stops signing at once)."""
from chalicelib.identity import tokens
from chalicelib.store import repos

HEADER = "X-Automation-Signature"
SCHEME = "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' with the secret>"


def needs_secret(rule) -> bool:
    """Whether the rule sends webhooks (and so must have a signing secret)."""
    return any(action["type"] == "webhook" for action in rule.actions or [])


def new_secret() -> str:
    """A fresh signing secret of 256 random bits."""
    return tokens.new_trigger_token(tokens.SIGNING_SECRET_PREFIX)


def shown_once(secret: str) -> dict:
    """The answer that carries the secret: the only time it is shown."""
    return {"secret": secret, "header": HEADER, "scheme": SCHEME}


def summary(rule) -> dict | None:
    """What an automation's JSON shows of its secret: the last characters."""
    return {"secret_hint": tokens.hint(rule.signing_secret), "header": HEADER} if rule.signing_secret else None


def ensure(rule) -> str:
    """The rule's secret, made now for a rule saved before signing existed
    (its owner sees it by rotating it)."""
    if rule.signing_secret:
        return rule.signing_secret
    return repos.rules.add_signing_secret(rule, new_secret())  # another worker's, if it made one first
