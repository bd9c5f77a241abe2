"""On-call handover: the brief for the incoming engineer about the shift
that is ending.

The shift is the last 12 hours, unless the context text or the prompt names
another span ("last 8 hours", "8-hour shift", "过去 8 小时", "since
2026-12-08T06:00:00Z"). It reads the open incidents (opened in the last 31
days), the incidents resolved during the shift, the alerts still firing (of
the last 31 days), the alerts that started during the shift (the day rows'
start minutes), and the changes of the shift; a noisy alert of the shift
(started 3 times or more, mostly flapping or quick-resolved on those days,
never acknowledged) is called safe to ignore only when no incident on its
service opened within 2 hours after one of its starts."""
from bisect import bisect_left
from collections import defaultdict
from datetime import datetime, timedelta

from sre_agent.analyses import chart
from sre_agent.analyses.common import Reader, Result, envelope, parse_time, ref, window_args
from sre_agent.analyses.context import window
from sre_agent.analyses.markdown import code
from sre_agent.analyses.report import gaps_section
from sre_agent.i18n import Text

TEMPLATE = "on-call-handover"
DEFAULT_SHIFT = timedelta(hours=12)
LOOKBACK = timedelta(days=31)
NOISY_STARTS = 3
PRECEDES = timedelta(hours=2)
HIGH = {"critical", "page", "high", "error", "major", "p1", "sev1", "disaster", "emergency"}
FAILED = ("failure", "error")
TOP_FIRED = 10


def _opened(incident: dict):
    return parse_time(incident.get("opened_at"))


def _link(value) -> str:
    return f" · <{value}>" if isinstance(value, str) and value.startswith(("https://", "http://")) else ""


class _Shift:
    """What happened during one shift, read through the tools."""

    def __init__(self, reader: Reader, since: datetime, until: datetime):
        self.since, self.until = since, until
        self.open = reader.pages("query_incidents", {**window_args(until - LOOKBACK, until), "status": "open",
                                                     "limit": 200}, "incidents")
        resolved = reader.pages("query_incidents", {**window_args(since - timedelta(days=7), until),
                                                    "status": "resolved", "limit": 200}, "incidents")
        self.resolved = [i for i in resolved if (parse_time(i.get("resolved_at")) or since - LOOKBACK) >= since]
        self.firing = reader.pages("query_alerts", {**window_args(until - LOOKBACK, until), "status": "firing",
                                                    "limit": 200}, "alerts")
        self.rows = reader.pages("alert_days", {**window_args(since, until), "limit": 1000}, "days")
        self.changes = reader.pages("query_changes", {**window_args(since, until), "limit": 200}, "changes")
        self.fired = self._fired()

    def _fired(self) -> dict:
        """key -> {name, service, severity, starts (in the shift), fired, quick, flaps, acked (on those days)}."""
        low = self.since.replace(second=0, microsecond=0)
        out = {}
        for row in self.rows:
            starts = [t for t in chart.starts_of(row) if low <= t <= self.until]
            if not starts or not row.get("key"):
                continue
            entry = out.setdefault(row["key"], {"key": row["key"], "name": row.get("name") or row["key"],
                                                "service": row.get("service"), "severity": row.get("severity"),
                                                "starts": [], "fired": 0, "quick": 0, "flaps": 0, "acked": 0})
            entry["starts"] += starts
            for name, field in (("fired", "fired"), ("quick", "quick_resolved"), ("flaps", "flaps"),
                                ("acked", "acked")):
                entry[name] += int(row.get(field) or 0)
        return out

    def noisy(self) -> list[dict]:
        """The shift's noisy alerts that no incident followed."""
        incidents = {i.get("key"): i for i in self.open + self.resolved}.values()
        opened = defaultdict(list)
        for incident in incidents:
            if _opened(incident) and incident.get("service"):
                opened[str(incident["service"]).lower()].append(_opened(incident))
        firing = {a.get("key") for a in self.firing}
        out = []
        for entry in self.fired.values():
            if len(entry["starts"]) < NOISY_STARTS or entry["acked"] or entry["key"] in firing:
                continue
            if entry["quick"] + entry["flaps"] < 0.5 * max(1, entry["fired"]):
                continue
            times = sorted(opened.get(str(entry["service"] or "").lower(), []))
            followed = False
            for start in entry["starts"]:
                i = bisect_left(times, start)
                followed = followed or (i < len(times) and times[i] - start <= PRECEDES)
            if not followed:
                out.append(entry)
        return sorted(out, key=lambda e: (-len(e["starts"]), e["key"]))


def _open_line(incident: dict, now: datetime, tr: Text) -> str:
    level = " ".join(x for x in (incident.get("priority"), incident.get("urgency")) if x)
    status = tr(f"status.{incident.get('status')}") if f"status.{incident.get('status')}" in tr.strings else \
        incident.get("status")
    opened = _opened(incident)
    return tr("oc.open_line", level=f"[{level}] " if level else "", title=incident.get("title") or incident.get("key"),
              service=incident.get("service") or "—", status=status,
              age=tr.duration((now - opened).total_seconds()) if opened else "—") + _link(incident.get("url"))


def _alert_line(alert: dict, now: datetime, tr: Text) -> str:
    since = parse_time(alert.get("last_start")) or parse_time(alert.get("first_start"))
    return tr("oc.firing_line", name=code(alert.get("name") or alert.get("key")), service=alert.get("service") or "—",
              severity=alert.get("severity") or "—", age=tr.duration((now - since).total_seconds()) if since else "—")


def report_of(shift: _Shift, noisy: list[dict], now: datetime, tr: Text, reader: Reader) -> tuple[str, str]:
    """(the Markdown report under the template's four headings, the one-line summary)."""
    open_sorted = sorted(shift.open, key=lambda i: (i.get("status") != "triggered", i.get("urgency") != "high",
                                                    i.get("opened_at") or ""))
    critical = [a for a in shift.firing if str(a.get("severity") or "").lower() in HIGH]
    other = [a for a in shift.firing if str(a.get("severity") or "").lower() not in HIGH]
    firings = sum(len(e["starts"]) for e in shift.fired.values())
    line = tr("oc.line", open=len(shift.open), firing=len(shift.firing), fired=len(shift.fired), firings=firings,
              resolved=len(shift.resolved), changes=len(shift.changes))
    lines = [f"# {tr('oc.title')}", "", tr("oc.shift", span=tr.span(shift.since, shift.until)), "", f"**{line}**", "",
             f"## {tr('oc.now')}", ""]
    now_lines = [f"- {_open_line(i, now, tr)}" for i in open_sorted]
    now_lines += [f"- {_alert_line(a, now, tr)}" for a in critical]
    lines += now_lines or [f"- {tr('oc.nothing_now')}"]
    if open_sorted:
        lines += ["", tr("oc.next_step")]
    lines += ["", f"## {tr('oc.watch')}", ""]
    watch = [f"- {_alert_line(a, now, tr)}" for a in other]
    for change in shift.changes:
        failed = change.get("outcome") in FAILED
        watch.append("- " + tr("oc.change_line", key=code(change.get("key")), kind=change.get("kind") or "—",
                               service=change.get("service") or "—", at=tr.when(parse_time(change.get("at"))),
                               outcome=change.get("outcome") or "—")
                     + (f" **{tr('oc.failed')}**" if failed else "") + _link(change.get("link")))
    lines += watch or [f"- {tr('oc.nothing_watch')}"]
    lines += ["", f"## {tr('oc.resolved')}", ""]
    resolved = []
    for incident in sorted(shift.resolved, key=lambda i: i.get("resolved_at") or ""):
        opened, done = _opened(incident), parse_time(incident.get("resolved_at"))
        took = tr.duration((done - opened).total_seconds()) if opened and done else "—"
        resolved.append("- " + tr("oc.resolved_line", title=incident.get("title") or incident.get("key"),
                                  service=incident.get("service") or "—", at=tr.when(done), took=took)
                        + _link(incident.get("url")))
    lines += resolved or [f"- {tr('oc.nothing_resolved')}"]
    lines += ["", f"## {tr('oc.fyi')}", "", f"- {tr('oc.fired', alerts=len(shift.fired), firings=firings)}"]
    top = sorted(shift.fired.values(), key=lambda e: (-len(e["starts"]), e["key"]))[:5]
    if top:
        names = tr.join(f"{code(e['name'])} ×{len(e['starts'])}" for e in top)
        lines.append(f"- {tr('oc.top_fired', names=names)}")
    for entry in noisy:
        lines.append("- " + tr("oc.noisy_line", name=code(entry["name"]), service=entry["service"] or "—",
                               starts=len(entry["starts"]), flaps=entry["flaps"], quick=entry["quick"]))
    lines += gaps_section(reader, tr)
    return "\n".join(lines) + "\n", line


def findings_of(shift: _Shift, noisy: list[dict], now: datetime) -> list[dict]:
    """One finding per open incident, firing alert, resolved incident,
    change, noisy alert, and the most fired alerts of the shift."""
    out = []
    for incident in shift.open:
        opened = _opened(incident)
        out.append({"kind": "open_incident", "incident": ref(incident, "title"), "service": incident.get("service"),
                    "status": incident.get("status"), "urgency": incident.get("urgency"),
                    "priority": incident.get("priority"), "url": incident.get("url"),
                    "figures": {"open_seconds": int((now - opened).total_seconds()) if opened else None}})
    for alert in shift.firing:
        started = parse_time(alert.get("last_start"))
        out.append({"kind": "firing_alert", "alert": ref(alert, "name"), "service": alert.get("service"),
                    "severity": alert.get("severity"),
                    "figures": {"firing_seconds": int((now - started).total_seconds()) if started else None,
                                "fired": alert.get("fired")}})
    for incident in shift.resolved:
        opened, done = _opened(incident), parse_time(incident.get("resolved_at"))
        out.append({"kind": "resolved_incident", "incident": ref(incident, "title"), "service": incident.get("service"),
                    "resolved_at": incident.get("resolved_at"),
                    "figures": {"time_to_resolve_seconds": int((done - opened).total_seconds())
                                if opened and done else None}})
    for change in shift.changes:
        out.append({"kind": "shift_change", "change": ref(change, "kind", "description"),
                    "service": change.get("service"), "at": change.get("at"), "outcome": change.get("outcome"),
                    "figures": {"failed": change.get("outcome") in FAILED}})
    for entry in sorted(shift.fired.values(), key=lambda e: (-len(e["starts"]), e["key"]))[:TOP_FIRED]:
        out.append({"kind": "fired_alert", "alert": {"key": entry["key"], "name": entry["name"]},
                    "service": entry["service"], "severity": entry["severity"],
                    "figures": {"starts": len(entry["starts"])}})
    for entry in noisy:
        out.append({"kind": "noisy_alert", "alert": {"key": entry["key"], "name": entry["name"]},
                    "service": entry["service"], "severity": entry["severity"],
                    "figures": {"starts": len(entry["starts"]), "flaps": entry["flaps"],
                                "quick_resolved": entry["quick"], "acked": entry["acked"]},
                    "fix": None})
    return out


def run(call, task, now: datetime, locale: str) -> Result:
    """The handover brief of the shift (default: the 12 hours before now)."""
    tr, reader = Text(locale), Reader(call)
    since, until = window(task, now, DEFAULT_SHIFT)
    shift = _Shift(reader, since, until)
    noisy = shift.noisy()
    report, line = report_of(shift, noisy, now, tr, reader)
    summary = {"open_incidents": len(shift.open), "firing_alerts": len(shift.firing),
               "fired_alerts": len(shift.fired), "firings": sum(len(e["starts"]) for e in shift.fired.values()),
               "resolved_incidents": len(shift.resolved),
               "changes": len(shift.changes), "noisy_alerts": len(noisy),
               "failed_changes": sum(c.get("outcome") in FAILED for c in shift.changes)}
    svg = chart.alert_volume(shift.rows, since, until, tr)
    return Result(report, envelope(TEMPLATE, since, until, findings_of(shift, noisy, now), summary), svg, line)
