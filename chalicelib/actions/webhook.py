"""Webhook: a request to any URL with a templated JSON payload (by default the
whole event, or the run). Anything but a 2xx answer is a failure.

Every request carries `X-Automation-Event-Id` (the event's id),
`Idempotency-Key`, and the Standard Webhooks headers `webhook-id` (the same
idempotency key: a retry of a send has the same id), `webhook-timestamp` and
`webhook-signature` (HMAC-SHA256 of `<id>.<timestamp>.<body>` with the
automation's signing secret; during a rotation's grace, with the previous
secret too), and, for one release more, `X-Automation-Signature` (see
webhook_signature.py; the README shows how a receiver checks them). Custom
headers are added to these (they cannot replace them), their values are
templates, and a value may name a secret instead of holding it:
`"Authorization": "Bearer {secret.api-token}"` is filled in from the secret at
send time and shown by name in previews."""
import json
import re
import time

from chalicelib.actions import fields, templates
from chalicelib.actions import webhook_signature as signatures
from chalicelib.actions.base import ActionFailed, render
from chalicelib.actions.outbound import HttpAction, Outbound, checked_url
from chalicelib.errors import Invalid
from chalicelib.secrets import check_name

METHODS = ("POST", "PUT", "PATCH", "GET", "DELETE")
MAX_PAYLOAD = 20_000
EVENT_ID_HEADER = "X-Automation-Event-Id"
HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")  # an HTTP token (RFC 9110), whole
RESERVED_HEADERS = ("host", "content-length", "transfer-encoding", "connection", "idempotency-key",
                    EVENT_ID_HEADER.lower(), signatures.LEGACY_HEADER.lower(), signatures.ID_HEADER,
                    signatures.TIMESTAMP_HEADER, signatures.SIGNATURE_HEADER)  # set by us
_ONE_PLACEHOLDER = re.compile(r"^\{([^{}\s\"']+)\}$")
_SECRET_REF = re.compile(r"\{secret\.([^{}\s\"']+)\}")


def _header_value(template: str, name: str, context: dict, secret) -> str:
    """A header template rendered, its `{secret.NAME}` parts filled by `secret(NAME)`."""
    parts, last = [], 0
    for match in _SECRET_REF.finditer(template):
        parts += [render({name: template[last:match.start()]}, name, context) if match.start() > last else "",
                  secret(match.group(1))]
        last = match.end()
    if last < len(template):
        parts.append(render({name: template[last:]}, name, context))
    return "".join(parts)


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
    return checked_url(url, f"{where}.url")


class WebhookAction(HttpAction):
    type = "webhook"
    fields = ("url", "method", "payload", "headers")

    def check(self, config: dict, where: str) -> dict:
        out = {"url": _check_url(config.get("url"), where), **fields.choice(config, "method", where, METHODS, "POST")}
        payload = config.get("payload")
        if payload is not None:
            if out["method"] == "GET":
                raise Invalid(f"{where}.payload cannot be sent with GET; use POST, PUT, PATCH or DELETE",
                              field=f"{where}.payload")
            if not isinstance(payload, str | dict | list) or len(json.dumps(payload)) > MAX_PAYLOAD:
                raise Invalid(f"{where}.payload must be a JSON template (a string) or a JSON object or list "
                              f"of at most {MAX_PAYLOAD} characters", field=f"{where}.payload")
            for text in _strings(payload):
                templates.validate_template(text, f"{where}.payload")
                if _SECRET_REF.search(text):
                    raise Invalid(f"{where}.payload: secrets can be named in header values only, "
                                  "not in the payload", field=f"{where}.payload")
            if isinstance(payload, str) and not templates.is_jinja(payload):
                try:  # every placeholder as 0 shows whether the text is JSON
                    json.loads(templates.render(payload, {}, lambda _: "0"))
                except ValueError as exc:
                    raise Invalid(f"{where}.payload must render to JSON: {exc}", field=f"{where}.payload") from exc
            out["payload"] = payload
        headers = config.get("headers")
        if headers is not None:
            if not isinstance(headers, dict) or len(headers) > 20:
                raise Invalid(f"{where}.headers must be an object of at most 20 headers", field=f"{where}.headers")
            for name in headers:
                if not HEADER_NAME.fullmatch(name) or name.lower() in RESERVED_HEADERS:
                    raise Invalid(f"{where}.headers: {name!r} is not a header name you can set",
                                  field=f"{where}.headers")
                if not isinstance(headers[name], str):
                    raise Invalid(f"{where}.headers.{name} must be a template of 1-1000 characters",
                                  field=f"{where}.headers.{name}")
                fields.template(headers, name, f"{where}.headers", max_chars=1000)
                for secret_name in _SECRET_REF.findall(headers[name]):
                    check_name(secret_name, f"{where}.headers.{name} secret")
            out["headers"] = headers
        return out

    def _payload(self, config: dict, context: dict):
        payload = config.get("payload")
        if payload is None:
            return context.get("event") if context.get("event") is not None else context.get("run")
        if not isinstance(payload, str):
            return _fill(payload, context)
        text = render(config, "payload", context, escape=None if templates.is_jinja(payload) else _json_escape)
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ActionFailed(f"payload did not render to JSON ({exc}): {text[:200]}") from exc

    def requests(self, config: dict, context: dict, idempotency_key: str, secret) -> list[Outbound]:
        # a custom header saved before a name was reserved never travels beside ours
        headers = {name: _header_value(value, name, context, secret)
                   for name, value in (config.get("headers") or {}).items() if name.lower() not in RESERVED_HEADERS}
        for name, value in headers.items():
            if "\r" in value or "\n" in value or not value.isprintable() or not value.isascii():
                raise ActionFailed(f"header {name} rendered to a value that cannot be sent (line breaks or "
                                   "characters outside ASCII)")
        event_id = (context.get("event") or {}).get("id") or idempotency_key
        headers[EVENT_ID_HEADER] = str(event_id)
        method = config.get("method", "POST")
        req = Outbound(method, config["url"], headers, json=None if method == "GET" else self._payload(config, context))
        now = context.get("_now")
        stamp = int(now.timestamp()) if now is not None else int(time.time())
        keys = [key for key in (context.get("_signing_secret"), context.get("_previous_signing_secret")) if key]
        # previews have no secret: they show where the signatures go
        headers.update(signatures.headers(idempotency_key, stamp, req.body() or b"", keys) if keys else
                       signatures.placeholders(idempotency_key, stamp))
        return [req]

    def send(self, config: dict, context: dict, idempotency_key: str, skip: frozenset = frozenset()):
        """Send the signed request; never unsigned."""
        if not context.get("_signing_secret"):
            raise ActionFailed("the automation has no webhook signing secret; rotate it with "
                               "POST /automations/{id}/webhook-secret/rotate")
        return super().send(config, context, idempotency_key, skip)
