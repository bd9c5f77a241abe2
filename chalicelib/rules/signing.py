"""The webhook signing secrets of an automation.

Every webhook request an automation sends is signed with its own secret (see
chalicelib/actions/webhook_signature.py and the README). Unlike tokens, which
we only check and so keep as hashes, a secret must sign, so it is kept on the
automation (DynamoDB encrypts it at rest) and never returned by a read: it is
shown once, in the answer that first gives the automation a webhook action,
and again only when rotated.

Rotating keeps the secret it replaces signing beside the new one for GRACE
(both signatures in `webhook-signature`), so a receiver that still has the old
one is not cut off while its owner deploys the new one. A second rotation
within the grace replaces the pair: the secret in use until then becomes the
previous one, and the one before it stops at once."""
import base64
import secrets
from datetime import timedelta

from chalicelib.actions import webhook_signature
from chalicelib.clock import iso, parse_iso
from chalicelib.identity import tokens
from chalicelib.store import repos

HEADER = webhook_signature.SIGNATURE_HEADER
GRACE = timedelta(hours=24)


def needs_secret(rule) -> bool:
    """Whether the rule sends webhooks (and so must have a signing secret)."""
    return any(action["type"] == "webhook" for action in rule.actions or [])


def new_secret() -> str:
    """A fresh signing secret as Standard Webhooks serialises one: `whsec_`
    and the base64 of 32 random bytes (the specification asks for 24 to 64)."""
    return webhook_signature.PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def shown_once(secret: str, previous_until: str | None = None) -> dict:
    """The answer that carries the secret: the only time it is shown.
    `previous_valid_until`: until when the secret it replaced still signs too
    (None: it replaced none)."""
    return {"secret": secret, "header": HEADER, "scheme": webhook_signature.SCHEME,
            "legacy_header": webhook_signature.LEGACY_HEADER, "legacy_scheme": webhook_signature.LEGACY_SCHEME,
            "previous_valid_until": previous_until}


def previous_until(rule, now) -> str | None:
    """Until when the rule's previous secret still signs, or None when it signs no more."""
    until = rule.previous_secret_until
    return until if rule.previous_signing_secret and until and now < parse_iso(until) else None


def summary(rule, now) -> dict | None:
    """What an automation's JSON shows of its secrets: the current one's last
    characters, and the end of a rotation's grace while it lasts."""
    if not rule.signing_secret:
        return None
    return {"secret_hint": tokens.hint(rule.signing_secret), "header": HEADER,
            "previous_valid_until": previous_until(rule, now)}


def ensure(rule) -> str:
    """The rule's secret, made now for a rule saved before signing existed
    (its owner sees it by rotating it)."""
    if rule.signing_secret:
        return rule.signing_secret
    return repos.rules.add_signing_secret(rule, new_secret())  # another worker's, if it made one first


def signing_secrets(rule, now) -> tuple[str, str | None]:
    """(the current secret, the previous one while its grace lasts, else None)."""
    current = ensure(rule)
    return current, rule.previous_signing_secret if previous_until(rule, now) else None


def rotate(rule, now) -> dict:
    """A new secret for the rule; the one it replaces signs beside it for GRACE."""
    secret, old = new_secret(), rule.signing_secret
    until = iso(now + GRACE) if old else None
    repos.rules.set_signing_secret(rule, secret, iso(now), previous=old, previous_until=until)
    return shown_once(secret, until)
