"""Change: each change of the window (default the last 24 hours) with the
alerts and incidents on its service in the two hours after it, and a risk
verdict:
- harmful: an incident on its service opened within 2 h after it, or it
  failed (outcome failure/error) and alerts fired after it;
- suspicious: alerts on its service started within 2 h after it, or it failed;
- clean: nothing followed it (a change less than 2 h old says so: its window
  is still open);
- unknown: no service is known for it.

Per change, `query_alerts` (its service, [at, at + 2 h]) and
`query_incidents` (the same). query_alerts counts whole UTC days, so an alert
whose first and last start of those days straddle the window is checked
against the day rows' start minutes (`alert_days`, once per change)."""
import re
from datetime import datetime, timedelta

from sre_agent.analyses import chart
from sre_agent.analyses.common import Reader, Result, envelope, minutes_between, parse_time, ref, window_args
from sre_agent.analyses.context import window
from sre_agent.analyses.markdown import code, table
from sre_agent.analyses.report import gaps_section
from sre_agent.clock import iso
from sre_agent.i18n import Text

TEMPLATE = "change-review"
DEFAULT_WINDOW = timedelta(hours=24)
AFTER = timedelta(hours=2)
MAX_CHANGES = 100  # each costs two tool calls or three; the rest are listed, not examined
FAILED = ("failure", "error")
VERDICTS = ("harmful", "suspicious", "clean", "unknown")
ROLLBACK = re.compile(r"\b(?:roll(?:ed|ing)?[- ]?back|revert(?:ed|s|ing)?)\b|回滚", re.I)


class _Assessor:
    """Reads what followed each change, through the tools."""

    def __init__(self, reader: Reader, now: datetime):
        self.reader, self.now = reader, now

    def _first_start(self, alert: dict, service: str, at: datetime, end: datetime, days: list | None) -> tuple:
        """(the alert's first start in [at, end] or None, the day rows read for it)."""
        first, last = parse_time(alert.get("first_start")), parse_time(alert.get("last_start"))
        if first and at <= first <= end:
            return first, days
        if (last and last < at) or (first and first > end) or not (first or last):
            return None, days
        if days is None:  # the day sums cannot tell: the start minutes can
            days = self.reader.pages("alert_days", {"service": service, "since": iso(at), "until": iso(end),
                                                    "limit": 1000}, "days")
        low = at.replace(second=0, microsecond=0)
        starts = [t for row in days if row.get("key") == alert.get("key")
                  for t in chart.starts_of(row) if low <= t <= end]
        return min(starts, default=None), days

    def assess(self, change: dict, later: list[dict]) -> dict:
        """The change's finding: what followed it, its verdict and what to do."""
        at, service = parse_time(change.get("at")), change.get("service")
        failed = change.get("outcome") in FAILED
        after, incidents, complete = [], [], False
        if service and at:
            end = max(at, min(at + AFTER, self.now))
            complete = at + AFTER <= self.now
            if end > at:
                args = {"service": service, "since": iso(at), "until": iso(end)}
                days = None
                for alert in self.reader.pages("query_alerts", {**args, "limit": 200}, "alerts"):
                    first, days = self._first_start(alert, service, at, end, days)
                    if first:
                        after.append({**ref(alert, "name"), "severity": alert.get("severity"),
                                      "status": alert.get("status"), "minutes_after": minutes_between(at, first)})
                for incident in self.reader.pages("query_incidents", {**args, "limit": 200}, "incidents"):
                    opened = parse_time(incident.get("opened_at"))
                    if opened and at <= opened <= at + AFTER:
                        incidents.append({**ref(incident, "title"), "status": incident.get("status"),
                                          "minutes_after": minutes_between(at, opened)})
        after.sort(key=lambda a: (a["minutes_after"], a["key"] or ""))
        incidents.sort(key=lambda i: (i["minutes_after"], i["key"] or ""))
        if not service:
            verdict = "unknown"
        elif incidents or (failed and after):
            verdict = "harmful"
        elif after or failed:
            verdict = "suspicious"
        else:
            verdict = "clean"
        rolled_back = any(c.get("service") == service and (c.get("at") or "") > (change.get("at") or "") and
                          ROLLBACK.search(f"{c.get('kind') or ''} {c.get('description') or ''}") for c in later)
        return {"kind": "change_risk", "verdict": verdict, "change": ref(change, "kind", "description"),
                "service": service, "at": change.get("at"), "who": change.get("who"),
                "environment": change.get("environment"), "outcome": change.get("outcome"),
                "link": change.get("link"),
                "figures": {"alerts_after": len(after), "incidents_after": len(incidents),
                            "minutes_to_first_alert": after[0]["minutes_after"] if after else None,
                            "minutes_to_first_incident": incidents[0]["minutes_after"] if incidents else None,
                            "window_complete": complete, "rolled_back": rolled_back},
                "alerts": after, "incidents": incidents}


def _fix(finding: dict, tr: Text) -> str | None:
    verdict, service = finding["verdict"], finding["service"]
    if verdict == "harmful":
        return tr("chg.fix.rolled_back", service=service) if finding["figures"]["rolled_back"] else \
            tr("chg.fix.harmful", service=service)
    if verdict == "suspicious":
        return tr("chg.fix.suspicious", service=service) if finding["alerts"] else tr("chg.fix.failed", service=service)
    return tr("chg.fix.unknown") if verdict == "unknown" else None


def _evidence(finding: dict, tr: Text) -> list[str]:
    lines = []
    for incident in finding["incidents"]:
        lines.append(tr("chg.ev.incident", title=incident.get("title") or incident.get("key"),
                        minutes=incident["minutes_after"], key=code(incident.get("key"))))
    for alert in finding["alerts"][:10]:
        lines.append(tr("chg.ev.alert", name=code(alert.get("name") or alert.get("key")),
                        severity=alert.get("severity") or "—", minutes=alert["minutes_after"]))
    if finding["outcome"] in FAILED:
        lines.append(tr("chg.ev.failed", outcome=finding["outcome"]))
    return lines


def report_of(found: list[dict], skipped: list[dict], since, until, tr: Text, reader: Reader) -> tuple[str, dict, str]:
    """(the Markdown report, the summary object, the one-line summary)."""
    counts = {v: sum(f["verdict"] == v for f in found) for v in VERDICTS}
    unlinked = [f for f in found if not f["link"]]
    summary = {"changes": len(found) + len(skipped), "examined": len(found), **counts, "without_link": len(unlinked)}
    line = tr("chg.line", n=len(found) + len(skipped), **counts)
    lines = [f"# {tr('chg.title')}", "", tr("chg.window", span=tr.span(since, until)), "", f"**{line}**", "",
             f"## {tr('chg.negative')}", ""]
    risky = [f for v in ("harmful", "suspicious") for f in found if f["verdict"] == v]
    for f in risky:
        change = f["change"]
        lines += [f"### {code(change['key'])} {change.get('kind') or ''} · {f['service']} · "
                  f"{tr.when(parse_time(f['at']))} — {tr('verdict.' + f['verdict'])}", "",
                  "- " + tr("chg.what", description=change.get("description") or "—", who=f["who"] or "—",
                            outcome=f["outcome"] or "—")]
        lines += [f"- {text}" for text in _evidence(f, tr)]
        urgency = tr("chg.urgent") if f["verdict"] == "harmful" else tr("chg.soon")
        lines += [f"- {tr('chg.recommend', fix=f['fix'], urgency=urgency)}"]
        if not f["figures"]["window_complete"]:
            lines.append(f"- {tr('chg.open_window')}")
        lines.append("")
    if not risky:
        lines += [tr("chg.none_risky"), ""]
    lines += [f"## {tr('chg.all')}", ""]
    lines += table(tr("chg.all_head").split("|"), [
        [tr.when(parse_time(f["at"])), f["service"], f["change"].get("kind"), code(f["change"]["key"]), f["who"],
         f["outcome"], f["figures"]["alerts_after"], f["figures"]["incidents_after"],
         tr("verdict." + f["verdict"]) + ("" if f["figures"]["window_complete"] or not f["service"] else " *")]
        for f in found])
    if any(not f["figures"]["window_complete"] and f["service"] for f in found):
        lines += ["", tr("chg.star")]
    if skipped:
        lines += ["", tr("chg.skipped", n=len(skipped), limit=MAX_CHANGES)]
    lines += ["", f"## {tr('chg.unlinked')}", ""]
    lines += ["- " + tr("item.of", name=code(f["change"]["key"]),
                        about=tr.join((f["service"] or "—", tr.when(parse_time(f["at"]))))) for f in unlinked] \
        or [tr("chg.unlinked_none")]
    lines += ["", tr("chg.windows_unknown"), "", f"## {tr('chg.causation')}", "", tr("chg.causation_text")]
    lines += gaps_section(reader, tr)
    return "\n".join(lines) + "\n", summary, line


def run(call, task, now: datetime, locale: str) -> Result:
    """The change review of the window (default: the 24 hours before now)."""
    tr, reader = Text(locale), Reader(call)
    since, until = window(task, now, DEFAULT_WINDOW)
    changes = reader.pages("query_changes", {**window_args(since, until), "limit": 200}, "changes")
    examined, skipped = changes[:MAX_CHANGES], changes[MAX_CHANGES:]  # newest first: the newest are examined
    assessor = _Assessor(reader, now)
    found = []
    for change in examined:
        finding = assessor.assess(change, changes)
        finding["fix"] = _fix(finding, tr)
        found.append(finding)
    rows = reader.pages("alert_days", {**window_args(since, until), "limit": 1000}, "days")  # the chart's
    report, summary, line = report_of(found, skipped, since, until, tr, reader)
    marks = [(parse_time(f["at"]), f["change"]["key"]) for f in found if parse_time(f["at"])]
    svg = chart.alert_volume(rows, since, until, tr, marks=marks, marks_legend=tr("chart.marks_changes"))
    return Result(report, envelope(TEMPLATE, since, until, found, summary), svg, line)
