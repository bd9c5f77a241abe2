"""The vendor receivers, each over its vendor's own payloads and signatures
(tests/fixtures/vendors: real captures and assembled samples, byte-exact;
signatures.json has the headers each vendor would send, computed over those
bytes with test secrets). Authentication and parsing are called directly;
the route through POST /hooks/... is tested with the hooks."""
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from chalicelib import settings
from chalicelib.errors import Invalid, Unauthorized, Unavailable
from chalicelib.identity.tokens import hash_token
from chalicelib.ops.vendors import VENDORS, sns
from chalicelib.ops.vendors.base import HookRequest
from chalicelib.store.records import Integration
from tests.servers import serve

FIXTURES = Path(__file__).parent / "fixtures" / "vendors"
SIGNED = json.loads((FIXTURES / "signatures.json").read_text())
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
PD_SECRET, PD_OLD_SECRET = "pd-test-secret-0123456789abcdef0123456789abcdef", \
    "pd-test-secret-OLD-fedcba9876543210fedcba98765432"
GH_SECRET = "gh-test-webhook-secret"
CERT_PATH = "/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
URL_SECRET = "sns-url-secret-4b1d"


def integration(type_name, **fields) -> Integration:
    return Integration(account_id="acct", id="int1", type=type_name, name=type_name, created_at="2026-12-01T00:00:00Z",
                       **fields)


def delivery(file, headers=None, body=None, path_secret=None) -> HookRequest:
    """A delivery of a fixture file with the headers signatures.json gives it (or `headers`)."""
    if headers is None:
        headers = next((e["headers"] for group in ("grafana", "pagerduty", "github", "sns") for e in SIGNED[group]
                        if e.get("file") == file), {})
    raw = body if body is not None else (FIXTURES / file).read_bytes()
    return HookRequest({k.lower(): v for k, v in headers.items()}, raw, path_secret)


def edited(file, change) -> bytes:
    """A fixture's JSON changed by `change(payload)` (for parsing only: its signature no longer holds)."""
    payload = json.loads((FIXTURES / file).read_bytes())
    change(payload)
    return json.dumps(payload).encode()


def refused(call, error=Invalid) -> Exception:
    with pytest.raises(error) as caught:
        call()
    return caught.value


def test_every_vendor_is_registered_with_its_kind_of_secret():
    assert {name: v.secret_kind for name, v in VENDORS.items()} == {
        "alertmanager": "token", "grafana": "token", "pagerduty": "signing", "cloudwatch": "token",
        "github": "signing"}


# Grafana ---------------------------------------------------------------------------------------------------

GRAFANA = VENDORS["grafana"]
GRAFANA_TOKEN = "test-grafana-token-7c1d"  # the bearer credentials in signatures.json's Grafana headers


def test_grafana_needs_the_integrations_bearer_token_and_not_an_hmac():
    mine = integration("grafana", token_hash=hash_token(GRAFANA_TOKEN))
    GRAFANA.authenticate(mine, delivery("grafana-firing.json"), NOW)
    other = integration("grafana", token_hash=hash_token("another-token"))
    assert "not this integration's secret" in str(refused(
        lambda: GRAFANA.authenticate(other, delivery("grafana-firing.json"), NOW), Unauthorized))
    # Grafana's optional HMAC signature alone is not enough: the contact point must send the token.
    signed_only = {k: v for k, v in SIGNED["grafana"][0]["headers"].items() if k != "Authorization"}
    assert "Missing credentials" in str(refused(
        lambda: GRAFANA.authenticate(mine, delivery("grafana-firing.json", signed_only), NOW), Unauthorized))


def test_grafana_firing_then_resolved_is_one_alerts_firing_with_grafanas_fields():
    mine = integration("grafana")
    fired = GRAFANA.parse(mine, delivery("grafana-firing.json"), NOW)
    resolved = GRAFANA.parse(mine, delivery("grafana-resolved.json"), NOW)
    [a], [b] = fired.alerts, resolved.alerts
    assert (a.key, a.name, a.status, a.starts_at, a.ends_at) == (
        "grafana#e6349a25f5ef0e9e", "Memory (copy)", "firing", "2024-03-01T02:09:00Z", None)
    assert (b.key, b.status, b.starts_at, b.ends_at) == (
        "grafana#e6349a25f5ef0e9e", "resolved", "2024-03-01T02:09:00Z", "2024-03-01T02:14:00Z")
    assert json.loads(a.annotations["grafana_values"]) == {"A": 2473545728, "B": 0, "C": 1, "minute": 9}
    assert a.annotations["grafana_value_string"].startswith("[ var='A' labels={instance=node_exporter:9100")
    assert a.annotations["grafana_dashboard_url"] == "https://play.grafana.org/d/ece9fb32-7f71-4be9-bd94-2f23608ae5b9?orgId=1"
    assert a.annotations["grafana_panel_url"].endswith("viewPanel=2")
    assert a.annotations["grafana_silence_url"].startswith("https://play.grafana.org/alerting/silence/new?")
    assert a.annotations["grafana_image_url"] == "https://grafana.com/assets/img/blog/mixed_styles.png"
    assert "grafana_image_url" not in b.annotations and a.annotations["summary"] == "High memory usage"
    assert a.labels == {"alertname": "Memory (copy)", "debug": "true", "grafana_folder": "device"}
    assert a.generator_url.startswith("https://play.grafana.org/alerting/grafana/dd2f0260")
    assert fired.delivery_key != resolved.delivery_key and fired.delivery_key.startswith("sha256:")
    assert GRAFANA.parse(mine, delivery("grafana-firing.json"), NOW).delivery_key == fired.delivery_key


def test_grafana_service_and_severity_come_from_labels_as_mapped():
    def labelled(payload):
        payload["alerts"][0]["labels"].update(job="node", severity="critical")
    body = edited("grafana-firing.json", labelled)
    [alert] = GRAFANA.parse(integration("grafana"), delivery("grafana-firing.json", body=body), NOW).alerts
    assert (alert.service, alert.severity) == ("node", "critical")  # no `service` label: `job`
    folder = integration("grafana", mapping={"service": "grafana_folder"})
    [alert] = GRAFANA.parse(folder, delivery("grafana-firing.json", body=body), NOW).alerts
    assert alert.service == "device"


def test_grafana_9_resolved_without_values_or_dashboard():
    body = (FIXTURES / "extra/grafana-resolved-v9.json").read_bytes()
    [alert] = GRAFANA.parse(integration("grafana"), delivery("grafana-firing.json", body=body), NOW).alerts
    assert (alert.name, alert.status, alert.starts_at, alert.ends_at) == (
        "Test alert", "resolved", "2022-06-17T00:41:00Z", "2022-06-17T00:51:24Z")
    assert "grafana_values" not in alert.annotations and "grafana_dashboard_url" not in alert.annotations
    assert alert.annotations["grafana_value_string"].startswith("[ var='B0' metric='Value'")


@pytest.mark.parametrize("body, field", [
    (b"{not json", "body"),
    (json.dumps({"status": "firing", "alerts": {}}).encode(), "alerts"),
    (edited("grafana-firing.json", lambda p: p["alerts"][0].update(status="pending")), "alerts[0].status"),
    (edited("grafana-firing.json", lambda p: p["alerts"][0].update(startsAt="yesterday")), "alerts[0].startsAt"),
    (edited("grafana-resolved.json", lambda p: p["alerts"][0].update(endsAt="0001-01-01T00:00:00Z")),
     "alerts[0].endsAt"),
])
def test_grafana_malformed_payloads_are_refused_naming_the_field(body, field):
    error = refused(lambda: GRAFANA.parse(integration("grafana"), delivery("grafana-firing.json", body=body), NOW))
    assert error.field == field


# PagerDuty -------------------------------------------------------------------------------------------------

PAGERDUTY = VENDORS["pagerduty"]
LIFECYCLE = ["triggered", "escalated", "reassigned", "acknowledged", "resolved"]


@pytest.mark.parametrize("what", LIFECYCLE)
def test_pagerduty_signature_verifies_with_the_stored_secret(what):
    file = f"pagerduty-incident-{what}.json"
    PAGERDUTY.authenticate(integration("pagerduty", signing_secret=PD_SECRET), delivery(file), NOW)
    wrong = integration("pagerduty", signing_secret=PD_OLD_SECRET)
    assert "does not match" in str(refused(lambda: PAGERDUTY.authenticate(wrong, delivery(file), NOW), Unauthorized))


def test_pagerduty_during_a_rotation_either_secret_matches_one_of_the_signatures():
    rotation = next(e for e in SIGNED["pagerduty"] if "rotation" in e.get("case", ""))
    request = delivery(rotation["file"], rotation["headers"])
    assert request.header("x-pagerduty-signature").count("v1=") == 2
    for secret in (PD_SECRET, PD_OLD_SECRET):
        PAGERDUTY.authenticate(integration("pagerduty", signing_secret=secret), request, NOW)
    third = integration("pagerduty", signing_secret="pd-test-secret-neither")
    refused(lambda: PAGERDUTY.authenticate(third, request, NOW), Unauthorized)


def test_pagerduty_own_test_vector_verifies():
    vector = next(e for e in SIGNED["pagerduty"] if "go-pagerduty" in e.get("case", ""))
    request = delivery(vector["file"], vector["headers"])
    PAGERDUTY.authenticate(integration("pagerduty", signing_secret=vector["secret"]), request, NOW)


@pytest.mark.parametrize("headers, words", [
    ({}, "Missing X-PagerDuty-Signature"),
    ({"X-PagerDuty-Signature": "v0=e0ac216da3b83ac2b85cbd904cf2398cd4d05b9668c31d1ea70a3b31eabfc614"},
     "does not match"),
    ({"X-PagerDuty-Signature": "v1=" + "0" * 64}, "does not match"),
])
def test_pagerduty_missing_or_wrong_signatures_are_refused(headers, words):
    request = delivery("pagerduty-incident-triggered.json", headers)
    error = refused(lambda: PAGERDUTY.authenticate(integration("pagerduty", signing_secret=PD_SECRET), request, NOW),
                    Unauthorized)
    assert words in str(error)


def test_pagerduty_a_changed_body_or_no_stored_secret_is_refused():
    good = delivery("pagerduty-incident-triggered.json")
    tampered = HookRequest(good.headers, good.body.replace(b'"urgency": "high"', b'"urgency": "low"'))
    assert tampered.body != good.body
    refused(lambda: PAGERDUTY.authenticate(integration("pagerduty", signing_secret=PD_SECRET), tampered, NOW),
            Unauthorized)
    assert "no signing secret" in str(refused(
        lambda: PAGERDUTY.authenticate(integration("pagerduty"), good, NOW), Unauthorized))


def test_pagerduty_lifecycle_reads_as_one_incidents_status_changes():
    mine = integration("pagerduty", signing_secret=PD_SECRET)
    parsed = [PAGERDUTY.parse(mine, delivery(f"pagerduty-incident-{what}.json"), NOW) for what in LIFECYCLE]
    incidents = [p.incidents[0] for p in parsed]
    assert [p.delivery_key for p in parsed] == [i.event_id for i in incidents]
    assert len({p.delivery_key for p in parsed}) == 5
    assert {i.key for i in incidents} == {"pagerduty#Q1QH8K2ZJ7XW3M"}
    assert [(i.what, i.status, i.who) for i in incidents] == [
        ("triggered", "triggered", "Alertmanager"),  # an Events API integration: the client that sent it
        ("escalated", "triggered", "Dana Whitfield"),
        ("reassigned", "triggered", "Marcus Oyelaran"),
        ("acknowledged", "acknowledged", "Priya Raman"),
        ("resolved", "resolved", "Priya Raman")]
    assert [i.assignees for i in incidents] == [["Dana Whitfield"], ["Marcus Oyelaran"], ["Priya Raman"],
                                                ["Priya Raman"], []]
    assert [i.event_name for i in incidents] == ["incident.triggered", "incident.escalated", "incident.reassigned",
                                                 "incident.acknowledged", "incident.resolved"]
    first, last = incidents[0], incidents[-1]
    assert (first.title, first.number, first.service, first.urgency, first.priority, first.escalation) == (
        "[FIRING:2] HighErrorRate checkout-api (prod critical payments)", 4821, "checkout-api", "high", "P1",
        "Payments On-Call")
    assert (first.at, first.opened_at, last.at) == (
        "2026-12-06T21:21:02Z", "2026-12-06T21:21:02Z", "2026-12-06T22:05:47Z")
    assert first.url == "https://acme.pagerduty.com/incidents/Q1QH8K2ZJ7XW3M" and first.alert_keys == []
    by_id = integration("pagerduty", mapping={"service": "service.id"})
    assert PAGERDUTY.parse(by_id, delivery("pagerduty-incident-triggered.json"), NOW).incidents[0].service == "P7T3XKQ"


def test_pagerduty_a_note_leaves_the_status_unchanged_and_priority_updates_keep_theirs():
    mine = integration("pagerduty")
    body = (FIXTURES / "extra/pagerduty-zulip-annotated-v3.json").read_bytes()
    [note] = PAGERDUTY.parse(mine, delivery("pagerduty-incident-triggered.json", body=body), NOW).incidents
    assert (note.key, note.what, note.status, note.title, note.who, note.service) == (
        "pagerduty#Q3B15VLMF3ASBD", "annotated", None, "Critical: Checkout API High Latency", "Harsh Santwani", None)
    body = (FIXTURES / "extra/pagerduty-doc-priority-updated.json").read_bytes()
    [update] = PAGERDUTY.parse(mine, delivery("pagerduty-incident-triggered.json", body=body), NOW).incidents
    assert (update.what, update.status, update.priority, update.who, update.number) == (
        "priority_updated", "triggered", "P1", "Tenex Engineer", 2)


@pytest.mark.parametrize("event_type, what, status", [
    ("incident.unacknowledged", "unacknowledged", "triggered"),
    ("incident.reopened", "reopened", "triggered"),
    ("incident.delegated", "reassigned", None),  # to another escalation policy
    ("incident.escalated", "escalated", None),
])
def test_pagerduty_status_implied_by_the_event_when_the_data_has_none(event_type, what, status):
    def change(payload):
        payload["event"]["event_type"] = event_type
        del payload["event"]["data"]["status"]
    body = edited("pagerduty-incident-acknowledged.json", change)
    [incident] = PAGERDUTY.parse(integration("pagerduty"), delivery("pagerduty-incident-acknowledged.json", body=body),
                                 NOW).incidents
    assert (incident.what, incident.status) == (what, status)


@pytest.mark.parametrize("event", [
    {"id": "01SVC", "event_type": "service.updated", "data": {"id": "P1", "type": "service"}},
    {"id": "01RSP", "event_type": "incident.responder.added", "data": {"type": "incident_responder"}},
    {"id": "01WFL", "event_type": "incident.workflow.started", "data": {}},
])
def test_pagerduty_other_events_are_accepted_and_store_nothing(event):
    parsed = PAGERDUTY.parse(integration("pagerduty"), delivery("x", {}, json.dumps({"event": event}).encode()), NOW)
    assert (parsed.delivery_key, parsed.incidents, parsed.reply) == (event["id"], [], None)


def test_pagerduty_test_event_is_answered_and_keyed_by_the_webhook_id_without_an_event_id():
    ping = {"event": {"event_type": "pagey.ping", "resource_type": "pagey", "occurred_at": "2021-12-08T22:58:53.510Z",
                      "agent": None, "client": None,
                      "data": {"message": "Hello from your friend Pagey!", "type": "ping"}}}
    request = delivery("x", {"X-Webhook-Id": "whk-42"}, json.dumps(ping).encode())
    parsed = PAGERDUTY.parse(integration("pagerduty"), request, NOW)
    assert (parsed.delivery_key, parsed.reply, parsed.incidents) == ("whk-42", {"pong": True}, [])


@pytest.mark.parametrize("change, field", [
    (lambda p: p.pop("event"), "event"),
    (lambda p: p["event"].pop("event_type"), "event.event_type"),
    (lambda p: p["event"]["data"].pop("id"), "event.data.id"),
    (lambda p: p["event"].update(occurred_at="soon"), "event.occurred_at"),
    (lambda p: p["event"]["data"].update(status="snoozed"), "event.data.status"),
    (lambda p: p["event"]["data"].update(number="4821"), "event.data.number"),
    (lambda p: p["event"].update(data=[]), "event.data"),
])
def test_pagerduty_malformed_events_are_refused_naming_the_field(change, field):
    body = edited("pagerduty-incident-triggered.json", change)
    error = refused(lambda: PAGERDUTY.parse(integration("pagerduty"), delivery("x", {}, body), NOW))
    assert error.field == field


# GitHub ----------------------------------------------------------------------------------------------------

GITHUB = VENDORS["github"]
GH_FILES = ["github-deployment-status-success.json", "github-deployment-status-failure.json", "github-ping.json"]


@pytest.mark.parametrize("file", GH_FILES)
def test_github_signature_verifies_with_the_webhooks_secret(file):
    GITHUB.authenticate(integration("github", signing_secret=GH_SECRET), delivery(file), NOW)
    wrong = integration("github", signing_secret="another-secret")
    refused(lambda: GITHUB.authenticate(wrong, delivery(file), NOW), Unauthorized)


def test_github_documented_test_vector_verifies():
    vector = next(e for e in SIGNED["github"] if "docs.github.com" in e.get("case", ""))
    request = delivery("x", vector["headers"], vector["payload"].encode())
    GITHUB.authenticate(integration("github", signing_secret=vector["secret"]), request, NOW)


def test_github_missing_legacy_only_or_tampered_signatures_are_refused():
    mine = integration("github", signing_secret=GH_SECRET)
    headers = dict(SIGNED["github"][0]["headers"])
    legacy_only = {k: v for k, v in headers.items() if k != "X-Hub-Signature-256"}
    assert "Missing X-Hub-Signature-256" in str(refused(
        lambda: GITHUB.authenticate(mine, delivery(GH_FILES[0], legacy_only), NOW), Unauthorized))
    body = (FIXTURES / GH_FILES[0]).read_bytes().replace(b'"state": "success"', b'"state": "failure"')
    refused(lambda: GITHUB.authenticate(mine, delivery(GH_FILES[0], headers, body), NOW), Unauthorized)


def test_github_ping_is_answered_and_stores_nothing():
    parsed = GITHUB.parse(integration("github"), delivery("github-ping.json"), NOW)
    assert (parsed.delivery_key, parsed.reply, parsed.changes) == ("9d7a3b10-8f0b-11f0-9e2f-6c4b2a1d0e33",
                                                                  {"pong": True}, [])


def test_github_deployment_statuses_read_as_changes():
    mine = integration("github")
    ok = GITHUB.parse(mine, delivery(GH_FILES[0]), NOW)
    [success], [failure] = ok.changes, GITHUB.parse(mine, delivery(GH_FILES[1]), NOW).changes
    assert ok.delivery_key == "0b8d4a2e-8f0c-11f0-9a3c-5f2d1e6b7c11"
    assert (success.key, success.kind, success.at, success.updated_at, success.outcome, success.event_name) == (
        "github#145988746", "deploy", "2019-05-15T15:20:53Z", "2019-05-15T15:20:55Z", "success", "change.deployed")
    # No service in the deployment's payload: the repository's name; no URL on the status: the repository's.
    assert (success.service, success.environment, success.who, success.link, success.description) == (
        "Hello-World", "production", "Codertocat", "https://github.com/Codertocat/Hello-World", None)
    assert (failure.key, failure.service, failure.outcome, failure.event_name) == (
        "github#145989012", "checkout-api", "failure", "change.failed")
    assert failure.link == "https://github.com/Codertocat/Hello-World/actions/runs/9481037265/job/26123456789"
    assert failure.description == "Deploy checkout-api 2019.05.15-2"
    body = (FIXTURES / "extra/github-deployment-status-in-progress-actions.json").read_bytes()
    [running] = GITHUB.parse(mine, delivery(GH_FILES[0], body=body), NOW).changes
    assert (running.outcome, running.environment, running.who) == ("in_progress", "github-pages", "github-pages[bot]")


def test_github_service_mapping_and_a_string_payload():
    def string_payload(payload):
        payload["deployment"]["payload"] = "checkout-api"  # the REST API accepts a string
    body = edited(GH_FILES[1], string_payload)
    [change] = GITHUB.parse(integration("github"), delivery(GH_FILES[1], body=body), NOW).changes
    assert change.service == "Hello-World"
    full = integration("github", mapping={"service": "repository.full_name"})
    assert GITHUB.parse(full, delivery(GH_FILES[1]), NOW).changes[0].service == "Codertocat/Hello-World"


def test_github_form_encoded_deliveries_and_other_events():
    from urllib.parse import urlencode
    body = urlencode({"payload": (FIXTURES / GH_FILES[1]).read_text()}).encode()
    headers = {**SIGNED["github"][1]["headers"], "Content-Type": "application/x-www-form-urlencoded"}
    [change] = GITHUB.parse(integration("github"), delivery("x", headers, body), NOW).changes
    assert change.key == "github#145989012"
    push = delivery("x", {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1"}, b'{"ref": "refs/heads/main"}')
    parsed = GITHUB.parse(integration("github"), push, NOW)
    assert (parsed.delivery_key, parsed.changes, parsed.reply) == ("d-1", [], None)


@pytest.mark.parametrize("change, field", [
    (lambda p: p.pop("deployment"), "deployment"),
    (lambda p: p.pop("deployment_status"), "deployment_status"),
    (lambda p: p["deployment"].update(created_at="last week"), "deployment.created_at"),
    (lambda p: p["deployment"].pop("id"), "deployment.id"),
    (lambda p: p["deployment_status"].pop("state"), "deployment_status.state"),
])
def test_github_malformed_deployment_statuses_are_refused_naming_the_field(change, field):
    body = edited(GH_FILES[0], change)
    error = refused(lambda: GITHUB.parse(integration("github"), delivery(GH_FILES[0], body=body), NOW))
    assert error.field == field


# CloudWatch through SNS ------------------------------------------------------------------------------------

CLOUDWATCH = VENDORS["cloudwatch"]
SNS_FILES = ["sns-subscription-confirmation.json", "sns-cloudwatch-alarm.json", "sns-cloudwatch-ok.json",
             "extra/sns-subscription-confirmation-sigv2.json", "extra/sns-cloudwatch-alarm-sigv2.json",
             "extra/sns-cloudwatch-ok-sigv2.json"]
REAL_CERT_PATH = "/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"


@pytest.fixture
def sns_host():
    """SNS's certificate host, on loopback: serves the test certificate (and
    the real AWS one) at their paths; `requests` lists what was asked."""
    certs = {CERT_PATH: (FIXTURES / "extra/sns-test-signing-cert.pem").read_bytes(),
             REAL_CERT_PATH: (FIXTURES / "extra/sns-aws-real-cert-2021.pem").read_bytes()}
    requests, answers = [], {}

    def answer(method, path, body):
        return answers.get(path) or ((200, certs[path]) if path in certs else 404)
    sns.certificate.cache_clear()
    with serve(answer, record=requests) as base, settings.override(sns_cert_base_url=base):
        yield type("Host", (), {"base": base, "requests": requests, "answers": answers})
    sns.certificate.cache_clear()


def sns_delivery(file, body=None, path_secret=URL_SECRET):
    return delivery(file, body=body, path_secret=path_secret)


def cloudwatch(**fields):
    return integration("cloudwatch", token_hash=hash_token(URL_SECRET), **fields)


def test_sns_v1_and_v2_signatures_verify_with_the_certificate_fetched_once(sns_host):
    for file in SNS_FILES:
        assert json.loads((FIXTURES / file).read_bytes())["SignatureVersion"] in ("1", "2")
        CLOUDWATCH.authenticate(cloudwatch(), sns_delivery(file), NOW)
    assert [(r["method"], r["path"]) for r in sns_host.requests] == [("GET", CERT_PATH)]


def test_sns_real_aws_signed_messages_verify_while_their_certificate_was_valid(sns_host):
    messages = json.loads((FIXTURES / "extra/sns-aws-real-signed-messages.json").read_bytes())["messages"]
    then = datetime(2022, 8, 1, tzinfo=UTC)
    for message in messages:
        CLOUDWATCH.authenticate(cloudwatch(), sns_delivery("x", json.dumps(message).encode()), then)
    expired = refused(lambda: CLOUDWATCH.authenticate(cloudwatch(), sns_delivery("x", json.dumps(messages[0]).encode()),
                                                      NOW), Unauthorized)
    assert "not valid now" in str(expired)
    # Signed by SNS, but not a CloudWatch alarm: refused with the reason.
    error = refused(lambda: CLOUDWATCH.parse(cloudwatch(), sns_delivery("x", json.dumps(messages[0]).encode()), then))
    assert error.field == "Message"


@pytest.mark.parametrize("change", [
    lambda m: m.update(Message=m["Message"].replace('"NewStateValue":"ALARM"', '"NewStateValue":"OK"')),
    lambda m: m.pop("Subject"),
    lambda m: m.update(Timestamp="2026-12-06T21:20:42.612Z"),
    lambda m: m.update(Signature=m["Signature"][:-8] + "AAAAAAA="),
])
def test_sns_a_changed_message_does_not_verify(sns_host, change):
    body = edited("sns-cloudwatch-alarm.json", change)
    error = refused(lambda: CLOUDWATCH.authenticate(cloudwatch(), sns_delivery("x", body), NOW), Unauthorized)
    assert "does not verify" in str(error)


@pytest.mark.parametrize("url", [
    "http://sns.us-east-1.amazonaws.com" + CERT_PATH,
    "https://sns.us-east-1.amazonaws.com.evil.example" + CERT_PATH,
    "https://s3.amazonaws.com/sns-bucket" + CERT_PATH,
    "https://evil.example/sns.us-east-1.amazonaws.com.pem",
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.txt",
    "https://sns.us-east-1.amazonaws.com:8443" + CERT_PATH,
    "https://user@sns.us-east-1.amazonaws.com" + CERT_PATH,
    None,
])
def test_sns_certificate_urls_off_sns_are_refused_without_a_fetch(sns_host, url):
    body = edited("sns-cloudwatch-alarm.json", lambda m: m.update(SigningCertURL=url))
    error = refused(lambda: CLOUDWATCH.authenticate(cloudwatch(), sns_delivery("x", body), NOW), Unauthorized)
    assert "SigningCertURL must be" in str(error) and sns_host.requests == []


def test_sns_china_regions_host_is_an_sns_host():
    assert sns.on_sns("https://sns.cn-north-1.amazonaws.com.cn" + CERT_PATH, pem=True)


def test_sns_signature_versions_other_than_1_and_2_and_a_wrong_url_secret_are_refused(sns_host):
    body = edited("sns-cloudwatch-alarm.json", lambda m: m.update(SignatureVersion="3"))
    assert "SignatureVersion" in str(refused(
        lambda: CLOUDWATCH.authenticate(cloudwatch(), sns_delivery("x", body), NOW), Unauthorized))
    for secret in ("sns-url-secret-wrong", None):
        error = refused(lambda s=secret: CLOUDWATCH.authenticate(
            cloudwatch(), sns_delivery("sns-cloudwatch-alarm.json", path_secret=s), NOW), Unauthorized)
        assert "URL's secret" in str(error)
    assert sns_host.requests == []


def test_sns_certificate_host_failures(sns_host):
    sns_host.answers[CERT_PATH] = 503
    refused(lambda: CLOUDWATCH.authenticate(cloudwatch(), sns_delivery("sns-cloudwatch-alarm.json"), NOW), Unavailable)
    sns_host.answers[CERT_PATH] = (200, b"not a certificate")
    assert "not a PEM" in str(refused(
        lambda: CLOUDWATCH.authenticate(cloudwatch(), sns_delivery("sns-cloudwatch-alarm.json"), NOW), Unauthorized))
    sns_host.answers[CERT_PATH] = 404
    refused(lambda: CLOUDWATCH.authenticate(cloudwatch(), sns_delivery("sns-cloudwatch-alarm.json"), NOW), Unauthorized)
    del sns_host.answers[CERT_PATH]  # a failure is not kept: the next delivery fetches again
    CLOUDWATCH.authenticate(cloudwatch(), sns_delivery("sns-cloudwatch-alarm.json"), NOW)
    assert len(sns_host.requests) == 4


def test_sns_subscription_confirmation_asks_to_visit_its_subscribe_url(sns_host):
    parsed = CLOUDWATCH.parse(cloudwatch(), sns_delivery("sns-subscription-confirmation.json"), NOW)
    assert parsed.delivery_key == "e224f631-29b1-4319-8fa6-1a770d979564" and parsed.alerts == []
    assert parsed.confirm_url.startswith(sns_host.base + "/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:")
    with settings.override(sns_cert_base_url=""):
        parsed = CLOUDWATCH.parse(cloudwatch(), sns_delivery("sns-subscription-confirmation.json"), NOW)
    assert parsed.confirm_url.startswith("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&")
    foreign = edited("sns-subscription-confirmation.json",
                     lambda m: m.update(SubscribeURL="https://evil.example/?Action=ConfirmSubscription"))
    assert refused(lambda: CLOUDWATCH.parse(cloudwatch(), sns_delivery("x", foreign), NOW)).field == "SubscribeURL"
    bye = edited("sns-subscription-confirmation.json", lambda m: m.update(Type="UnsubscribeConfirmation"))
    parsed = CLOUDWATCH.parse(cloudwatch(), sns_delivery("x", bye), NOW)
    assert (parsed.alerts, parsed.confirm_url) == ([], None)


def test_cloudwatch_alarm_and_ok_are_one_alarms_firing_start_and_end():
    [fired] = CLOUDWATCH.parse(cloudwatch(), sns_delivery("sns-cloudwatch-alarm.json"), NOW).alerts
    ok = CLOUDWATCH.parse(cloudwatch(), sns_delivery("sns-cloudwatch-ok.json"), NOW)
    [ended] = ok.alerts
    assert ok.delivery_key == "b3838ef5-d9ce-4574-98ca-94efc7617140"
    assert fired.key == ended.key and fired.key.startswith("cloudwatch#")
    assert (fired.name, fired.status, fired.starts_at, fired.ends_at) == (
        "checkout-api-5xx-rate-high", "firing", "2026-12-06T21:20:41Z", None)
    assert (ended.status, ended.starts_at, ended.ends_at) == ("resolved", "", "2026-12-06T22:05:41Z")
    assert fired.labels == {"TargetGroup": "targetgroup/checkout-api-prod/0f3c5a7e9b1d2c4e",
                            "LoadBalancer": "app/checkout-api-prod/6a1b2c3d4e5f6a7b", "namespace": "AWS/ApplicationELB",
                            "metric": "HTTPCode_Target_5XX_Count", "region": "us-east-1"}
    assert fired.annotations["description"].startswith("5xx responses from checkout-api targets")
    assert fired.annotations["reason"].startswith("Threshold Crossed: 3 out of the last 5 datapoints")
    assert (fired.service, fired.severity) == ("AWS/ApplicationELB", None)  # no service dimension: the namespace
    assert fired.generator_url.endswith("region=us-east-1#alarmsV2:alarm/checkout-api-5xx-rate-high")


@pytest.mark.parametrize("mapping, service, severity", [
    ({"service": "dimension:LoadBalancer"}, "app/checkout-api-prod/6a1b2c3d4e5f6a7b", None),
    ({"service": "topic", "severity": "warning"}, "ops-alarms", "warning"),
    ({"service": ["alarm_name_prefix", "dimension:FunctionName", "checkout-api"]}, "checkout-api", None),
])
def test_cloudwatch_service_and_severity_as_the_integration_maps_them(mapping, service, severity):
    [alert] = CLOUDWATCH.parse(cloudwatch(mapping=mapping), sns_delivery("sns-cloudwatch-alarm.json"), NOW).alerts
    assert (alert.service, alert.severity) == (service, severity)


def test_cloudwatch_alarm_name_prefix_and_service_dimension():
    def rename(message):
        alarm = json.loads(message["Message"])
        alarm["AlarmName"] = "payments: queue depth"
        alarm["Trigger"]["Dimensions"].append({"name": "ServiceName", "value": "payments-worker"})
        message["Message"] = json.dumps(alarm)
    body = edited("sns-cloudwatch-alarm.json", rename)
    [alert] = CLOUDWATCH.parse(cloudwatch(), sns_delivery("x", body), NOW).alerts
    assert alert.service == "payments-worker"
    [alert] = CLOUDWATCH.parse(cloudwatch(mapping={"service": "alarm_name_prefix"}), sns_delivery("x", body),
                               NOW).alerts
    assert alert.service == "payments"


@pytest.mark.parametrize("old, status", [("ALARM", "resolved"), ("OK", None)])
def test_cloudwatch_insufficient_data_ends_a_firing_only_when_it_was_in_alarm(old, status):
    def state(message):
        alarm = json.loads(message["Message"])
        alarm.update(NewStateValue="INSUFFICIENT_DATA", OldStateValue=old)
        message["Message"] = json.dumps(alarm)
    alerts = CLOUDWATCH.parse(cloudwatch(), sns_delivery("x", edited("sns-cloudwatch-ok.json", state)), NOW).alerts
    assert [a.status for a in alerts] == ([status] if status else [])


def test_cloudwatch_metric_math_alarm_labels_come_from_its_metrics():
    message = json.loads((FIXTURES / "extra/cloudwatch-alarm-message-metric-math.json").read_bytes())["Message"]
    body = edited("sns-cloudwatch-alarm.json", lambda m: m.update(Message=message))
    [alert] = CLOUDWATCH.parse(cloudwatch(), sns_delivery("x", body), NOW).alerts
    assert (alert.name, alert.starts_at, alert.service) == ("EXAMPLE", "2015-06-03T17:43:27Z", "AWS/EC2")
    assert {k: alert.labels[k] for k in ("InstanceId", "namespace", "metric")} == {
        "InstanceId": "TestInstance", "namespace": "AWS/EC2", "metric": "NetworkOut"}


@pytest.mark.parametrize("body, field", [
    (b"not json", "body"),
    ((FIXTURES / "extra/cloudwatch-alarm-message-metric-math.json").read_bytes(), "Type"),  # raw message delivery
    (edited("sns-cloudwatch-alarm.json", lambda m: m.update(Message="Hello world")), "Message"),
    (edited("sns-cloudwatch-alarm.json", lambda m: m.update(Message=m["Message"].replace('"ALARM"', '"ALARMING"'))),
     "Message.NewStateValue"),
    (edited("sns-cloudwatch-alarm.json",
            lambda m: m.update(Message=m["Message"].replace("2026-12-06T21:20:41.507+0000", "now"))),
     "Message.StateChangeTime"),
    (edited("sns-cloudwatch-alarm.json", lambda m: m.pop("MessageId")), "MessageId"),
])
def test_cloudwatch_malformed_deliveries_are_refused_naming_the_field(body, field):
    assert refused(lambda: CLOUDWATCH.parse(cloudwatch(), sns_delivery("x", body), NOW)).field == field


# Setup -----------------------------------------------------------------------------------------------------

URL = "https://sre.example.com/hooks/int1"


def test_alertmanager_setup_is_a_receivers_block_with_the_token():
    text = VENDORS["alertmanager"].setup(URL, "s3cret-token")
    config = yaml.safe_load(text[text.index("receivers:"):text.index("and a route")])
    [hook] = config["receivers"][0]["webhook_configs"]
    assert hook["url"] == URL and hook["send_resolved"] is True
    assert hook["http_config"]["authorization"] == {"type": "Bearer", "credentials": "s3cret-token"}


def test_each_tool_is_told_the_url_and_the_secret_in_its_own_words():
    grafana = VENDORS["grafana"].setup(URL, "s3cret-token")
    assert f"URL: {URL}" in grafana and "Authorization Header - Credentials: s3cret-token" in grafana
    github = VENDORS["github"].setup(URL, "s3cret-signing")
    assert all(s in github for s in (f"Payload URL: {URL}", "Content type: application/json", "Secret: s3cret-signing",
                                     "Deployment statuses"))
    pagerduty = VENDORS["pagerduty"].setup(URL, "generated-q7z")
    assert f"Webhook URL: {URL}" in pagerduty and "signing_secret" in pagerduty and "generated-q7z" not in pagerduty
    aws = VENDORS["cloudwatch"].setup(URL, "in-the-url")
    assert f"--protocol https --notification-endpoint '{URL}'" in aws and "aws sns subscribe" in aws
