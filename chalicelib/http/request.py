"""Reading requests safely: bounded JSON bodies, query parameters and the public base URL."""
import json

from chalicelib import settings
from chalicelib.errors import Invalid, TooLarge


def json_value(raw: bytes | None, limit: int | None = None):
    """The body as any JSON value: 413 over `limit` (default MAX_BODY_BYTES), 400 when not JSON."""
    raw = raw or b""
    limit = limit or settings.current().max_body_bytes
    if len(raw) > limit:
        raise TooLarge(f"The request body is {len(raw)} bytes; the limit is {limit} bytes.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"The body is not valid JSON ({exc}); send a JSON object.", field="body") from exc


def json_object(raw: bytes | None, allow_empty: bool = False, limit: int | None = None) -> dict:
    """The body as a JSON object: 413 over `limit` (default MAX_BODY_BYTES),
    400 when not an object. `allow_empty`: no body at all is `{}` (whitespace is not JSON: 400)."""
    if allow_empty and not raw:
        return {}
    body = json_value(raw, limit)
    if not isinstance(body, dict):
        raise Invalid(f"The body must be a JSON object, not {type(body).__name__}.", field="body")
    return body


def base_url(request) -> str:
    """Where this API is reachable from outside: PUBLIC_BASE_URL, else the request's host."""
    configured = settings.current().base_url
    if configured:
        return configured
    headers = request.headers or {}
    host = headers.get("host", "localhost")
    proto = headers.get("x-forwarded-proto", "https" if ".amazonaws.com" in host else "http")
    stage = (request.context or {}).get("stage")
    suffix = f"/{stage}" if stage and ".execute-api." in host else ""
    return f"{proto}://{host}{suffix}"


def query(request) -> dict:
    """Single-valued query parameters as a plain dict."""
    return dict(request.query_params or {})


def query_list(request, name: str) -> list[str]:
    """Every value of a repeated query parameter."""
    params = request.query_params
    return params.getlist(name) if params and name in params else []


def document_body(raw: bytes | None) -> dict:
    """A knowledge document's body: room for KNOWLEDGE_MAX_BYTES of content
    twice over (JSON escapes newlines and quotes), and 64 KiB besides."""
    s = settings.current()
    return json_object(raw, limit=max(s.max_body_bytes, 2 * s.knowledge_max_bytes + 65536))
