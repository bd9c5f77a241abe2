"""GET /openapi.json: a valid OpenAPI 3.1 document that describes exactly the
routes the app serves."""
import hashlib
import hmac
import json
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate

from chalicelib import worker
from chalicelib.clock import utcnow
from tests.conftest import rule_body


def test_document_is_valid_and_public(api):
    code, doc = api.call("GET", "/openapi.json")
    assert code == 200
    validate(doc)
    assert doc["servers"] == [{"url": "http://testserver"}]


def test_every_route_is_described_and_nothing_else(api):
    from app import app
    _, doc = api.call("GET", "/openapi.json")
    served = {(path, method.lower()) for path, entry in app.routes.items() for method in entry}
    described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert served == described


def test_public_routes_are_marked_and_others_need_a_key(api):
    _, doc = api.call("GET", "/openapi.json")
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if path in ("/health", "/openapi.json") or path.startswith("/ai-sre/"):  # the console's pages
                assert op["security"] == []
            elif path.startswith("/trigger/"):
                assert op["security"] == [{"triggerToken": []}]
            elif path.endswith(("/heartbeat", "/claim")):
                assert op["security"] == [{"runnerToken": []}]
            elif path.startswith("/runs/") and (path.endswith(("/session", "/lease", "/outcome"))
                                                or path == "/runs/{run_id}/tools/{name}"):
                assert op["security"] == [{"leaseToken": []}]
            elif path.startswith("/hooks/"):  # a monitoring tool's delivery: the integration's secret, never a key
                assert op["security"] and {"apiKey": []} not in op["security"]
                assert {"401", "404"} <= set(op["responses"])
            else:
                assert "security" not in op and "401" in op["responses"], (path, method)


# --- the operations routes: real answers against the document's schemas ------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "vendors"


def _validator(doc: dict, schema: dict) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": doc["components"]}, format_checker=FormatChecker())


def _conforms(doc: dict, path: str, method: str, code: int, answer, part: str = "responses") -> None:
    """`answer` is what the document says `method path` answers with `code` (or, part=requestBody, takes)."""
    entry = doc["paths"][path][method]
    spec = entry["requestBody"] if part == "requestBody" else entry["responses"][str(code)]
    if "content" not in spec:  # a 204
        assert answer is None, (method, path, code, answer)
        return
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in _validator(doc, spec["content"]["application/json"]["schema"]).iter_errors(answer)]
    assert not errors, (method, path, code, errors[:5])


def _checked(api, doc, method, path, template, key, body=None, status=200, **kw):
    """Call a route and check its answer against the document; returns the answer."""
    code, answer = api.call(method, path, key, body, **kw)
    assert code == status, (method, path, code, answer)
    _conforms(doc, template, method.lower(), code, answer)
    return answer


# Each vendor's schema in the document, and the fixtures (real payloads, from each vendor's docs) it must take.
VENDOR_SCHEMAS = {"alertmanager": "AlertmanagerPayload", "grafana": "GrafanaPayload", "pagerduty": "PagerDutyWebhook",
                  "sns": "SnsMessage", "github-deployment": "GitHubDeploymentStatus", "github-ping": "GitHubPing"}


def test_real_vendor_payloads_are_what_the_hook_body_describes(api):
    _, doc = api.call("GET", "/openapi.json")
    fixtures = sorted(FIXTURES.glob("*.json")) + sorted((FIXTURES / "extra").glob("*.json"))
    checked = set()
    for path in fixtures:
        vendor = next((v for v in VENDOR_SCHEMAS if path.name.startswith(v)), None)
        if vendor is None:
            continue
        payload = json.loads(path.read_bytes())
        for sample in payload.get("messages", [payload]):  # a file of several signed messages, or one
            errors = list(_validator(doc, doc["components"]["schemas"][VENDOR_SCHEMAS[vendor]]).iter_errors(sample))
            assert not errors, (path.name, [e.message for e in errors[:3]])
            _conforms(doc, "/hooks/{integration_id}", "post", 0, sample, part="requestBody")
            checked.add(vendor)
    assert checked == set(VENDOR_SCHEMAS)
    junk = {"alerts": [{"status": "resolved", "labels": {"alertname": "X"}, "fingerprint": "f",
                        "startsAt": "2026-12-01T00:00:00Z"}]}  # resolved with no endsAt: the server refuses it
    assert list(_validator(doc, doc["components"]["schemas"]["AlertmanagerPayload"]).iter_errors(junk))


def test_the_operations_answers_are_what_the_document_says(api, owner):
    _, doc = api.call("GET", "/openapi.json")
    made = _checked(api, doc, "POST", "/integrations", "/integrations", owner,
                    {"type": "alertmanager", "name": "prod", "mapping": {"service": "job"}}, status=201)
    iid = made["integration"]["id"]
    chosen = {"type": "alertmanager", "name": "weak", "signing_secret": "password"}
    assert not _validator(doc, doc["components"]["schemas"]["IntegrationCreate"]).is_valid(chosen)
    code, answer = api.call("POST", "/integrations", owner, chosen)  # a bearer token is never chosen
    assert code == 400 and answer["errors"][0]["field"] == "signing_secret", answer
    _checked(api, doc, "GET", "/integrations", "/integrations", owner)
    _checked(api, doc, "PUT", f"/integrations/{iid}", "/integrations/{integration_id}", owner, {"name": "prod 2"})
    rotated = _checked(api, doc, "POST", f"/integrations/{iid}/rotate", "/integrations/{integration_id}/rotate",
                       owner)
    hook = f"/hooks/{iid}"
    for name in ("alertmanager-firing.json", "alertmanager-resolved.json"):
        _checked(api, doc, "POST", hook, "/hooks/{integration_id}", None, raw=(FIXTURES / name).read_bytes(),
                 headers={"Authorization": f"Bearer {rotated['secret']}"})
    _checked(api, doc, "POST", f"{hook}/anything", "/hooks/{integration_id}/{secret}", None,
             raw=(FIXTURES / "alertmanager-firing.json").read_bytes(),
             headers={"Authorization": f"Bearer {rotated['secret']}"})  # a redelivery, on the SNS-style URL
    for status, raw in ((400, b'{"alerts": 3}'), (401, b"{}")):
        _checked(api, doc, "POST", hook, "/hooks/{integration_id}", None, raw=raw, status=status,
                 headers={"Authorization": f"Bearer {rotated['secret'] if status == 400 else made['secret']}"})
    _checked(api, doc, "POST", "/hooks/int_none", "/hooks/{integration_id}", None, raw=b"{}", status=404)
    github = _checked(api, doc, "POST", "/integrations", "/integrations", owner,
                      {"type": "github", "name": "deploys", "signing_secret": "gh-secret-for-tests"}, status=201)
    assert github["secret"] == "gh-secret-for-tests" and github["integration"]["secret_kind"] == "signing"
    for event, name in (("ping", "github-ping.json"), ("deployment_status", "github-deployment-status-success.json")):
        raw = (FIXTURES / name).read_bytes()
        signature = "sha256=" + hmac.new(b"gh-secret-for-tests", raw, hashlib.sha256).hexdigest()
        answer = _checked(api, doc, "POST", f"/hooks/{github['integration']['id']}", "/hooks/{integration_id}",
                          None, raw=raw, headers={"X-GitHub-Event": event, "X-Hub-Signature-256": signature})
        assert answer.get("pong") is (True if event == "ping" else None), answer
    api.ok("POST", "/events", owner, [
        {"event": "incident.triggered", "occurred": "2026-12-05T10:05:00Z", "resource": {"id": "INC-7"},
         "payload": {"title": "Disk full", "service": "db", "who": "monitoring", "alert_keys": ["events#d1"]}},
        {"event": "incident.escalated", "occurred": "2026-12-05T10:07:00Z", "resource": {"id": "INC-7"},
         "payload": {"title": "Disk full", "who": "PagerDuty"}},
        {"event": "alert.firing", "occurred": "2026-12-05T10:00:00Z", "resource": {"id": "d1"},
         "payload": {"name": "DiskFull", "service": "db"}},
        {"event": "change.deployed", "occurred": "2026-12-05T09:30:00Z", "resource": {"id": "deploy-42"},
         "payload": {"service": "db", "who": "bob"}}], status=202)
    window = "since=2026-12-01T00:00:00Z&until=2026-12-07T00:00:00Z"
    assert _checked(api, doc, "GET", "/alerts", "/alerts", owner)["alerts"]
    _checked(api, doc, "GET", "/alerts/alertmanager/6760336f7be5bae2", "/alerts/{source}/{fingerprint}", owner)
    assert _checked(api, doc, "GET", f"/incidents?{window}", "/incidents", owner)["incidents"]
    timeline = _checked(api, doc, "GET", "/incidents/events/INC-7", "/incidents/{source}/{incident_id}", owner)
    assert [e["what"] for e in timeline["timeline"]] == ["triggered", "escalated"] and timeline["changes"]
    assert _checked(api, doc, "GET", f"/changes?{window}", "/changes", owner)["changes"]
    _checked(api, doc, "PUT", "/account/settings", "/account/settings", owner, {"timezone": "Asia/Shanghai"})
    hours = _checked(api, doc, "PUT", "/account/settings", "/account/settings", owner,
                     {"business_hours": {"days": [5.0, 1], "start": 9.0, "end": 18}})  # 5.0 is a JSON integer
    assert hours["business_hours"] == {"days": [1, 5], "start": 9, "end": 18}
    _checked(api, doc, "GET", "/account/settings", "/account/settings", owner)
    _checked(api, doc, "GET", "/alerts?limit=0", "/alerts", owner, status=400)
    _checked(api, doc, "DELETE", f"/integrations/{iid}", "/integrations/{integration_id}", owner, status=204)


def test_a_runners_work_and_its_tool_calls_are_what_the_document_says(api, owner):
    _, doc = api.call("GET", "/openapi.json")
    runner = api.ok("POST", "/runners", owner, {"name": "box", "pool": "lab"}, status=201)
    rule = api.ok("POST", "/automations", owner, rule_body(
        template_id="noise-reduction", locale="zh-CN", environment={"type": "runner", "runner_id":
                                                                     runner["runner"]["id"]}), status=201)
    assert rule["automation"]["locale"] == "zh-CN"
    _conforms(doc, "/automations", "post", 201, rule)
    run = api.ok("POST", f"/automations/{rule['automation']['id']}/runs", owner, {"text": "go"}, status=202)["run"]
    worker.process({"run_id": run["id"], "automation_id": rule["automation"]["id"], "trigger": "manual"}, utcnow())
    claimed = _checked(api, doc, "POST", f"/runners/{runner['runner']['id']}/claim", "/runners/{runner_id}/claim",
                       runner["token"], {"wait": 0})
    work = claimed["run"]
    assert work["template_id"] == "noise-reduction" and work["locale"] == "zh-CN" and work["context"]["event"] is None
    assert {tool["name"] for tool in work["tools"]} >= {"query_alerts", "incident_timeline", "oncall_load"}
    lease, tools = work["lease"]["token"], "/runs/{run_id}/tools/{name}"
    answer = _checked(api, doc, "POST", f"/runs/{run['id']}/tools/query_alerts", tools, lease, {"arguments": {}})
    assert answer["output"]["alerts"] == [] and "window" in answer["output"]
    wrong = _checked(api, doc, "POST", f"/runs/{run['id']}/tools/query_alerts", tools, lease,
                     {"arguments": {"status": "burning"}})
    assert wrong["output"]["ok"] is False and "status" in wrong["output"]["error"]
    _checked(api, doc, "POST", f"/runs/{run['id']}/tools/query_alerts", tools, owner, {}, status=401)
