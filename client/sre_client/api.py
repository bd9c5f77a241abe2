"""The public HTTP API, with its errors in words."""
import requests


class ApiError(Exception):
    """The API said no (or could not be reached); the message says why.

    `errors` is what the answer says to fix, [{"field", "message"}] (`field` a
    path into the request: `name`, `triggers[0].hour`, `limit`, `body` …),
    empty when the answer has none (an older server, or not a 400)."""

    def __init__(self, message: str, status: int | None = None, errors: list[dict] | None = None):
        super().__init__(message)
        self.status = status
        self.errors = errors or []


class Api:
    """Calls with `Authorization: Bearer <key>` (or another token for one call)."""

    def __init__(self, url: str, key: str | None, timeout: float = 30.0, http=None):
        self.url, self.key, self.timeout = url.rstrip("/"), key, timeout
        self.http = http or requests.Session()
        self.requests = 0

    def call(self, method: str, path: str, body=None, params=None, token: str | None = None,
             headers: dict | None = None, timeout: float | None = None):
        """The JSON answer (None for an empty one); ApiError for any answer >= 400."""
        url = path if path.startswith("http") else f"{self.url}{path}"
        auth = token or self.key
        hdrs = {**({"Authorization": f"Bearer {auth}"} if auth else {}), **(headers or {})}
        self.requests += 1
        try:
            resp = self.http.request(method, url, json=body, params=params, headers=hdrs,
                                     timeout=timeout or self.timeout)
        except requests.RequestException as exc:
            raise ApiError(f"cannot reach {self.url}: {_short(exc)}") from exc
        if resp.status_code >= 400:
            message = _message(resp)
            raise ApiError(f"{message} (HTTP {resp.status_code})", resp.status_code, _errors(resp, message))
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError as exc:
            raise ApiError(f"{url} answered HTTP {resp.status_code} with something that is not JSON; "
                           "is this the automations API?", resp.status_code) from exc


def _message(resp) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text.strip()[:300] or resp.reason
    if isinstance(data, dict):
        return data.get("Message") or data.get("message") or str(data)[:300]
    return str(data)[:300]


def _errors(resp, message: str) -> list[dict]:
    """The answer's `errors` members that name a field (RFC 9457-style problem details)."""
    try:
        data = resp.json()
    except ValueError:
        return []
    found = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(found, list):
        return []
    return [{"field": e["field"], "message": str(e.get("message") or message)} for e in found
            if isinstance(e, dict) and isinstance(e.get("field"), str) and e["field"]]


def _short(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "No route to host"):
        if marker in text:
            return marker.lower()
    return text[:200]
