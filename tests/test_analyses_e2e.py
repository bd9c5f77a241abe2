"""The five template analyses end to end on the service: the planted week
(tests/ops_planted.py) goes in as the canonical events of POST /events (the
service's own ingestion), each preset becomes an automation, its run is
worked by the worker with the cloud sandbox in-process, every tool call goes
through the lease-scoped tool call and the operations model, and the
answers are read back from the findings.json the run wrote."""
import json
from datetime import timedelta

import pytest

from chalicelib.clock import iso
from chalicelib.identity.caller import authenticate
from chalicelib.runs import control, fire
from chalicelib.store import repos
from tests import ops_planted
from tests.conftest import work_queue

NOW = ops_planted.NOW


def _key(key: str) -> str:
    """A planted key as the service keeps what came through POST /events: source `events`."""
    return "events#" + key.split("#", 1)[1]


def events() -> list[dict]:
    """The planted week as canonical events, oldest first."""
    out = []
    for alert in ops_planted.alerts():
        fingerprint = alert.key.split("#", 1)[1]
        for firing in alert.firings:
            base = {"name": alert.name, "service": alert.service, "severity": alert.severity,
                    "starts_at": iso(firing.start), "acked_by": firing.acked_by}
            out.append({"event": "alert.firing", "occurred": iso(firing.start), "resource": {"id": fingerprint},
                        "payload": {k: v for k, v in base.items() if k != "acked_by" or not firing.end}})
            if firing.end:
                out.append({"event": "alert.resolved", "occurred": iso(firing.end), "resource": {"id": fingerprint},
                            "payload": {**base, "ends_at": iso(firing.end)}})
    for incident in ops_planted.incidents():
        common = {"title": incident.title, "service": incident.service, "urgency": incident.urgency,
                  "priority": incident.priority, "number": incident.number, "assignees": incident.assignees,
                  "alert_keys": [_key(k) for k in incident.alert_keys]}
        steps = [("triggered", incident.opened_at, "PagerDuty")]
        if incident.escalated_at:
            steps.append(("escalated", incident.escalated_at, "PagerDuty"))
        if incident.acknowledged_at:
            steps.append(("acknowledged", incident.acknowledged_at, incident.acked_by))
        if incident.resolved_at:
            steps.append(("resolved", incident.resolved_at, incident.acked_by))
        for what, at, who in steps:
            out.append({"event": f"incident.{what}", "occurred": iso(at), "resource": {"id": incident.id},
                        "payload": {**common, "who": who, "at": iso(at), "opened_at": iso(incident.opened_at)}})
    for change in ops_planted.changes():
        out.append({"event": "change.failed" if change.outcome == "failure" else "change.deployed",
                    "occurred": iso(change.at), "resource": {"id": change.id},
                    "payload": {"service": change.service, "kind": change.kind, "who": change.who, "at": iso(change.at),
                                "link": change.link, "outcome": change.outcome, "description": change.description}})
    return sorted(out, key=lambda e: e["occurred"])


@pytest.fixture
def planted(api, owner, aws):
    """The planted week in the owner's account (Europe/Berlin business hours), through the event ingestion."""
    account_id = authenticate({"authorization": f"Bearer {owner}"}).account_id
    batch = events()
    for i in range(0, len(batch), 100):
        answer = fire.receive(account_id, batch[i:i + 100], NOW)
        assert not answer["rejected"], answer["rejected"][:3]
    repos.accounts.set_settings(account_id, {"days": [1, 2, 3, 4, 5], "start": 9, "end": 18}, "Europe/Berlin")
    return account_id


def run_preset(api, owner, aws, template_id: str, locale: str = "en-US", text: str | None = None) -> dict:
    """Make an automation from a preset, run it once (worked at NOW), and return its run and artifacts."""
    body = {"template_id": template_id, "locale": locale, "triggers": [{"type": "api"}]}
    rule = api.ok("POST", "/automations", owner, body, status=201)["automation"]
    caller = authenticate({"authorization": f"Bearer {owner}"})
    run = control.start_manual(caller, rule["id"], {"text": text} if text else {}, NOW)
    work_queue(aws["runs"], clock=lambda: NOW)
    run = api.ok("GET", f"/runs/{run.id}", owner)["run"]
    session = api.ok("GET", f"/sessions/{run['session_id']}", owner)["session"]
    artifacts = {a["name"]: a for a in session["artifacts"]}
    return {"run": run, "session": session, "artifacts": artifacts,
            "findings": json.loads(artifacts["findings.json"]["content"]) if "findings.json" in artifacts else None}


def by_kind(findings: dict, kind: str) -> dict:
    return {(f.get("alert") or f.get("incident") or f.get("change") or {}).get("name") or f.get("responder")
            or f.get("service"): f for f in findings["findings"] if f["kind"] == kind}


def test_the_five_analyses_on_the_planted_week_through_the_service(api, owner, aws, planted):
    """One ingestion of the planted week, then each preset's run (and a zh-CN one): tables are emptied per test."""
    check_noise(run_preset(api, owner, aws, "noise-reduction"))
    check_postmortem(run_preset(api, owner, aws, "incident-postmortem"))
    check_load(run_preset(api, owner, aws, "escalation-load"))
    check_changes(run_preset(api, owner, aws, "change-review"))
    check_handover(run_preset(api, owner, aws, "on-call-handover"))
    chinese = run_preset(api, owner, aws, "noise-reduction", locale="zh-CN")
    report = chinese["artifacts"]["report.md"]["content"]
    assert report.startswith("# ") and any("\u4e00" <= ch <= "\u9fff" for ch in report.splitlines()[0])
    assert chinese["findings"]["findings"]  # the same findings, keys in English


def check_noise(out):
    assert out["run"]["status"] == "succeeded", out["run"]
    findings = out["findings"]
    assert findings["template"] == "noise-reduction" and findings["version"] == 1
    assert findings["window"] == {"since": iso(NOW - timedelta(days=7)), "until": iso(NOW)}
    flapping = by_kind(findings, "flapping")
    assert flapping["CheckoutLatencyFlap"]["figures"] == {"fired": 14, "flaps": 13}
    assert flapping["CheckoutLatencyFlap"]["alert"]["key"] == "events#checkoutlatencyflap"
    assert by_kind(findings, "quick_resolved")["SearchDiskIOSpike"]["figures"]["quick_resolved"] == 12
    assert by_kind(findings, "duplicate")["Payments5xx"]["duplicate_of"]["name"] == "PaymentsErrorRate"
    kept = by_kind(findings, "preceded_incident")
    assert {"AuthTokenErrors", "CheckoutErrors"} <= set(kept)
    assert all(f["fix"] is None for f in kept.values())
    silencing = {f["alert"]["name"] for f in findings["findings"]
                 if f["kind"] in ("flapping", "quick_resolved", "duplicate") or f.get("direction") == "down"}
    assert not silencing & set(kept)  # never a proposal to silence, merge away or downgrade what preceded an incident
    assert {"image/svg+xml", "text/markdown", "application/json"} <= {
        a["media_type"] for a in out["artifacts"].values()}
    assert out["artifacts"]["alert-volume.svg"]["content"].lstrip().startswith("<svg")
    calls = [item for item in out["session"]["tool_calls"]]
    assert {c["tool"] for c in calls} >= {"alert_days", "query_incidents"}
    assert all(c.get("id") and "input" in c and "output" in c for c in calls)


def check_postmortem(out):
    assert out["run"]["status"] == "succeeded", out["run"]
    incident = next(f for f in out["findings"]["findings"] if f["kind"] == "incident")
    assert incident["incident"]["key"] == "events#PCHK0D1"
    assert incident["figures"]["time_to_detect_seconds"] == 1200
    assert incident["figures"]["time_to_acknowledge_seconds"] == 600
    assert [e["status"] for e in incident["timeline"]] == ["triggered", "acknowledged", "resolved"]
    before = [f["change"]["key"] for f in out["findings"]["findings"] if f["kind"] == "change_before"]
    assert "events#1001" in before
    assert "Alice" not in out["artifacts"]["report.md"]["content"]  # blameless


def check_load(out):
    assert out["run"]["status"] == "succeeded", out["run"]
    overloaded = by_kind(out["findings"], "overloaded_responder")
    assert set(overloaded) == {"Alice"} and overloaded["Alice"]["figures"]["nights"] == 5
    assert "Europe/Berlin" in out["artifacts"]["report.md"]["content"]


def check_changes(out):
    assert out["run"]["status"] == "succeeded", out["run"]
    verdicts = {f["change"]["key"]: f["verdict"] for f in out["findings"]["findings"] if f["kind"] == "change_risk"}
    assert verdicts["events#1001"] == "harmful" and verdicts["events#1004"] == "harmful"


def check_handover(out):
    assert out["run"]["status"] == "succeeded", out["run"]
    open_keys = {f["incident"]["key"] for f in out["findings"]["findings"] if f["kind"] == "open_incident"}
    assert open_keys == {"events#PPAY001", "events#PSRCH01"}
