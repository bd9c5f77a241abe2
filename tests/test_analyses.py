"""The five template analyses of the builtin agent, each on a generated week
of operations data with planted patterns (tests/ops_planted.py), served by an
in-test provider of the service's tools that computes every answer from the
raw firings, incidents and changes (tests/ops_tools.py). Each run goes
through sre_agent.executor.execute with an in-memory reporter: the tool calls
go through the toolbox to `reporter.tool`, and the artifacts are read back
from the session items the reporter received."""
import json
import time
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from chalicelib.rules import templates
from sre_agent.analyses import ANALYSES, noise
from sre_agent.clock import iso
from sre_agent.executor import execute
from sre_agent.settings import AgentSettings
from tests.ops_planted import NOW, planted

TOOLS = ("query_alerts", "alert_days", "alert_history", "query_incidents", "incident_timeline", "query_changes",
         "oncall_load")
SPECS = [{"name": name, "description": f"the {name} tool", "parameters": {"type": "object", "properties": {}}}
         for name in TOOLS]
SVG = "{http://www.w3.org/2000/svg}"


class MemoryReporter:
    """A reporter in memory: the session's items, the outcome, and the service's tools."""

    def __init__(self, tools):
        self.tools, self.items, self.finished = tools, [], None

    def append(self, items):
        self.items.extend(items)

    def renew(self):
        pass

    def finish(self, status, reason):
        self.finished = (status, reason)
        return {"status": status}

    def tool(self, name, args):
        return self.tools(name, args)


class Session:
    """The entries of a session, joined again from its items."""

    def __init__(self, items):
        self.entries, parts = [], []
        for item in sorted(items, key=lambda i: i["seq"]):
            parts.append(item["data"])
            if item["part"] == item["parts"] - 1:
                self.entries.append((item["kind"], json.loads("".join(parts))))
                parts = []
        self.artifacts = {d["name"]: d for k, d in self.entries if k == "artifact"}
        self.tool_calls = [d for k, d in self.entries if k == "tool_call"]
        self.messages = [d for k, d in self.entries if k == "message"]

    @property
    def report(self) -> str:
        return self.artifacts["report.md"]["content"]

    @property
    def findings(self) -> dict:
        return json.loads(self.artifacts["findings.json"]["content"])

    def svg(self) -> ET.Element:
        return ET.fromstring(self.artifacts["alert-volume.svg"]["content"])


def run(template_id, tools=None, locale="en-US", text="", event=None):
    """One run of the template's automation, as the service would hand it out."""
    prompt = templates.get(template_id, locale)["task_prompt"] if template_id else "Daily check."
    context = {"text": text, **({"event": event} if event else {})}
    work = {"run_id": "run_1", "automation": {"id": "auto_1", "name": "test"}, "prompt": prompt, "context": context,
            "recent_runs": [], "template_id": template_id, "locale": locale, "tools": SPECS}
    reporter = MemoryReporter(tools or planted())
    result = execute(work, reporter, AgentSettings(), clock=lambda: NOW)
    return result, Session(reporter.items)


def by_kind(findings: dict, kind: str) -> dict:
    """The findings of one kind, by alert name (or change/incident key)."""
    out = {}
    for f in findings["findings"]:
        if f["kind"] == kind:
            name = (f.get("alert") or {}).get("name") or (f.get("change") or f.get("incident") or {}).get("key") \
                or f.get("responder") or f.get("service")
            out[name] = f
    return out


def test_every_preset_template_has_an_analysis():
    assert set(ANALYSES) == set(templates.ids())


def test_noise_finds_each_planted_pattern_and_never_silences_what_preceded_an_incident():
    result, session = run("noise-reduction")
    assert result["status"] == "succeeded", result
    findings = session.findings
    assert findings["version"] == 1 and findings["template"] == "noise-reduction"
    assert findings["window"] == {"since": iso(NOW - timedelta(days=7)), "until": iso(NOW)}
    flapping = by_kind(findings, "flapping")
    assert set(flapping) == {"CheckoutLatencyFlap", "CheckoutPodRestart"}
    assert flapping["CheckoutLatencyFlap"]["figures"] == {"fired": 14, "flaps": 13}
    assert flapping["CheckoutLatencyFlap"]["service"] == "checkout"
    assert flapping["CheckoutLatencyFlap"]["alert"]["key"] == "alertmanager#checkoutlatencyflap"
    assert "`for: 10m`" in flapping["CheckoutLatencyFlap"]["fix"]
    quick = by_kind(findings, "quick_resolved")
    assert set(quick) == {"SearchDiskIOSpike", "QueueDepthCritical"}
    assert quick["SearchDiskIOSpike"]["figures"]["quick_resolved"] == 12
    assert "`for: 5m`" in quick["SearchDiskIOSpike"]["fix"]
    duplicates = by_kind(findings, "duplicate")
    assert set(duplicates) == {"Payments5xx"}
    assert duplicates["Payments5xx"]["duplicate_of"]["name"] == "PaymentsErrorRate"
    assert duplicates["Payments5xx"]["figures"]["together"] == 8
    assert "merge with PaymentsErrorRate" in duplicates["Payments5xx"]["fix"]
    assert "group_by service" in duplicates["Payments5xx"]["fix"]
    severity = {f["alert"]["name"]: f for f in findings["findings"] if f["kind"] == "severity_mismatch"}
    assert {n: f["direction"] for n, f in severity.items()} == {
        "QueueDepthCritical": "down", "CertExpirySoon": "up", "AuthTokenErrors": "up"}
    assert "downgrade to warning" in severity["QueueDepthCritical"]["fix"]
    assert set(by_kind(findings, "unsure")) == {"EdgeCacheMiss"}
    kept = by_kind(findings, "preceded_incident")
    assert set(kept) == {"AuthTokenErrors", "CheckoutErrors", "PaymentsLatencyHigh"}
    assert kept["AuthTokenErrors"]["incident"]["key"] == "pagerduty#PAUTH01"
    assert kept["AuthTokenErrors"]["figures"]["minutes_before"] == 30
    assert kept["CheckoutErrors"]["figures"]["minutes_before"] == 20
    assert all(f["fix"] is None for f in kept.values())
    # noisy as its figures are (10 one-minute firings, nobody acting), the alert that came before an incident
    # gets no finding that would silence, merge away or downgrade it
    silencing = [f for f in findings["findings"] if f["kind"] in ("flapping", "quick_resolved", "duplicate")
                 or f.get("direction") == "down"]
    assert not {f["alert"]["name"] for f in silencing} & set(kept)
    summary = findings["summary"]
    assert summary["noisy_alerts"] == 5 and summary["total_alerts"] == 16 and summary["preceded_incident"] == 3
    report = session.report
    assert report.startswith("# Alert noise review")
    assert "## Kept: alerts that preceded an incident" in report and "## Unsure" in report
    assert session.messages[-1]["content"].startswith("16 alerts (")
    assert {c["tool"] for c in session.tool_calls} == {"alert_days", "query_incidents"}


def test_postmortem_takes_the_newest_resolved_incident_and_names_nobody():
    result, session = run("incident-postmortem")
    assert result["status"] == "succeeded", result
    findings = session.findings
    incident = by_kind(findings, "incident")["pagerduty#PCHK0D1"]
    assert incident["figures"] == {"time_to_detect_seconds": 1200, "time_to_acknowledge_seconds": 600,
                                   "time_to_resolve_seconds": 4800, "changes_before": 1, "related_alerts": 1}
    assert [e["status"] for e in incident["timeline"]] == ["triggered", "acknowledged", "resolved"]
    assert incident["first_alert_at"] == "2026-12-08T06:20:00Z"
    change = by_kind(findings, "change_before")["github#1001"]
    assert change["figures"]["minutes_before"] == 40 and change["service"] == "checkout"
    assert by_kind(findings, "related_alert")["CheckoutErrors"]["linked"] is True
    assert set(by_kind(findings, "change_during")) == {"github#1005"}  # the rollback, while it was open
    assert findings["summary"]["chosen"] == "latest_resolved"
    report = session.report
    for section in ("## Summary", "## Impact", "## Timeline", "## Root cause and contributing factors",
                    "## What went well", "## What went poorly", "## Action items"):
        assert section in report
    assert "(unverified)" in report and "| 2026-12-08 06:20 UTC | alert fired: `CheckoutErrors` (critical) |" in report
    assert "Alice" not in report and "Alice" not in json.dumps(findings)  # blameless: no responder is named
    assert {"tool": "incident_timeline", "input": {"latest_resolved": True}}.items() <= \
        next(c for c in session.tool_calls if c["tool"] == "incident_timeline").items()


def test_postmortem_of_the_incident_whose_event_started_the_run():
    event = {"event": "incident.resolved", "resource": {"id": "pagerduty#PAUTH01", "kind": "incident"},
             "payload": {"title": "Auth token failures", "service": "auth"}}
    result, session = run("incident-postmortem", event=event)
    assert result["status"] == "succeeded", result
    incident = by_kind(session.findings, "incident")["pagerduty#PAUTH01"]
    assert incident["figures"]["time_to_detect_seconds"] == 1800 and incident["figures"]["changes_before"] == 0
    assert set(by_kind(session.findings, "related_alert")) == {"AuthTokenErrors"}
    assert session.findings["summary"]["chosen"] == "event"
    assert "Incident `pagerduty#PAUTH01`, the one that started this run." in session.report


def test_postmortem_of_a_bare_pagerduty_id_in_the_context():
    result, session = run("incident-postmortem", text="Please write up PAUTH01 for Friday's review.")
    assert result["status"] == "succeeded", result
    assert session.findings["summary"]["incident"] == "pagerduty#PAUTH01"
    assert session.findings["summary"]["chosen"] == "text"


def test_postmortem_of_an_unknown_incident_says_so_and_drafts_the_newest_resolved():
    result, session = run("incident-postmortem", text="incident pagerduty#PNOPE99")
    assert result["status"] == "partial" and "no incident with key pagerduty#PNOPE99" in result["reason"]
    assert session.findings["summary"]["incident"] == "pagerduty#PCHK0D1"
    assert "The incident named in this run (pagerduty#PNOPE99) was not found" in session.report


def test_load_flags_the_overloaded_responder_and_the_slow_rotation():
    result, session = run("escalation-load")
    assert result["status"] == "succeeded", result
    findings = session.findings
    overloaded = by_kind(findings, "overloaded_responder")
    assert set(overloaded) == {"Alice"}
    assert overloaded["Alice"]["figures"] == {"pages": 17, "off_hours": 17, "off_hours_per_shift": 2.43, "nights": 5,
                                              "ack_seconds_median": 1200}
    assert set(overloaded["Alice"]["reasons"]) == {"off_hours_per_shift", "nights", "slow_ack"}
    assert by_kind(findings, "slow_acknowledgement")[None]["figures"]["ack_p90_seconds"] == 1200
    assert [f["service"] for f in findings["findings"] if f["kind"] == "top_service"] == ["batch", "auth", "checkout"]
    summary = findings["summary"]
    assert (summary["pages"], summary["off_hours"], summary["escalated"], summary["previous_pages"]) == (22, 17, 1, 2)
    report = session.report
    assert "Overloaded: Alice" in report and "business hours Mon–Fri 09:00–18:00, Europe/Berlin" in report
    assert "| 02:00 | 5 | 20 min |" in report  # 01:30 UTC is 02:30 in Berlin: five nights' pages at that hour
    assert "- Alice: paged on 5 nights" in report


def test_change_review_gives_each_change_its_verdict():
    tools = planted()
    result, session = run("change-review", tools)
    assert result["status"] == "succeeded", result
    verdicts = {f["change"]["key"]: f for f in session.findings["findings"]}
    assert {k: f["verdict"] for k, f in verdicts.items()} == {
        "github#1001": "harmful", "github#1002": "suspicious", "github#1003": "clean", "events#cfg-9": "unknown",
        "github#1004": "harmful", "github#1005": "clean", "github#1006": "clean"}
    deploy = verdicts["github#1001"]
    assert deploy["incidents"][0]["key"] == "pagerduty#PCHK0D1" and deploy["incidents"][0]["minutes_after"] == 40
    assert deploy["alerts"][0]["name"] == "CheckoutErrors" and deploy["figures"]["rolled_back"] is True
    assert verdicts["github#1004"]["alerts"][0]["name"] == "AuthLoginFailures"
    assert verdicts["github#1002"]["figures"]["minutes_to_first_alert"] == 30
    assert verdicts["github#1006"]["figures"]["window_complete"] is False
    assert session.findings["summary"] == {"changes": 7, "examined": 7, "harmful": 2, "suspicious": 1, "clean": 3,
                                           "unknown": 1, "without_link": 1}
    # PaymentsQueueLag started before and after the payments deploy's two hours: its start minutes decided
    assert ("alert_days", {"service": "payments", "since": "2026-12-07T16:00:00Z", "until": "2026-12-07T18:00:00Z",
                           "limit": 1000}) in tools.calls
    report = session.report
    assert report.index("github#1001") < report.index("## All changes")  # the harmful ones first
    assert "Correlation is not causation" in report


def test_oncall_handover_brief():
    result, session = run("on-call-handover")
    assert result["status"] == "succeeded", result
    findings = session.findings
    assert findings["window"] == {"since": "2026-12-08T00:00:00Z", "until": "2026-12-08T12:00:00Z"}
    assert {k: f["status"] for k, f in by_kind(findings, "open_incident").items()} == {
        "pagerduty#PPAY001": "triggered", "pagerduty#PSRCH01": "acknowledged"}
    assert set(by_kind(findings, "firing_alert")) == {"PaymentsLatencyHigh", "SearchIndexLag"}
    assert set(by_kind(findings, "resolved_incident")) == {"pagerduty#PCHK0D1"}
    assert set(by_kind(findings, "shift_change")) == {"github#1001", "github#1002", "github#1005", "github#1006"}
    assert set(by_kind(findings, "noisy_alert")) == {"CheckoutPodRestart"}
    assert findings["summary"]["fired_alerts"] == 5 and findings["summary"]["firings"] == 8
    report = session.report
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert headings == ["## Needs attention now", "## Watch during your shift", "## Resolved", "## FYI"]
    attention = report[report.index("## Needs attention now"):report.index("## Watch")]
    assert attention.index("Payments latency") < attention.index("Search degraded")  # not acknowledged comes first
    assert "`PaymentsLatencyHigh` (payments, critical) still firing, for 3 h 10 min" in attention


def test_a_shift_named_in_the_context_is_the_window():
    _, session = run("on-call-handover", text="Handover of the last 5 hours, please.")
    assert session.findings["window"]["since"] == "2026-12-08T07:00:00Z"
    assert set(by_kind(session.findings, "shift_change")) == {"github#1005", "github#1006"}


def test_zh_cn_reports_are_chinese_and_their_findings_keep_english_keys():
    _, noisy = run("noise-reduction", locale="zh-CN")
    assert noisy.report.startswith("# 告警降噪复盘")
    assert "## 噪音最多的告警" in noisy.report and "## 保留：故障之前触发过的告警" in noisy.report
    assert "| 告警 | 服务 | 次数 |" in noisy.report
    flapping = by_kind(noisy.findings, "flapping")["CheckoutLatencyFlap"]
    assert set(flapping) >= {"kind", "alert", "service", "figures", "fix"} and "增加 `for: 10m`" in flapping["fix"]
    assert "告警量" in noisy.artifacts["alert-volume.svg"]["content"]
    _, brief = run("on-call-handover", locale="zh-CN")
    headings = [line for line in brief.report.splitlines() if line.startswith("## ")]
    assert headings == ["## 需要立即处理", "## 本班需关注", "## 已解决", "## 备注"]
    _, draft = run("incident-postmortem", locale="zh-CN")
    assert "## 根因与促成因素" in draft.report and "（未核实）" in draft.report


def _buckets(findings: dict) -> int:
    since = iso_time(findings["window"]["since"])
    until = iso_time(findings["window"]["until"])
    if until - since <= timedelta(days=2):
        first = since.replace(minute=0, second=0)
        return -(-int((until - first).total_seconds()) // 3600)
    return (until.date() - since.date()).days + 1


def iso_time(text):
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("template_id,bars", [("noise-reduction", 8), ("incident-postmortem", 5),
                                              ("escalation-load", 8), ("change-review", 24),
                                              ("on-call-handover", 12)])
def test_the_chart_is_svg_with_one_bar_per_bucket(template_id, bars):
    _, session = run(template_id)
    assert session.artifacts["alert-volume.svg"]["media_type"] == "image/svg+xml"
    svg = session.svg()
    rects = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(rects) == bars == _buckets(session.findings)
    assert svg.find(f"{SVG}title").text.startswith("Alert volume")
    assert {t.text for t in svg.iter(f"{SVG}text")} >= {"alerts fired"}
    tips = [r.find(f"{SVG}title").text for r in rects]
    if template_id == "on-call-handover":  # CheckoutPodRestart started at 03:00, 03:20 and 03:40
        assert "2026-12-08 03:00: 3" in tips and "2026-12-08 04:00: 1" in tips
    if template_id == "noise-reduction":  # daily bars of `fired`: CheckoutLatencyFlap's 14 on 12-05, and the rest
        assert "2026-12-05: 22" in tips


def test_cursors_are_followed_whatever_the_page_size():
    _, small = run("noise-reduction", planted(page=3))
    _, large = run("noise-reduction", planted(page=1000))
    assert small.findings == large.findings
    assert sum(c["tool"] == "alert_days" for c in small.tool_calls) > 10


def test_a_failed_tool_is_a_data_gap_and_a_partial_run():
    tools = planted(page=1000)  # one page each: alert_days, then query_incidents

    def failing(name, args):
        if name == "query_incidents":
            raise RuntimeError("HTTP 503 from the API")
        return tools(name, args)
    result, session = run("noise-reduction", failing)
    assert result["status"] == "partial"
    assert result["reason"] == "1 of 2 tool call(s) failed; first: query_incidents: query_incidents failed: " \
                               "HTTP 503 from the API"
    assert "## Data gaps" in session.report and "HTTP 503 from the API" in session.report


def test_the_health_report_speaks_the_locale():
    result, session = run(None, locale="zh-CN")
    assert session.messages[1]["content"] == "正在检查 0 个 URL 以及最近的运行记录。"
    assert session.report.startswith("# 健康检查报告")
    assert session.messages[-1]["content"] == "没有需要检查的内容"
    _, english = run(None)
    assert english.messages[-1]["content"] == "nothing to check"


def test_noise_of_500_alerts_a_week_takes_well_under_a_second():
    """About 3,500 alert_days rows (500 alerts over 25 services, 7 days, up to
    10 start minutes each) and 50 incidents: the analysis' own CPU time."""
    import random
    rng = random.Random(19)
    rows = []
    for n in range(500):
        for day in range(1, 8):
            minutes = sorted(rng.sample(range(1440), rng.randint(1, 10)))
            rows.append({"day": f"2026-12-0{day}", "key": f"alertmanager#{n:04x}", "name": f"Alert{n}",
                         "service": f"svc{n % 25}", "severity": rng.choice(["critical", "warning", "info"]),
                         "fired": len(minutes), "resolved": len(minutes),
                         "quick_resolved": rng.randint(0, len(minutes)), "flaps": rng.randint(0, 3),
                         "acked": rng.randint(0, 1), "firing_seconds": 600, "start_minutes": minutes})
    incidents = [{"key": f"pagerduty#P{n:06d}", "service": f"svc{n % 25}", "title": "x", "alert_keys": [],
                  "opened_at": iso(NOW - timedelta(hours=3 * n + 1))} for n in range(50)]

    def tools(name, args):
        if name == "alert_days":
            start = int(args.get("cursor") or 0)
            return {"days": rows[start:start + 1000], "cursor": str(start + 1000) if start + 1000 < len(rows) else None}
        return {"incidents": incidents, "cursor": None}

    class Task:
        prompt, context = "past 7 days", {}
    started = time.process_time()
    result = noise.run(tools, Task(), NOW, "en-US")
    spent = time.process_time() - started
    assert result.findings["summary"]["total_alerts"] == 500
    assert spent < 1.0, f"the noise analysis took {spent:.2f} s of CPU"


def _empty():
    from tests.ops_tools import OpsTools
    return OpsTools(NOW)


def _down(name, args):
    raise RuntimeError("connection refused")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
@pytest.mark.parametrize("data", ["planted", "empty", "down"])
@pytest.mark.parametrize("template_id", sorted(ANALYSES))
def test_every_analysis_writes_its_three_artifacts_whatever_the_data(template_id, data, locale):
    tools = {"planted": planted, "empty": _empty, "down": lambda: _down}[data]()
    result, session = run(template_id, tools, locale=locale)
    # with no incident at all, the post-mortem's incident_timeline(latest_resolved) is refused: a partial run
    failed = data == "down" or (data, template_id) == ("empty", "incident-postmortem")
    assert result["status"] == ("partial" if failed else "succeeded"), result
    assert [(a["name"], a["media_type"]) for a in session.artifacts.values()] == [
        ("report.md", "text/markdown"), ("findings.json", "application/json"), ("alert-volume.svg", "image/svg+xml")]
    assert session.findings["version"] == 1 and session.findings["template"] == template_id
    assert session.svg().tag == f"{SVG}svg"
    assert session.messages[-1]["content"]  # the one-line summary
    if data == "down":
        assert ("## 数据缺口" if locale == "zh-CN" else "## Data gaps") in session.report


def test_the_catalogs_have_the_same_keys_and_placeholders():
    import string

    from sre_agent.i18n import en_US, zh_CN

    def fields(text):
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    assert set(en_US.STRINGS) == set(zh_CN.STRINGS)
    assert [k for k in en_US.STRINGS if fields(en_US.STRINGS[k]) != fields(zh_CN.STRINGS[k])] == []


def test_what_the_context_names():
    from sre_agent.agents.base import Task
    from sre_agent.analyses.context import incident_ref, window

    def task(text="", prompt="", event=None):
        return Task(prompt=prompt, automation_id="a", run_id="r", context={"text": text, "event": event})
    day = timedelta(days=1)
    assert window(task(prompt="Review the past 7 days."), NOW, day)[0] == NOW - 7 * day
    assert window(task("shift: the last 8 hours", "Review the past 7 days."), NOW, day)[0] == NOW - timedelta(hours=8)
    assert window(task("复盘过去 3 天"), NOW, day)[0] == NOW - 3 * day
    assert window(task("an 8-hour shift"), NOW, day)[0] == NOW - timedelta(hours=8)
    assert window(task("since 2026-12-08T06:30:00Z"), NOW, day)[0] == NOW - timedelta(hours=5, minutes=30)
    assert window(task("the last 90 days"), NOW, day)[0] == NOW - timedelta(days=31)  # the tools' bound
    assert window(task("fired 5 times in PRODUCTION"), NOW, day)[0] == NOW - day  # a bare number names no span
    event = {"event": "incident.triggered", "resource": {"id": "PGR0VU2"}, "payload": {}}
    assert incident_ref(task(event=event)) == ("event", "id", "PGR0VU2")
    assert incident_ref(task(event={**event, "payload": {"key": "pagerduty#PGR0VU2"}})) == \
        ("event", "key", "pagerduty#PGR0VU2")
    assert incident_ref(task(event={"event": "alert.firing", "resource": {"id": "alertmanager#3b15"}})) is None
    assert incident_ref(task("alert alertmanager#3b15fd16 then pagerduty#PGR0VU2")) == \
        ("text", "key", "pagerduty#PGR0VU2")
    assert incident_ref(task("see PGR0VU2 in PRODUCTION")) == ("text", "id", "PGR0VU2")
    assert incident_ref(task("Action items with a priority P0-P2")) is None


def test_an_alert_that_fires_all_the_time_duplicates_nothing():
    def row(key, minutes):
        return {"day": "2026-12-07", "key": key, "name": key, "service": "api", "fired": len(minutes),
                "start_minutes": minutes}
    hourly = [60 * h for h in range(6)]
    alerts = noise.aggregate([row("A", hourly), row("B", [m + 3 for m in hourly[1:]]),
                              row("C", list(range(0, 400, 5)))])  # every 5 minutes: near all of the others
    assert [(s.key, large.key, n) for s, large, n in noise.duplicates(alerts)] == [("B", "A", 5)]
