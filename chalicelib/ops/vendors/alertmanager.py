"""Prometheus Alertmanager's `webhook_configs` (payload version 4), with the
bearer token of its `http_config.authorization`. Alertmanager signs nothing
and sends no delivery id: the body's digest is the delivery key, and each
alert's firing is identified by (fingerprint, startsAt), so a repeat
notification changes nothing.

Grafana's webhook contact point sends the same shape with more fields; it
reads its alerts with `alerts_of` too."""
from chalicelib.errors import Invalid
from chalicelib.ops.arrivals import AlertArrival, Parsed
from chalicelib.ops.vendors.base import Vendor, body_digest, first_of, json_body, string_map, text, utc

MAX_ALERTS = 1000


class Alertmanager(Vendor):
    type = "alertmanager"
    title = "Prometheus Alertmanager"
    secret_kind = "token"
    default_mapping = {"service": ["service", "job"], "severity": ["severity"]}

    def parse(self, integration, request, now) -> Parsed:
        payload = json_body(request)
        if str(payload.get("version", "4")) != "4":
            raise Invalid(f"Alertmanager payload version {payload.get('version')!r} is not 4", field="version")
        return Parsed(delivery_key=body_digest(request),
                      alerts=alerts_of(payload, self.type, self.mapping(integration)))

    def setup(self, url: str, secret: str) -> str:
        return (
            "In alertmanager.yml (Alertmanager 0.22 or later), a receiver:\n"
            "receivers:\n"
            "  - name: sre-automations\n"
            "    webhook_configs:\n"
            f"      - url: '{url}'\n"
            "        send_resolved: true\n"
            "        http_config:\n"
            "          authorization:\n"
            "            type: Bearer\n"
            f"            credentials: '{secret}'\n"
            "and a route to it, e.g. first under route.routes (continue: the alerts go on to your other receivers):\n"
            "route:\n"
            "  routes:\n"
            "    - receiver: sre-automations\n"
            "      continue: true\n"
            f"Alertmanager before 0.22: http_config: {{bearer_token: '{secret}'}} instead of authorization.\n")


def alerts_of(payload: dict, source: str, mapping: dict, extra=None) -> list[AlertArrival]:
    """The alerts of an Alertmanager-shaped payload (`alerts[]` with status,
    labels, annotations, startsAt, endsAt, fingerprint, generatorURL).
    `extra(raw, alert)` may add a vendor's own fields to each."""
    raw_alerts = payload.get("alerts")
    if not isinstance(raw_alerts, list):
        raise Invalid("alerts must be a list", field="alerts")
    if len(raw_alerts) > MAX_ALERTS:
        raise Invalid(f"at most {MAX_ALERTS} alerts per delivery", field="alerts")
    common = string_map(payload.get("commonLabels"), "commonLabels")
    out = []
    for i, raw in enumerate(raw_alerts):
        where = f"alerts[{i}]"
        if not isinstance(raw, dict):
            raise Invalid(f"{where} must be an object", field=where)
        status = raw.get("status")
        if status not in ("firing", "resolved"):
            raise Invalid(f"{where}.status must be 'firing' or 'resolved'", field=f"{where}.status")
        labels = string_map(raw.get("labels"), f"{where}.labels")
        name = labels.get("alertname") or text(raw.get("title"), f"{where}.labels.alertname")
        fingerprint = text(raw.get("fingerprint"), f"{where}.fingerprint", limit=128)
        alert = AlertArrival(
            source=source, fingerprint=fingerprint, name=name[:255], status=status,
            starts_at=utc(raw.get("startsAt"), f"{where}.startsAt"),
            ends_at=utc(raw.get("endsAt"), f"{where}.endsAt", required=False) if status == "resolved" else None,
            service=first_of({**common, **labels}, mapping.get("service")),
            severity=first_of({**common, **labels}, mapping.get("severity")),
            labels=labels, annotations=string_map(raw.get("annotations"), f"{where}.annotations"),
            generator_url=text(raw.get("generatorURL"), f"{where}.generatorURL", required=False))
        if status == "resolved" and alert.ends_at is None:
            raise Invalid(f"{where}.endsAt must be the time a resolved alert ended", field=f"{where}.endsAt")
        if extra:
            extra(raw, alert)
        out.append(alert)
    return out
