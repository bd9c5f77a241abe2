"""Secret tokens: API keys and trigger tokens.

Each token carries a recognisable prefix (so secret scanners can spot a leaked
one) and 256 random bits. Only the SHA-256 hash is stored; comparison is in
constant time. API keys embed a public key id so the lookup is by id and the
secret is checked with `hmac.compare_digest`, never by a database equality on
attacker-chosen input.
"""
import hashlib
import hmac
import secrets

from sre_agent import runner_token

API_KEY_PREFIX = "sreak_"
TRIGGER_TOKEN_PREFIX = "srett_"
RUNNER_TOKEN_PREFIX = runner_token.PREFIX
LEASE_TOKEN_PREFIX = "srels_"  # one run, while an environment holds it
SIGNING_SECRET_PREFIX = "srews_"  # a webhook signing secret (kept, not hashed: it must sign)
_KEY_ID_LEN = 16  # hex characters


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token: the only form stored at rest."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def matches(token: str, stored_hash: str) -> bool:
    """True when `token` hashes to `stored_hash`, compared in constant time."""
    return hmac.compare_digest(hash_token(token), stored_hash or "")


def new_id(nbytes: int = 8) -> str:
    """A random hex identifier (not secret)."""
    return secrets.token_hex(nbytes)


def new_api_key() -> tuple[str, str]:
    """A fresh API key: returns (key_id, full token shown once)."""
    key_id = secrets.token_hex(_KEY_ID_LEN // 2)
    return key_id, f"{API_KEY_PREFIX}{key_id}{secrets.token_urlsafe(32)}"


def api_key_id(token: str) -> str | None:
    """The key id embedded in an API key, or None when it is not one of ours."""
    if not token.startswith(API_KEY_PREFIX):
        return None
    key_id = token[len(API_KEY_PREFIX):len(API_KEY_PREFIX) + _KEY_ID_LEN]
    if len(key_id) != _KEY_ID_LEN or len(token) < len(API_KEY_PREFIX) + _KEY_ID_LEN + 43:
        return None
    return key_id


def new_trigger_token(prefix: str = TRIGGER_TOKEN_PREFIX) -> str:
    """A fresh trigger (or runner) token of 256 random bits, shown once."""
    return prefix + secrets.token_urlsafe(32)


def new_runner_token(runner_id: str) -> str:
    """A runner token that names its runner (the format runners read: sre_agent/runner_token.py)."""
    return runner_token.new(runner_id)


def hint(token: str) -> str:
    """What may be shown of a token after creation: its last 4 characters."""
    return "…" + token[-4:]


def bearer_item(headers, prefix: str, fetch, stored_hash, refusal: Exception):
    """The item a prefixed bearer token belongs to: `fetch()` loads it (None
    when there is none), `stored_hash(item)` is its token hash; the same
    `refusal` for a missing, foreign, wrong or unknown token."""
    token = bearer(headers)
    if not token or not token.startswith(prefix):
        raise refusal
    item = fetch()
    if item is None or not matches(token, stored_hash(item) or ""):
        raise refusal
    return item


def bearer(headers) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None."""
    value = (headers or {}).get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
