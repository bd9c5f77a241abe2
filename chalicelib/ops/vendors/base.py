"""What every vendor is: a `type`, how its deliveries prove who sent them
(`authenticate`), and how its payload reads as arrivals (`parse`).

    authenticate(integration, request, now)   raises Unauthorized when the proof fails
    parse(integration, request, now)          -> Parsed; raises Invalid with the reason
    setup(url, secret)                        what to paste where in the tool (console, docs)

The secret of an integration is one of two kinds (`secret_kind`):
    "token"    a bearer token (or a URL secret): only its hash is kept, compared in constant time
    "signing"  an HMAC key the vendor signs the body with: kept, never shown again
"""
import hashlib
import hmac
import json
from dataclasses import dataclass

from chalicelib.clock import iso, parse_iso
from chalicelib.errors import Invalid, Unauthorized
from chalicelib.identity import tokens


@dataclass(frozen=True)
class HookRequest:
    """A delivery as it came: the headers (names in lower case), the raw
    body, and the secret of the URL path when the vendor cannot send headers."""
    headers: dict
    body: bytes
    path_secret: str | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Vendor:
    """A monitoring tool's webhook format. Subclasses set `type`, `title`,
    `secret_kind`, and implement `parse` (and `authenticate` when the default,
    a bearer token, is not the vendor's way)."""
    type = ""
    title = ""
    secret_kind = "token"
    secret_in_url = False  # the tool cannot send headers: the secret is the URL's last segment (SNS)
    tool_makes_secret = False  # the tool makes its signing secret and cannot be given ours (PagerDuty)
    # The mapping's defaults: which label or field is the service, and the severity.
    default_mapping: dict = {}

    def authenticate(self, integration, request: HookRequest, now) -> None:
        """A bearer token in `Authorization` whose hash is the integration's."""
        bearer = bearer_token(request)
        if bearer is None:
            raise Unauthorized("Missing credentials: send the integration's secret as 'Authorization: Bearer <secret>'")
        if not tokens.matches(bearer, integration.token_hash or ""):
            raise Unauthorized("The bearer token is not this integration's secret")

    def parse(self, integration, request: HookRequest, now):  # pragma: no cover - interface
        raise NotImplementedError

    def setup(self, url: str, secret: str) -> str:
        """What the user pastes where in the tool so that it sends here: the
        integration's URL and its secret in the tool's own words."""
        return ""

    def confirm(self, url: str) -> None:
        """Confirm a subscription by visiting its URL (tools that ask for it)."""
        raise Invalid(f"{self.title} deliveries do not ask to confirm a subscription", field="body")

    def mapping(self, integration) -> dict:
        """The defaults with the integration's own choices over them."""
        return {**self.default_mapping, **(integration.mapping or {})}


def bearer_token(request: HookRequest) -> str | None:
    """The credentials of `Authorization: Bearer <token>`, or None."""
    value = request.header("authorization") or ""
    scheme, _, credentials = value.partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def hmac_hex(secret: str, message: bytes) -> str:
    """The lower-case hex HMAC-SHA256 of a message."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time equality of two strings."""
    return hmac.compare_digest(a.encode(), b.encode())


def json_body(request: HookRequest) -> dict:
    """The body as a JSON object, or Invalid saying why it is not one."""
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"The body is not JSON: {exc}", field="body") from exc
    if not isinstance(payload, dict):
        raise Invalid("The body must be a JSON object", field="body")
    return payload


def body_digest(request: HookRequest) -> str:
    """A delivery key for vendors that send no delivery id: the same body is the same delivery."""
    return "sha256:" + hashlib.sha256(request.body).hexdigest()


def utc(value, field: str, required: bool = True) -> str | None:
    """An RFC 3339 time as the model keeps it (UTC, seconds); Go's zero time
    (`0001-01-01T00:00:00Z`, "not yet") is None."""
    if value in (None, "") or (isinstance(value, str) and value.startswith("0001-01-01")):
        if required:
            raise Invalid(f"{field} must be a time such as 2026-12-01T10:00:00Z", field=field)
        return None
    try:
        return iso(parse_iso(value))
    except (TypeError, ValueError, AttributeError) as exc:
        raise Invalid(f"{field} is not a time: {str(value)[:40]!r}", field=field) from exc


def text(value, field: str, required: bool = True, limit: int = 1024) -> str | None:
    """A string field, cut to `limit` characters; Invalid when a required one is missing."""
    if value is None or value == "":
        if required:
            raise Invalid(f"{field} is missing", field=field)
        return None
    if not isinstance(value, str | int | float):
        raise Invalid(f"{field} must be a string", field=field)
    return str(value)[:limit]


def string_map(value, field: str) -> dict:
    """A map of strings (labels, annotations): values cut to 1 KiB, at most 64 keys."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(f"{field} must be an object", field=field)
    return {str(k)[:128]: str(v)[:1024] for k, v in list(value.items())[:64]}


def first_of(values: dict, names) -> str | None:
    """The first of the named keys that has a value: a mapping may list several."""
    for name in [names] if isinstance(names, str) else names or []:
        if values.get(name):
            return values[name]
    return None


def dig(value, path: str):
    """The value at a dotted path (`service.summary`) through nested objects, or None."""
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def first_path(value, paths, limit: int = 255) -> str | None:
    """The first of the dotted paths (one, or a list: a mapping's choice)
    whose value is a non-empty string or number, as a string cut to `limit`."""
    for path in [paths] if isinstance(paths, str) else paths or []:
        found = dig(value, path) if isinstance(path, str) else None
        if isinstance(found, str | int | float) and not isinstance(found, bool) and found != "":
            return str(found)[:limit]
    return None
