"""Operations data for the console's browser tests and screenshots, put in
over real HTTP as the tools would: Alertmanager deliveries to an
integration's URL, canonical `alert.*`, `incident.*` and `change.*` events to
POST /events, and a run whose session holds a report's artifacts, written by a
self-hosted runner through its lease (as any environment writes them)."""
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from tests.browser import Client

FIXTURES = Path(__file__).parent / "fixtures" / "vendors"

REPORT = """# Weekly alert noise review

Window: last 7 days · **3 noisy alerts** of 12.

| Alert | Service | Fired | Self-resolved within 5 min | Proposed fix |
|---|---|---:|---:|---|
| HighErrorRate | checkout-api | 41 | 35 | Raise `for:` from 1m to 10m |
| DiskWillFill | db | 12 | 12 | Alert on the 4 h prediction, not the 1 h one |
| PodRestarting | payments | 9 | 2 | Send to a ticket queue instead of paging |

## Kept apart

**LatencyHigh** on checkout-api preceded a real incident: not proposed for silencing.
"""

# A chart as an analysis writes it, with a script and an event handler that must never run in the console.
CHART = """<svg xmlns="http://www.w3.org/2000/svg" width="760" height="300" viewBox="0 0 760 300"
 onload="window.__svg=1">
<script>window.__svg = 2;</script>
<rect width="760" height="300" fill="#ffffff"/>
<text x="56" y="28" font-family="sans-serif" font-size="15" fill="#1f2937">Alert volume, last 7 days</text>
<line x1="56" y1="236" x2="740" y2="236" stroke="#9ca3af"/>
""" + "".join(
    f'<rect x="{70 + i * 96}" y="{236 - h}" width="64" height="{h}" fill="#2563eb">'
    f"<title>{h // 6} alerts</title></rect>"
    f'<text x="{102 + i * 96}" y="256" font-family="sans-serif" font-size="11" text-anchor="middle" fill="#374151">'
    f"Dec {i + 1}</text>"
    for i, h in enumerate((60, 144, 36, 180, 90, 48, 120))) + "\n</svg>\n"

FINDINGS = {"version": 1, "template": "noise-reduction",
            "window": {"since": "2026-11-29T00:00:00Z", "until": "2026-12-06T00:00:00Z"},
            "findings": [
                {"kind": "flapping", "alert": "alertmanager#6760336f7be5bae2", "service": "checkout-api",
                 "fired": 41, "flaps": 17, "fix": "Raise for: from 1m to 10m"},
                {"kind": "quick_self_resolve", "alert": "events#disk-will-fill", "service": "db", "fired": 12,
                 "quick_resolved": 12, "fix": "Alert on the 4 h prediction"},
                {"kind": "severity_mismatch", "alert": "events#pod-restarting", "service": "payments", "fired": 9,
                 "acked": 0, "fix": "Send to a ticket queue"}]}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def deliver(url: str, secret: str | None, body: bytes) -> requests.Response:
    """POST a delivery to an integration's URL as Alertmanager sends it."""
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    return requests.post(url, data=body, headers=headers, timeout=10)


def at(ago: timedelta, now: datetime | None = None) -> str:
    return ((now or datetime.now(UTC)) - ago).strftime("%Y-%m-%dT%H:%M:%SZ")


def alert_events(service: str, name: str, severity: str, fingerprint: str,
                 firings: list[tuple[timedelta, timedelta | None]], labels: dict | None = None) -> list[dict]:
    """alert.firing (and alert.resolved) events for one alert: each firing (started ago, ended ago or None)."""
    out = []
    payload = {"name": name, "service": service, "severity": severity, "fingerprint": fingerprint,
               "labels": labels or {"service": service, "severity": severity}}
    for start, end in firings:
        out.append({"event": "alert.firing", "occurred": at(start), "resource": {"id": fingerprint},
                    "payload": {**payload, "starts_at": at(start)}})
        if end is not None:
            out.append({"event": "alert.resolved", "occurred": at(end), "resource": {"id": fingerprint},
                        "payload": {**payload, "starts_at": at(start), "ends_at": at(end)}})
    return out


def incident_events(incident_id: str, title: str, service: str, opened: timedelta, steps: list,
                    alert_keys: list | None = None) -> list[dict]:
    """incident.<what> events: `steps` are (what, minutes after opening, who)."""
    base = {"title": title, "service": service, "urgency": "high", "assignees": ["alice"],
            "alert_keys": alert_keys or []}
    return [{"event": f"incident.{what}", "occurred": at(opened - timedelta(minutes=minutes)),
             "resource": {"id": incident_id}, "payload": {**base, "who": who}} for what, minutes, who in steps]


def change_event(change_id: str, service: str, ago: timedelta, who: str, description: str,
                 outcome: str = "success") -> dict:
    return {"event": "change.deployed" if outcome == "success" else "change.failed", "occurred": at(ago),
            "resource": {"id": change_id},
            "payload": {"service": service, "kind": "deploy", "who": who, "environment": "production",
                        "outcome": outcome, "description": description,
                        "link": f"https://ci.example.com/deploys/{change_id}"}}


def post_events(api: Client, events: list[dict]) -> dict:
    answer = api.call("POST", "/events", events, status=202)
    assert not answer.get("rejected"), answer
    return answer


def report_session(api: Client, name: str, report: str = REPORT, chart: str = CHART,
                   findings: dict | None = None) -> str:
    """A run of a new automation, worked by a self-hosted runner that writes
    report.md, findings.json and alert-volume.svg into its session; the session's id."""
    runner = api.call("POST", "/runners", {"name": f"{name}-runner", "team_id": 0}, status=201)
    rule = api.automation(name=name, template_id="noise-reduction",
                          environment={"type": "runner", "runner_id": runner["runner"]["id"]})["automation"]
    api.call("POST", f"/automations/{rule['id']}/runs", {"text": "the last 7 days"}, status=202)
    claim = requests.post(f"{api.url}/runners/{runner['runner']['id']}/claim", json={"wait": 5}, timeout=30,
                          headers={"Authorization": f"Bearer {runner['token']}"}).json()
    work = claim["run"]
    assert work, claim
    lease = {"Authorization": f"Bearer {work['lease']['token']}"}
    entries = [("message", {"role": "user", "content": work["prompt"], "at": at(timedelta(seconds=3))}),
               ("message", {"role": "assistant", "content": "The review is in report.md.", "at": at(timedelta(0))}),
               ("artifact", {"name": "report.md", "media_type": "text/markdown", "content": report}),
               ("artifact", {"name": "findings.json", "media_type": "application/json",
                             "content": json.dumps(findings or FINDINGS, indent=2) + "\n"}),
               ("artifact", {"name": "alert-volume.svg", "media_type": "image/svg+xml", "content": chart})]
    items = [{"seq": i + 1, "kind": kind, "data": json.dumps(data), "part": 0, "parts": 1}
             for i, (kind, data) in enumerate(entries)]
    written = requests.post(f"{api.url}/runs/{work['run_id']}/session", json={"items": items}, headers=lease,
                            timeout=10)
    assert written.status_code == 200, written.text
    done = requests.post(f"{api.url}/runs/{work['run_id']}/outcome", json={"status": "succeeded"}, headers=lease,
                         timeout=10)
    assert done.status_code == 200, done.text
    return work["session_id"]
