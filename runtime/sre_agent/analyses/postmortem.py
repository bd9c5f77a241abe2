"""Incident Post-mortem: a blameless draft for one incident.

The incident is the run's: the triggering incident.* event's, else a key
(pagerduty#PGR0VU2) or a bare PagerDuty id named in the context text or the
prompt, else the newest resolved one (`incident_timeline(latest_resolved)`).
From its timeline it draws the moments (first alert, triggered,
acknowledged, escalated, resolved), the times to detect, acknowledge and
resolve, the changes on its service in the 24 h before, and the related
alerts; the draft has the template's sections, and whatever the data does not
show is marked (unverified). Nobody is named: no responder, no author of a
change."""
from datetime import datetime, timedelta
from itertools import islice

from sre_agent.analyses import chart
from sre_agent.analyses.common import (
    Reader,
    Result,
    envelope,
    hour_floor,
    minutes_between,
    parse_time,
    ref,
    window_args,
)
from sre_agent.analyses.context import incident_ref
from sre_agent.analyses.markdown import code, table
from sre_agent.analyses.report import gaps_section
from sre_agent.clock import iso
from sre_agent.i18n import Text

TEMPLATE = "incident-postmortem"
SEARCH_ROWS = 2000  # a bare id is looked for among this many incidents of the last 31 days at most
SLOW_ACK = 15 * 60
QUICK_ACK = 5 * 60
LATE_DETECTION = 15 * 60
FAILED = ("failure", "error")


def _search(reader: Reader, ident: str, now: datetime) -> str | None:
    """The key of the incident with this id (or key), among the last 31 days' incidents."""
    rows = reader.each("query_incidents", {**window_args(now - timedelta(days=31), now), "limit": 200},
                       "incidents")
    for row in islice(rows, SEARCH_ROWS):
        key = str(row.get("key") or "")
        if ident in (row.get("id"), key) or key.endswith("#" + ident):
            return key
    return None


def find(reader: Reader, task, now: datetime) -> tuple[dict | None, str, str | None]:
    """(the incident_timeline answer or None, how it was chosen, the reference
    the run named but that was not found)."""
    named = incident_ref(task)
    missing = None
    if named:
        how, kind, value = named
        key = value if kind == "key" else _search(reader, value, now)
        answer = reader.one("incident_timeline", {"key": key}) if key else None
        if answer and isinstance(answer.get("incident"), dict):
            return answer, how, None
        missing = value
    answer = reader.one("incident_timeline", {"latest_resolved": True})
    return (answer if answer and isinstance(answer.get("incident"), dict) else None), "latest_resolved", missing


def _seconds(metrics: dict, name: str, start, end) -> int | None:
    value = metrics.get(name)
    if isinstance(value, (int, float)):
        return int(value)
    return int((end - start).total_seconds()) if start and end else None


def _status(tr: Text, status) -> str:
    key = f"status.{status}"
    return tr(key) if key in tr.strings else str(status or "—")


class _Draft:
    """One incident's figures, findings and report."""

    def __init__(self, answer: dict, tr: Text, now: datetime):
        self.tr, self.now = tr, now
        self.incident = answer["incident"]
        self.timeline = [e for e in answer.get("timeline") or [] if isinstance(e, dict)]
        self.alerts = [a for a in answer.get("alerts") or [] if isinstance(a, dict)]
        self.changes = sorted((c for c in answer.get("changes") or [] if isinstance(c, dict)),
                              key=lambda c: c.get("at") or "")
        metrics = answer.get("metrics") or {}
        i = self.incident
        self.opened, self.acked = parse_time(i.get("opened_at")), parse_time(i.get("acknowledged_at"))
        self.resolved = parse_time(i.get("resolved_at"))
        self.first_alert = parse_time(metrics.get("first_alert_at")) or min(
            (t for t in (parse_time(a.get("first_start")) for a in self.alerts) if t), default=None)
        self.ttd = _seconds(metrics, "time_to_detect_seconds", self.first_alert, self.opened)
        self.tta = _seconds(metrics, "time_to_acknowledge_seconds", self.opened, self.acked)
        self.ttr = _seconds(metrics, "time_to_resolve_seconds", self.opened, self.resolved)
        self.service = i.get("service")
        self.name = i.get("title") or i.get("key")
        self.during: list[dict] = []  # changes on its service while it was open: mitigations, or more trouble

    def window(self) -> tuple[datetime, datetime]:
        """The chart's window: an hour before the first signal to two after the end (not past now)."""
        start = min(t for t in (self.first_alert, self.opened, self.now) if t)
        end = self.resolved or self.now
        return hour_floor(start) - timedelta(hours=1), min(self.now, hour_floor(end) + timedelta(hours=2))

    def moments(self) -> list[tuple[datetime, str]]:
        """The timeline's rows, oldest first: changes, alerts, status changes."""
        tr, rows = self.tr, []
        for change in self.changes[-5:]:  # the nearest ones; all of them are in their own section
            rows.append((parse_time(change.get("at")), tr("pm.ev.change", kind=change.get("kind") or "—",
                                                          key=change.get("key"), outcome=change.get("outcome") or "—")))
        for change in self.during:
            rows.append((parse_time(change.get("at")), tr("pm.ev.change_during", kind=change.get("kind") or "—",
                                                          key=change.get("key"), outcome=change.get("outcome") or "—")))
        early = self.opened - timedelta(hours=2) if self.opened else None
        for alert in self.alerts:  # each alert's first start of the incident's window
            firings = [f for f in alert.get("firings") or [] if isinstance(f, dict)]
            starts = [t for t in (parse_time(f.get("start")) for f in firings) if t and (early is None or t >= early)]
            first = min(starts, default=None) or parse_time(alert.get("first_start"))
            if first:
                rows.append((first, tr("pm.ev.alert", name=alert.get("name") or alert.get("key"),
                                       severity=alert.get("severity") or "—")))
        entries = self.timeline or [{"at": self.incident.get(f"{s}_at"), "status": s}
                                    for s in ("opened", "acknowledged", "resolved")]
        for entry in entries:
            status = "triggered" if entry.get("status") == "opened" else entry.get("status")
            rows.append((parse_time(entry.get("at")), tr("pm.ev.status", status=_status(tr, status))))
        return sorted(((at, text) for at, text in rows if at), key=lambda r: r[0])

    def findings(self) -> list[dict]:
        i = self.incident
        statuses = [{"at": e.get("at"), "status": e.get("status")} for e in self.timeline]
        out = [{"kind": "incident", "incident": ref(i, "title"), "service": self.service,
                "urgency": i.get("urgency"), "priority": i.get("priority"), "status": i.get("status"),
                "opened_at": i.get("opened_at"), "acknowledged_at": i.get("acknowledged_at"),
                "resolved_at": i.get("resolved_at"), "first_alert_at": iso(self.first_alert),
                "figures": {"time_to_detect_seconds": self.ttd, "time_to_acknowledge_seconds": self.tta,
                            "time_to_resolve_seconds": self.ttr, "changes_before": len(self.changes),
                            "related_alerts": len(self.alerts)},
                "timeline": statuses}]
        for change in reversed(self.changes):  # the nearest first
            out.append({"kind": "change_before", "change": ref(change, "kind", "description"),
                        "service": change.get("service"), "at": change.get("at"), "outcome": change.get("outcome"),
                        "link": change.get("link"),
                        "figures": {"minutes_before": minutes_between(parse_time(change.get("at")), self.opened)}})
        for change in self.during:
            out.append({"kind": "change_during", "change": ref(change, "kind", "description"),
                        "service": change.get("service"), "at": change.get("at"), "outcome": change.get("outcome"),
                        "link": change.get("link"),
                        "figures": {"minutes_after_open": minutes_between(self.opened, parse_time(change.get("at")))}})
        for alert in self.alerts:
            firings = [f for f in alert.get("firings") or [] if isinstance(f, dict)]
            first = min((t for t in (parse_time(f.get("start")) for f in firings) if t), default=None) or \
                parse_time(alert.get("first_start"))
            out.append({"kind": "related_alert", "alert": ref(alert, "name"), "service": alert.get("service"),
                        "severity": alert.get("severity"), "linked": bool(alert.get("linked")),
                        "figures": {"firings": len(firings),
                                    "minutes_before_open": minutes_between(first, self.opened)}})
        return out

    def summary_sentences(self) -> list[str]:
        tr = self.tr
        duration = tr.duration(self.ttr) if self.ttr is not None else tr("pm.ongoing")
        out = [tr("pm.s.what", when=tr.when(self.opened), title=self.name, service=self.service or "—",
                  duration=duration)]
        if self.first_alert and self.ttd is not None and self.ttd >= 0:
            out.append(tr("pm.s.detected", ttd=tr.duration(self.ttd), tta=tr.duration(self.tta),
                          ttr=tr.duration(self.ttr)))
        else:
            out.append(tr("pm.s.undetected", tta=tr.duration(self.tta), ttr=tr.duration(self.ttr)))
        if self.changes:
            nearest = self.changes[-1]
            out.append(tr("pm.s.change", kind=nearest.get("kind") or "—", key=nearest.get("key"),
                          before=tr.duration(60 * (minutes_between(parse_time(nearest.get("at")), self.opened) or 0))))
        else:
            out.append(tr("pm.s.no_change", service=self.service or "—"))
        return out

    def went_well(self) -> list[str]:
        tr, out = self.tr, []
        if self.first_alert and self.ttd is not None and self.ttd >= 0:
            out.append(tr("pm.well.detected", ttd=tr.duration(self.ttd)))
        if self.tta is not None and self.tta <= QUICK_ACK:
            out.append(tr("pm.well.acked", tta=tr.duration(self.tta)))
        if self.ttr is not None and self.ttr <= 3600:
            out.append(tr("pm.well.resolved", ttr=tr.duration(self.ttr)))
        return out

    def went_poorly(self) -> list[str]:
        tr, out = self.tr, []
        if not self.first_alert or (self.ttd is not None and self.ttd < 0):
            out.append(tr("pm.poor.no_alert"))
        elif self.ttd is not None and self.ttd > LATE_DETECTION:
            out.append(tr("pm.poor.late", ttd=tr.duration(self.ttd)))
        if self.tta is not None and self.tta > SLOW_ACK:
            out.append(tr("pm.poor.slow_ack", tta=tr.duration(self.tta)))
        if any(e.get("status") == "escalated" for e in self.timeline):
            out.append(tr("pm.poor.escalated"))
        for change in self.changes:
            if change.get("outcome") in FAILED:
                out.append(tr("pm.poor.failed_change", key=change.get("key"), outcome=change.get("outcome")))
        return out

    def actions(self) -> list[list[str]]:
        tr = self.tr
        rows = [[tr("pm.act.root"), tr("pm.role.ic"), "P0", tr("pm.done.root")]]
        if not self.first_alert or (self.ttd is not None and self.ttd < 0):
            rows.append([tr("pm.act.alert"), tr("pm.role.team"), "P0", tr("pm.done.alert")])
        if self.changes:
            key = self.changes[-1].get("key")
            rows.append([tr("pm.act.change", key=key, service=self.service or "—"), tr("pm.role.team"), "P1",
                         tr("pm.done.change", service=self.service or "—")])
        if self.tta is not None and self.tta > SLOW_ACK:
            rows.append([tr("pm.act.ack", tta=tr.duration(self.tta)), tr("pm.role.lead"), "P1", tr("pm.done.ack")])
        rows.append([tr("pm.act.review"), tr("pm.role.ic"), "P2", tr("pm.done.review")])
        return rows

    def report(self, how: str, missing: str | None) -> str:
        tr, i = self.tr, self.incident
        unverified = tr("pm.unverified")
        duration = tr.duration(self.ttr) if self.ttr is not None else tr("pm.ongoing")
        lines = [f"# {tr('pm.title', title=self.name)}", "", tr("pm.draft_note"), ""]
        if missing:
            lines += [tr("pm.missing", ref=missing), ""]
        lines += [tr(f"pm.chosen.{how}", key=i.get("key")), "", f"## {tr('pm.summary')}", "",
                  tr.sentences(*self.summary_sentences()), "", f"## {tr('pm.impact')}", "",
                  f"- {tr('pm.impact.service', service=self.service or '—')}",
                  f"- {tr('pm.impact.level', urgency=i.get('urgency') or '—', priority=i.get('priority') or '—')}",
                  f"- {tr('pm.impact.duration', duration=duration)}",
                  "- " + tr.sentences(tr("pm.impact.unknown"), unverified), "", f"## {tr('pm.timeline')}", ""]
        lines += table(tr("pm.metrics_head").split("|"),
                       [[tr.duration(self.ttd), tr.duration(self.tta), tr.duration(self.ttr)]])
        lines += [""] + table(tr("pm.timeline_head").split("|"), [[tr.when(at), text] for at, text in self.moments()])
        lines += ["", f"## {tr('pm.changes')}", ""]
        if self.changes:
            lines += table(tr("pm.changes_head").split("|"), [
                [tr.when(parse_time(c.get("at"))), c.get("kind"), code(c.get("key")), c.get("description"),
                 c.get("outcome"), tr.duration(60 * (minutes_between(parse_time(c.get("at")), self.opened) or 0))]
                for c in reversed(self.changes)])
        else:
            lines.append(tr("pm.no_changes", service=self.service or "—"))
        if self.during:
            lines += ["", tr("pm.during"), ""]
            for c in self.during:
                what = f"{c.get('kind') or '—'} {code(c.get('key'))} {c.get('description') or ''}".strip()
                lines.append("- " + tr("item.about", name=tr.when(parse_time(c.get("at"))),
                                       about=c.get("outcome") or "—", text=tr.sentences(what, unverified)))
        lines += ["", f"## {tr('pm.alerts')}", ""]
        if self.alerts:
            lines += table(tr("pm.alerts_head").split("|"), [
                [code(a.get("name") or a.get("key")), a.get("service"), a.get("severity"),
                 tr("yes") if a.get("linked") else tr("no"), tr.when(parse_time(a.get("first_start"))),
                 len(a.get("firings") or [])] for a in self.alerts])
        else:
            lines.append(tr("pm.no_alerts"))
        lines += ["", f"## {tr('pm.cause')}", "", "- " + tr.sentences(tr("pm.cause.unknown"), unverified)]
        if self.changes:
            nearest = self.changes[-1]
            lines.append("- " + tr.sentences(tr("pm.cause.change", key=nearest.get("key"),
                                                kind=nearest.get("kind") or "—"), unverified))
        before = [(a, minutes_between(parse_time(a.get("first_start")), self.opened)) for a in self.alerts]
        first_alerts = [a for a, minutes in before if minutes is not None and minutes >= 0]
        if first_alerts:
            names = tr.join(code(a.get("name") or a.get("key")) for a in first_alerts[:5])
            lines.append(f"- {tr('pm.cause.signals', names=names)}")
        lines += ["", f"## {tr('pm.well')}", ""]
        lines += [f"- {text}" for text in self.went_well()] or [f"- {tr('pm.fill_in')}"]
        lines += ["", f"## {tr('pm.poorly')}", ""]
        lines += [f"- {text}" for text in self.went_poorly()] or [f"- {tr('pm.fill_in')}"]
        lines += ["", f"## {tr('pm.actions')}", ""]
        lines += table(tr("pm.actions_head").split("|"), self.actions())
        return "\n".join(lines) + "\n"


def run(call, task, now: datetime, locale: str) -> Result:
    """The post-mortem draft of the run's incident (see the module)."""
    tr, reader = Text(locale), Reader(call)
    answer, how, missing = find(reader, task, now)
    if answer is None:
        since, until = now - timedelta(hours=24), now
        rows = reader.pages("alert_days", {**window_args(since, until), "limit": 1000}, "days")
        lines = [f"# {tr('pm.title_none')}", ""]
        if missing:
            lines += [tr("pm.missing", ref=missing), ""]
        lines += [tr("pm.none")] + gaps_section(reader, tr)
        summary = {"found": False, "incident": None, "chosen": None}
        return Result("\n".join(lines) + "\n", envelope(TEMPLATE, since, until, [], summary),
                      chart.alert_volume(rows, since, until, tr), tr("pm.none_line"))
    draft = _Draft(answer, tr, now)
    if draft.service and draft.opened:
        draft.during = sorted(reader.pages("query_changes", {
            **window_args(draft.opened, max(draft.opened, draft.resolved or now)), "service": draft.service,
            "limit": 200}, "changes"), key=lambda c: c.get("at") or "")
    since, until = draft.window()
    args = {**window_args(since, until), "limit": 1000}
    if draft.service:
        args["service"] = draft.service
    rows = reader.pages("alert_days", args, "days")
    marks = [(t, _status(tr, s)) for t, s in ((draft.opened, "triggered"), (draft.acked, "acknowledged"),
                                              (draft.resolved, "resolved")) if t]
    marks += [(parse_time(c.get("at")), c.get("key")) for c in draft.changes + draft.during if parse_time(c.get("at"))]
    svg = chart.alert_volume(rows, since, until, tr, subject=draft.service, marks=marks,
                             marks_legend=tr("chart.marks_incident"))
    report = draft.report(how, missing) + "".join(line + "\n" for line in gaps_section(reader, tr))
    findings = draft.findings()
    summary = {"found": True, "chosen": how, "incident": draft.incident.get("key"), "service": draft.service,
               "time_to_detect_seconds": draft.ttd, "time_to_acknowledge_seconds": draft.tta,
               "time_to_resolve_seconds": draft.ttr, "changes_before": len(draft.changes),
               "changes_during": len(draft.during),
               "related_alerts": len(draft.alerts)}
    line = tr("pm.line", title=draft.name, ttd=tr.duration(draft.ttd), tta=tr.duration(draft.tta),
              ttr=tr.duration(draft.ttr), changes=len(draft.changes))
    return Result(report, envelope(TEMPLATE, since, until, findings, summary), svg, line)
