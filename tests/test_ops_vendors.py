"""Each vendor's fixtures through the real route, POST /hooks/...: a good
delivery and the model it makes, a bad signature (401, counted), a malformed
body (400, nothing stored), a redelivery (stored once); the SNS subscription
confirmed through the route; incidents and changes firing event triggers."""
import json
from pathlib import Path

import pytest

from chalicelib import settings
from chalicelib.ops.vendors import sns
from chalicelib.store import repos
from tests.conftest import rule_body
from tests.servers import serve

FIXTURES = Path(__file__).parent / "fixtures" / "vendors"
SIGNED = json.loads((FIXTURES / "signatures.json").read_text())
PD_SECRET = "pd-test-secret-0123456789abcdef0123456789abcdef"
GH_SECRET = "gh-test-webhook-secret"
CERT_PATH = "/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
WINDOW = "since=2026-12-01T00:00:00Z&until=2026-12-08T00:00:00Z"
PD_LIFECYCLE = ["pagerduty-incident-triggered.json", "pagerduty-incident-escalated.json",
                "pagerduty-incident-reassigned.json", "pagerduty-incident-acknowledged.json",
                "pagerduty-incident-resolved.json"]


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def signed_headers(group: str, file: str) -> dict:
    return dict(next(e["headers"] for e in SIGNED[group] if e.get("file") == file))


def make(api, key, type_, **body):
    return api.ok("POST", "/integrations", key, {"type": type_, "name": type_, **body}, status=201)


def post(api, made, body: bytes, headers: dict, status=200, secret_in_path=False):
    path = made["integration"]["url"].removeprefix("http://testserver")
    if secret_in_path:
        path = path.rsplit("/", 1)[0] + "/" + made["secret"]
    code, answer = api.call("POST", path, headers=headers, raw=body)
    assert code == status, (code, answer)
    return answer


def shown(api, key, made) -> dict:
    return api.ok("GET", f"/integrations/{made['integration']['id']}", key)["integration"]


# --- Grafana ----------------------------------------------------------------------------------


def test_grafana_alerts_arrive_with_its_links_and_a_wrong_token_is_refused(api, owner):
    made = make(api, owner, "grafana")
    headers = {**signed_headers("grafana", "grafana-firing.json"), "Authorization": f"Bearer {made['secret']}"}
    answer = post(api, made, raw("grafana-firing.json"), headers)
    assert answer["received"]["alerts"] >= 1
    alert = api.ok("GET", "/alerts/grafana/e6349a25f5ef0e9e", owner)["alert"]
    assert alert["name"] == "Memory (copy)" and alert["status"] == "firing"
    assert alert["annotations"]["grafana_silence_url"].startswith("https://play.grafana.org/alerting/silence/new")
    assert post(api, made, raw("grafana-firing.json"), headers)["duplicate"] is True
    wrong = {**headers, "Authorization": "Bearer test-grafana-token-7c1d"}  # the fixture's, not this integration's
    post(api, made, raw("grafana-firing.json"), wrong, status=401)
    post(api, made, b'{"alerts": "none"}', headers, status=400)
    assert (shown(api, owner, made)["refused"], len(shown(api, owner, made)["errors"])) == (1, 2)


# --- PagerDuty --------------------------------------------------------------------------------


def test_a_pagerduty_incident_lifecycle_becomes_one_incident_with_its_timeline(api, owner):
    made = make(api, owner, "pagerduty")
    assert "own signing secret" in made["setup"] or "signing_secret" in made["setup"]
    file = PD_LIFECYCLE[0]
    answer = post(api, made, raw(file), signed_headers("pagerduty", file), status=401)  # our secret, not PagerDuty's
    assert "signature" in answer["Message"].lower()
    api.ok("PUT", f"/integrations/{made['integration']['id']}", owner, {"signing_secret": PD_SECRET})
    for file in PD_LIFECYCLE:
        answer = post(api, made, raw(file), signed_headers("pagerduty", file))
        assert answer["received"]["incidents"] == 1, file
    again = post(api, made, raw(PD_LIFECYCLE[1]), signed_headers("pagerduty", PD_LIFECYCLE[1]))  # a retry
    assert again["duplicate"] is True and again["events"] == []
    found = api.ok("GET", f"/incidents?{WINDOW}", owner)["incidents"]
    assert [i["key"] for i in found] == ["pagerduty#Q1QH8K2ZJ7XW3M"]
    timeline = api.ok("GET", "/incidents/pagerduty/Q1QH8K2ZJ7XW3M", owner)
    incident = timeline["incident"]
    assert incident["status"] == "resolved" and incident["service"] == "checkout-api"
    assert incident["urgency"] == "high" and incident["resolved_at"] and incident["acknowledged_at"]
    assert [e["what"] for e in timeline["timeline"]] == ["triggered", "escalated", "reassigned", "acknowledged",
                                                          "resolved"]
    assert [e["who"].split()[0] for e in timeline["timeline"]][1:] == ["Dana", "Marcus", "Priya", "Priya"]
    assert timeline["metrics"]["time_to_acknowledge_seconds"] > 0
    events = api.ok("GET", "/events?event=incident.*&since=2026-12-01T00:00:00Z", owner)["events"]
    assert sorted(e["event"] for e in events) == sorted(f"incident.{w}" for w in (
        "triggered", "escalated", "reassigned", "acknowledged", "resolved"))


def test_a_pagerduty_delivery_with_a_bad_signature_or_body_stores_nothing(api, owner):
    made = make(api, owner, "pagerduty", signing_secret=PD_SECRET)
    file = PD_LIFECYCLE[0]
    tampered = raw(file).replace(b"checkout-api", b"checkout-apx")
    post(api, made, tampered, signed_headers("pagerduty", file), status=401)
    headers = {k: v for k, v in signed_headers("pagerduty", file).items() if k != "X-PagerDuty-Signature"}
    post(api, made, raw(file), headers, status=401)
    assert api.ok("GET", f"/incidents?{WINDOW}", owner)["incidents"] == []
    assert shown(api, owner, made)["refused"] == 2


def test_a_triggered_pagerduty_incident_starts_the_postmortem_with_it(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(
        name="post-mortem", template_id="incident-postmortem",
        triggers=[{"type": "event", "expect": ["incident.triggered"]}]), status=201)["automation"]
    made = make(api, owner, "pagerduty", signing_secret=PD_SECRET)
    answer = post(api, made, raw(PD_LIFECYCLE[0]), signed_headers("pagerduty", PD_LIFECYCLE[0]))
    assert len(answer["runs"]) == 1
    run = repos.runs.get(answer["runs"][0])
    assert run.automation_id == rule["id"]
    assert run.trigger_event["resource"]["id"] == "pagerduty#Q1QH8K2ZJ7XW3M"
    assert run.trigger_event["payload"]["service"] == "checkout-api"


# --- GitHub -----------------------------------------------------------------------------------


def test_github_deployment_statuses_become_changes_and_a_ping_stores_nothing(api, owner):
    made = make(api, owner, "github", signing_secret=GH_SECRET)
    ping = post(api, made, raw("github-ping.json"), signed_headers("github", "github-ping.json"))
    assert ping["pong"] is True and ping["runs"] == []
    for file in ("github-deployment-status-success.json", "github-deployment-status-failure.json"):
        answer = post(api, made, raw(file), signed_headers("github", file))
        assert answer["received"]["changes"] == 1, file
    post(api, made, raw("github-deployment-status-failure.json"),
         signed_headers("github", "github-deployment-status-failure.json"))  # redelivered: nothing new
    changes = api.ok("GET", "/changes?since=2019-05-01T00:00:00Z&until=2019-05-31T00:00:00Z", owner)["changes"]
    assert changes, changes
    assert all(c["kind"] == "deploy" for c in changes), changes
    # the failure names its service in the deployment payload; the success falls back to the repository
    assert {c["key"]: c["service"] for c in changes} == {"github#145989012": "checkout-api",
                                                         "github#145988746": "Hello-World"}
    assert {c["outcome"] for c in changes} <= {"success", "failure"} and changes[0]["who"] == "Codertocat"
    events = api.ok("GET", "/events?event=change.*&since=2019-05-01T00:00:00Z&until=2019-05-31T00:00:00Z",
                    owner)["events"]
    assert {e["event"] for e in events} <= {"change.deployed", "change.failed"} and len(events) == 2
    post(api, made, raw("github-ping.json"), {**signed_headers("github", "github-ping.json"),
                                              "X-Hub-Signature-256": "sha256=" + "0" * 64}, status=401)


# --- CloudWatch through SNS -------------------------------------------------------------------


@pytest.fixture
def sns_host():
    """SNS on loopback: the signing certificate at its path, and the SubscribeURL answering 200."""
    cert = raw("extra/sns-test-signing-cert.pem")
    asked = []

    def answer(method, path, body):
        if path == CERT_PATH:
            return 200, cert
        return (200, b"<ConfirmSubscriptionResponse/>") if "ConfirmSubscription" in path else 404
    sns.certificate.cache_clear()
    with serve(answer, record=asked) as base, settings.override(sns_cert_base_url=base):
        yield asked
    sns.certificate.cache_clear()


def test_cloudwatch_alarms_through_sns_confirm_then_fire_and_resolve(api, owner, sns_host):
    made = make(api, owner, "cloudwatch")
    assert made["integration"]["url"].endswith("/" + made["secret"])  # SNS sends no headers: the secret is in the URL
    assert made["secret"] not in shown(api, owner, made)["url"]
    confirmation = "sns-subscription-confirmation.json"
    answer = post(api, made, raw(confirmation), signed_headers("sns", confirmation), secret_in_path=True)
    assert answer["confirmed"] is True
    assert any("ConfirmSubscription" in r["path"] for r in sns_host)
    assert shown(api, owner, made)["confirmed_at"]
    alarm = post(api, made, raw("sns-cloudwatch-alarm.json"), signed_headers("sns", "sns-cloudwatch-alarm.json"),
                 secret_in_path=True)
    assert alarm["received"]["alerts"] == 1
    ok = post(api, made, raw("sns-cloudwatch-ok.json"), signed_headers("sns", "sns-cloudwatch-ok.json"),
              secret_in_path=True)
    assert ok["received"]["alerts"] == 1
    alerts = api.ok("GET", "/alerts", owner)["alerts"]
    assert len(alerts) == 1 and alerts[0]["name"] == "checkout-api-5xx-rate-high"
    assert alerts[0]["status"] == "resolved" and alerts[0]["labels"]["region"] == "us-east-1"
    history = api.ok("GET", "/alerts/" + alerts[0]["key"].replace("#", "/"), owner)
    assert len(history["firings"]) == 1 and history["firings"][0]["end"]


def test_cloudwatch_refuses_a_wrong_url_secret_or_a_bad_signature(api, owner, sns_host):
    made = make(api, owner, "cloudwatch")
    file = "sns-cloudwatch-alarm.json"
    path = made["integration"]["url"].removeprefix("http://testserver").rsplit("/", 1)[0]
    code, _ = api.call("POST", path + "/srein_wrong", headers=signed_headers("sns", file), raw=raw(file))
    assert code == 401
    code, _ = api.call("POST", path, headers=signed_headers("sns", file), raw=raw(file))  # no secret at all
    assert code == 401
    forged = raw(file).replace(b"checkout-api-5xx-rate-high", b"checkout-api-5xx-rate-hig")
    post(api, made, forged, signed_headers("sns", file), status=401, secret_in_path=True)
    assert api.ok("GET", "/alerts", owner)["alerts"] == []
    assert shown(api, owner, made)["refused"] == 3
