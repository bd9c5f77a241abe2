"""Actions that send HTTP requests: one place that builds the request, shows
it for a preview, sends it through the internal-address guard and maps the
answer to sent / ActionFailed / ActionRetry. ACTION_HTTP_TIMEOUT is a total
deadline per request, not a socket timeout."""
import base64
import http.client
import ipaddress
import json
import ssl
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from chalicelib import settings
from chalicelib.actions.base import (
    Action,
    ActionFailed,
    ActionResult,
    ActionRetry,
    read_secret,
    secret_placeholder,
    send_each,
)
from chalicelib.errors import Invalid
from sre_agent.net import guard
from sre_agent.net import http as guarded_http
from sre_agent.net.http import retry_after


@dataclass
class Outbound:
    """One request an action makes: a JSON body, a form, or none. `target`
    names the recipient when an action sends one request per recipient."""
    method: str
    url: str
    headers: dict = field(default_factory=dict)
    json: object = None
    form: dict | None = None
    auth: tuple[str, str] | None = None  # basic auth (user, password)
    target: str | None = None

    def body(self) -> bytes | None:
        """The encoded body, or None."""
        if self.form is not None:
            return urlencode(self.form, doseq=True).encode()
        return None if self.json is None else json.dumps(self.json, ensure_ascii=False, default=str).encode()

    def all_headers(self) -> dict:
        """The headers as sent: with Content-Type and basic auth added."""
        headers = dict(self.headers)
        kind = "application/x-www-form-urlencoded" if self.form is not None else \
            "application/json" if self.json is not None else None
        if kind and not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = kind
        if self.auth:
            headers["Authorization"] = "Basic " + base64.b64encode(":".join(self.auth).encode()).decode()
        return headers

    def preview(self) -> dict:
        """The request as a preview shows it: body decoded, auth unencoded."""
        shown = {"method": self.method, "url": self.url, "headers": self.headers,
                 "body": dict(parse_qsl(self.body().decode())) if self.form is not None else self.json}
        if self.auth:
            shown["auth"] = {"username": self.auth[0], "password": self.auth[1]}
        if self.target:
            shown["to"] = self.target
        return shown


def checked_url(url, field: str) -> str:
    """A URL a user saves for outbound HTTP (a webhook, a model endpoint),
    checked as the guard will check it when sending: http(s) with a host, at
    most 2048 characters, and an address literal only where outbound HTTP may
    go (a host name is resolved and checked at send time: its address can
    change). Invalid names `field`."""
    parts = urlsplit(url) if isinstance(url, str) and len(url) <= 2048 else None
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"{field} must be an http(s) URL of at most 2048 characters", field=field)
    try:
        ipaddress.ip_address(parts.hostname)
    except ValueError:
        return url
    try:
        guard.check_url(url, settings.current().outbound)
    except guard.BlockedAddress as exc:
        raise Invalid(f"{field}: {exc}", field=field) from exc
    return url


def deliver(req: Outbound) -> ActionResult:
    """Send one request through the guard: 2xx is sent; 408, 429 and 5xx,
    timeouts and connection errors are ActionRetry; anything else ActionFailed.
    Messages name the host only: a webhook URL can itself be a secret."""
    try:
        host = urlsplit(req.url).hostname or "the service"
    except ValueError:
        host = "the service"
    s = settings.current()
    limit = s.action_http_timeout
    try:
        answer = guarded_http.request(req.url, s.outbound, req.method, req.all_headers(), req.body(), timeout=limit,
                                      deadline=limit)
    except guard.UnresolvedHost as exc:  # DNS said "try again": a retry may reach it
        problem = ActionRetry if exc.temporary else ActionFailed
        raise problem(f"cannot send: {str(exc).replace(req.url, '<url>')}") from exc
    except guard.BlockedAddress as exc:
        raise ActionFailed(f"refused to send: {str(exc).replace(req.url, '<url>')}") from exc
    except ssl.SSLCertVerificationError as exc:
        raise ActionFailed(f"{host} has no valid TLS certificate: {exc.verify_message}") from exc
    except (http.client.InvalidURL, ValueError) as exc:  # a malformed URL or header: sending again cannot help
        raise ActionFailed(f"cannot send to {host}: {str(exc).replace(req.url, '<url>')}") from exc
    except (OSError, http.client.HTTPException) as exc:  # timeouts, refused connections, broken answers
        raise ActionRetry(f"cannot reach {host}: {exc or type(exc).__name__}") from exc
    code = answer.status
    if 200 <= code < 300:
        return ActionResult("sent", code, f"{host} answered HTTP {code}")
    text = answer.body[:200].decode(errors="replace").replace(req.url, "<url>").strip()
    detail = f"{host} answered HTTP {code}" + (f": {text}" if text else "")
    if code in (408, 429) or code >= 500:
        raise ActionRetry(detail, retry_after(answer.headers))
    raise ActionFailed(detail)


class HttpAction(Action):
    """An action made of HTTP requests. Subclasses implement `requests`;
    `secret(name)` is the secret's value when sending and a placeholder
    naming it in a preview, so previews never read secrets."""

    def requests(self, config: dict, context: dict, idempotency_key: str, secret) -> list[Outbound]:
        """The requests to make, rendered; `secret(name)` gives a secret's value."""
        raise NotImplementedError  # pragma: no cover - interface

    def _keyed(self, config: dict, context: dict, idempotency_key: str, secret) -> list[Outbound]:
        reqs = self.requests(config, context, idempotency_key, secret)
        for req in reqs:  # one key per recipient, so a retry cannot send to any of them twice
            req.headers["Idempotency-Key"] = f"{idempotency_key}:{req.target}" if req.target else idempotency_key
        return reqs

    def preview(self, config: dict, context: dict) -> dict:
        """The requests that would be sent, rendered, with secrets shown by name."""
        reqs = self._keyed(config, context, "<idempotency key>", secret_placeholder)
        return {"type": self.type, "requests": [req.preview() for req in reqs]}

    def send(self, config: dict, context: dict, idempotency_key: str, skip: frozenset = frozenset()) -> ActionResult:
        """Send the request, each with an Idempotency-Key; with one request per
        recipient, each recipient on its own (see base.send_each)."""
        reqs = self._keyed(config, context, idempotency_key, lambda name: read_secret(context, name))
        if len(reqs) == 1 and reqs[0].target is None:
            return deliver(reqs[0])
        by_target = {req.target: req for req in reqs}
        return send_each(by_target, lambda target: deliver(by_target[target]), skip)
