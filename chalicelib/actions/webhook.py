"""Webhook: a request to any URL with a templated JSON payload (by default the
whole event, or the run) and templated headers (by default
X-Automation-Event-Id). Anything but a 2xx answer is a failure."""
import ipaddress
import json
import re
from urllib.parse import urlsplit

from chalicelib.actions import fields, templates
from chalicelib.actions.base import ActionFailed, render
from chalicelib.actions.outbound import HttpAction, Outbound
from chalicelib.errors import BadRequest
from chalicelib.net import guard

METHODS = ("POST", "PUT", "PATCH", "GET", "DELETE")
MAX_PAYLOAD = 20_000
_HEADER = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
_RESERVED = ("host", "content-length", "transfer-encoding", "connection", "idempotency-key")  # set by us
_ONE_PLACEHOLDER = re.compile(r"^\{([^{}\s\"']+)\}$")


def _json_escape(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _strings(value):
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _fill(value, context: dict):
    """A JSON payload with its strings rendered; a string that is exactly one
    `{name}` placeholder takes the value itself (an object stays an object)."""
    if isinstance(value, dict):
        return {_fill(k, context): _fill(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(item, context) for item in value]
    if not isinstance(value, str):
        return value
    text = render({"payload": value}, "payload", context)  # also checks the template again
    whole = _ONE_PLACEHOLDER.match(value)
    return templates.lookup(context, whole.group(1)) if whole else text


def _check_url(url, where: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) and len(url) <= 2048 else None
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"{where}.url must be an http(s) URL of at most 2048 characters")
    try:
        ipaddress.ip_address(parts.hostname)
    except ValueError:
        return url  # a host name is resolved and checked when sending (its address can change)
    try:
        guard.check_url(url)
    except guard.BlockedAddress as exc:
        raise BadRequest(f"{where}.url: {exc}")
    return url


class WebhookAction(HttpAction):
    type = "webhook"
    fields = ("url", "method", "payload", "headers")

    def check(self, config: dict, where: str) -> dict:
        out = {"url": _check_url(config.get("url"), where), **fields.choice(config, "method", where, METHODS, "POST")}
        payload = config.get("payload")
        if payload is not None:
            if out["method"] == "GET":
                raise BadRequest(f"{where}.payload cannot be sent with GET; use POST, PUT, PATCH or DELETE")
            if not isinstance(payload, str | dict | list) or len(json.dumps(payload)) > MAX_PAYLOAD:
                raise BadRequest(f"{where}.payload must be a JSON template (a string) or a JSON object or list "
                                 f"of at most {MAX_PAYLOAD} characters")
            for text in _strings(payload):
                templates.validate_template(text, f"{where}.payload")
            if isinstance(payload, str) and not templates.is_jinja(payload):
                try:  # every placeholder as 0 shows whether the text is JSON
                    json.loads(templates.render(payload, {}, lambda _: "0"))
                except ValueError as exc:
                    raise BadRequest(f"{where}.payload must render to JSON: {exc}")
            out["payload"] = payload
        headers = config.get("headers")
        if headers is not None:
            if not isinstance(headers, dict) or len(headers) > 20:
                raise BadRequest(f"{where}.headers must be an object of at most 20 headers")
            for name in headers:
                if not _HEADER.match(name) or name.lower() in _RESERVED:
                    raise BadRequest(f"{where}.headers: {name!r} is not a header name you can set")
                fields.template(headers, name, f"{where}.headers", max_chars=1000)
            out["headers"] = headers
        return out

    def _payload(self, config: dict, context: dict):
        payload = config.get("payload")
        if payload is None:
            return context.get("event") if context.get("event") is not None else context.get("run")
        if not isinstance(payload, str):
            return _fill(payload, context)
        text = render(config, "payload", context, escape=_json_escape)
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ActionFailed(f"payload did not render to JSON ({exc}): {text[:200]}")

    def requests(self, config: dict, context: dict, idempotency_key: str, secret) -> list[Outbound]:
        headers = {"X-Automation-Event-Id": idempotency_key}
        if config.get("headers") is not None:
            headers = {name: render(config["headers"], name, context) for name in config["headers"]}
        for name, value in headers.items():
            if "\r" in value or "\n" in value or not value.isprintable() or not value.isascii():
                raise ActionFailed(f"header {name} rendered to a value that cannot be sent (line breaks or "
                                   "characters outside ASCII)")
        method = config.get("method", "POST")
        body = None if method == "GET" else self._payload(config, context)
        return [Outbound(method, config["url"], headers, json=body)]
