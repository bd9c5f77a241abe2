"""The runner token's format, shared by the service (which makes them) and a
runner (which finds its own id in one): `srert_<16 hex of the runner id><43
random characters>`, so `sre runner start --token` needs nothing else, as an
API key names its key id."""
import secrets

PREFIX = "srert_"
_ID_LEN = 16  # hex characters


def new(runner_id: str) -> str:
    """A fresh token (256 random bits) naming `runner_id` (rnr_<16 hex>)."""
    return f"{PREFIX}{runner_id.removeprefix('rnr_')}{secrets.token_urlsafe(32)}"


def runner_id_of(token: str) -> str | None:
    """The runner id a runner token names, or None when it is not one."""
    if not token.startswith(PREFIX):
        return None
    key_id = token[len(PREFIX):len(PREFIX) + _ID_LEN]
    if len(token) < len(PREFIX) + _ID_LEN + 43 or not all(c in "0123456789abcdef" for c in key_id):
        return None
    return f"rnr_{key_id}"
