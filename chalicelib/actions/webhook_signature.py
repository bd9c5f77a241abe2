"""How a webhook request is signed: Standard Webhooks (standardwebhooks.com),
and the legacy header for one release beside it.

Standard Webhooks headers: `webhook-id` (the send's idempotency key, so every
retry of one send has the same id), `webhook-timestamp` (unix seconds of this
attempt) and `webhook-signature`: `v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">`, one per secret that signs, separated by spaces
(during a rotation's grace the new secret's first, then the previous one's).
The id is signed: a captured request replayed under another id fails, and one
replayed under its own id is a duplicate the receiver can drop.

Secrets are `whsec_<base64 of 32 random bytes>`, as the specification
serialises them; the HMAC key is the decoded bytes, so the `standardwebhooks`
package verifies with `Webhook(secret)`. A secret made before (`srews_…`)
stays valid: its key is its own UTF-8 bytes, the key the legacy header always
used, so a receiver passes `Webhook(secret.encode())` (or, the same key,
`"whsec_" + base64 of those bytes`).

`X-Automation-Signature: t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>">` is
signed as before, with the current secret's UTF-8 bytes whatever its form."""
import base64
import hashlib
import hmac

PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
LEGACY_HEADER = "X-Automation-Signature"
SCHEME = ("v1,<base64 HMAC-SHA256 of '<webhook-id>.<webhook-timestamp>.<raw body>', keyed with the secret's "
          "base64-decoded bytes> (Standard Webhooks; several, space-separated, during a rotation)")
LEGACY_SCHEME = "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' with the secret>"


def key_of(secret: str) -> bytes:
    """The HMAC key of a secret: a `whsec_` secret's decoded bytes; an older
    secret's own UTF-8 bytes (what it always signed with)."""
    return base64.b64decode(secret[len(PREFIX):], validate=True) if secret.startswith(PREFIX) else secret.encode()


def _sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key_of(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def standard(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one `v1,<base64>` per secret, space-separated."""
    return " ".join(_sign(secret, msg_id, timestamp, body) for secret in secrets)


def legacy(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Automation-Signature value: t=<timestamp>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def headers(msg_id: str, timestamp: int, body: bytes, secrets: list[str]) -> dict:
    """Every signing header of one attempt; `secrets` are the ones that sign
    now, the current one first (the legacy header uses only it)."""
    return {ID_HEADER: msg_id, TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: standard(secrets, msg_id, timestamp, body),
            LEGACY_HEADER: legacy(secrets[0], timestamp, body)}


def placeholders(msg_id: str, timestamp: int) -> dict:
    """What a preview shows where the signatures go (it reads no secret)."""
    return {ID_HEADER: msg_id, TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: "v1,<base64 HMAC-SHA256 of '<webhook-id>.<webhook-timestamp>.<body>' with the "
                              "automation's signing secret>",
            LEGACY_HEADER: f"t={timestamp},v1=<HMAC-SHA256 of '<t>.<body>' with the automation's signing secret>"}
