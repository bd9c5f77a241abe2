"""Grafana Alerting's webhook contact point (unified alerting, payload
version "1"): Alertmanager's v4 shape plus Grafana's own fields, read with
`alerts_of`. Grafana's per-alert extras are kept as annotations:

    values        grafana_values         the last evaluation, ref id -> number (JSON)
    valueString   grafana_value_string   the same with each series' labels, as Grafana prints it
    dashboardURL  grafana_dashboard_url  panelURL -> grafana_panel_url, silenceURL -> grafana_silence_url,
                                         imageURL -> grafana_image_url (each only when not empty)

The top-level `title`, `state`, `message` and `orgId` are a rendering of the
same alerts (Grafana's docs mark them for deprecation) and are not kept.

Authentication is the contact point's "Authorization header" (scheme Bearer,
credentials = the integration's secret). Grafana 12 can also sign the body
(HMAC-SHA256 in `X-Grafana-Alerting-Signature`); it is optional, newer than
the header, and proves no more than the bearer token over HTTPS, so it is
not asked for and not checked: one secret, one way, like Alertmanager.
Grafana sends no delivery id: the body's digest is the delivery key, and a
firing is identified by (fingerprint, startsAt), so a repeat changes nothing."""
import json

from chalicelib.ops.arrivals import Parsed
from chalicelib.ops.vendors.alertmanager import alerts_of
from chalicelib.ops.vendors.base import Vendor, body_digest, json_body

# Grafana's field -> the annotation it is kept as.
LINKS = {"dashboardURL": "grafana_dashboard_url", "panelURL": "grafana_panel_url",
         "silenceURL": "grafana_silence_url", "imageURL": "grafana_image_url"}


class Grafana(Vendor):
    type = "grafana"
    title = "Grafana Alerting"
    secret_kind = "token"
    default_mapping = {"service": ["service", "job"], "severity": ["severity"]}

    def parse(self, integration, request, now) -> Parsed:
        payload = json_body(request)
        return Parsed(delivery_key=body_digest(request),
                      alerts=alerts_of(payload, self.type, self.mapping(integration), extra=grafana_fields))

    def setup(self, url: str, secret: str) -> str:
        return (
            "In Grafana: Alerting → Contact points → + Add contact point\n"
            "  Name: SRE automations\n"
            "  Integration: Webhook\n"
            f"  URL: {url}\n"
            "  Optional Webhook settings:\n"
            "    HTTP Method: POST\n"
            "    Authorization Header - Scheme: Bearer\n"
            f"    Authorization Header - Credentials: {secret}\n"
            "  Leave \"Disable resolved message\" off (resolved alerts end their firing here).\n"
            "Press Test, save, then choose the contact point in a notification policy\n"
            "(or in the alert rules' notification settings).\n"
            "\n"
            "File provisioning (provisioning/alerting/*.yaml):\n"
            "apiVersion: 1\n"
            "contactPoints:\n"
            "  - orgId: 1\n"
            "    name: SRE automations\n"
            "    receivers:\n"
            "      - uid: sre-automations\n"
            "        type: webhook\n"
            "        settings:\n"
            f"          url: {url}\n"
            "          httpMethod: POST\n"
            "          authorization_scheme: Bearer\n"
            f"          authorization_credentials: {secret}\n")


def grafana_fields(raw: dict, alert) -> None:
    """Grafana's per-alert extras, as annotations (optional fields: a
    missing or odd one is left out, never a reason to refuse the alerts)."""
    values = raw.get("values")
    if isinstance(values, dict) and values:
        numbers = {str(k)[:64]: v for k, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        alert.annotations["grafana_values"] = json.dumps(numbers, separators=(",", ":"))[:1024]
    if isinstance(raw.get("valueString"), str) and raw["valueString"]:
        alert.annotations["grafana_value_string"] = raw["valueString"][:1024]
    for name, key in LINKS.items():
        if isinstance(raw.get(name), str) and raw[name]:
            alert.annotations[key] = raw[name][:1024]
