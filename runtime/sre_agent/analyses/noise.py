"""Noise Reduction: which alerts of the window waste on-call attention, and a
concrete fix for each.

It reads the day aggregates (`alert_days`, a few items per alert per day, not
every firing) and the incidents of the window's days (`query_incidents`), and
finds, per alert:
- flapping: it fired again within an hour of resolving, FLAPS_MIN times or more;
- quick_resolved: it fired more than 5 times, at least half of them resolved
  within 5 minutes with nobody acknowledging, and nobody ever did;
- duplicate: another alert on its service started within DUPLICATE_MINUTES of
  most of its starts (it is the one with fewer starts);
- severity_mismatch: critical but never acknowledged and mostly quick-resolved
  (down), or warning/info yet acknowledged every time or followed by an
  incident (up);
- unsure: mostly quick-resolved, yet somebody acknowledged some firings;
- preceded_incident: it started within 2 h before an incident on its service
  opened (or is linked to one). Such an alert gets no noise finding and no fix
  that would silence it: it is listed apart, whatever its figures.
"""
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sre_agent.analyses import chart
from sre_agent.analyses.common import Reader, Result, day_start, envelope, parse_time, window_args
from sre_agent.analyses.context import window
from sre_agent.analyses.markdown import code, table
from sre_agent.analyses.report import gaps_section
from sre_agent.i18n import Text

TEMPLATE = "noise-reduction"
DEFAULT_WINDOW = timedelta(days=7)
FLAPS_MIN = 3
QUICK_FIRED_MIN = 6  # "fired more than 5 times" (the template)
QUICK_SHARE = 0.5
DUPLICATE_MINUTES = 10  # "within the same 10 minutes" (the template)
DUPLICATE_TOGETHER_MIN = 3
DUPLICATE_SHARE = 0.7
DUPLICATE_RATIO = 2
SEVERITY_FIRED_MIN = 3
PRECEDES_MINUTES = 120
MINUTES_PER_NOISY_FIRING = 5  # the on-call cost estimate: one interruption per noisy firing
TOP = 10
HIGH = {"critical", "page", "high", "error", "major", "p1", "sev1", "disaster", "emergency"}
LOW = {"warning", "warn", "info", "informational", "low", "minor", "notice", "p3", "p4", "p5", "none"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class _Alert:
    """One alert's sums over the window, and its starts (minutes since the epoch, UTC)."""
    key: str
    name: str
    service: str | None
    severity: str | None
    fired: int = 0
    resolved: int = 0
    quick: int = 0
    flaps: int = 0
    acked: int = 0
    firing_seconds: int = 0
    starts: list = field(default_factory=list)
    kept: tuple | None = None  # (incident, minutes before it opened) when it preceded an incident

    def ref(self) -> dict:
        return {"key": self.key, "name": self.name}

    def mean_seconds(self) -> float | None:
        return self.firing_seconds / self.resolved if self.resolved else None


def _minute(at: datetime) -> int:
    return int((at - _EPOCH).total_seconds() // 60)


def _service(value) -> str | None:
    return str(value).strip().lower() if value else None


def aggregate(rows: list[dict]) -> dict[str, _Alert]:
    """The alerts of the day rows, their figures summed over the days."""
    alerts: dict[str, _Alert] = {}
    for row in rows:
        key = row.get("key")
        if not key:
            continue
        alert = alerts.get(key)
        if alert is None:
            alert = alerts[key] = _Alert(key, row.get("name") or key, row.get("service"), row.get("severity"))
        alert.fired += int(row.get("fired") or 0)
        alert.resolved += int(row.get("resolved") or 0)
        alert.quick += int(row.get("quick_resolved") or 0)
        alert.flaps += int(row.get("flaps") or 0)
        alert.acked += int(row.get("acked") or 0)
        alert.firing_seconds += int(row.get("firing_seconds") or 0)
        alert.starts.extend(_minute(at) for at in chart.starts_of(row))
    for alert in alerts.values():
        alert.starts.sort()
    return alerts


def mark_preceding(alerts: dict[str, _Alert], incidents: list[dict]) -> None:
    """Keep (never silence) each alert that started within 2 h before an
    incident on its service opened (the nearest such start is kept with it),
    or that an incident links."""
    opened = defaultdict(list)  # service -> [(minute opened, incident)], sorted
    linked = {}
    for incident in incidents:
        at = parse_time(incident.get("opened_at"))
        if at is None:
            continue
        for key in incident.get("alert_keys") or ():
            linked.setdefault(key, incident)
        if _service(incident.get("service")):
            opened[_service(incident.get("service"))].append((_minute(at), incident))
    for entries in opened.values():
        entries.sort(key=lambda e: e[0])
    times = {service: [minute for minute, _ in entries] for service, entries in opened.items()}
    for alert in alerts.values():
        service = _service(alert.service)
        best = None
        for start in alert.starts if service in opened else ():  # an incident opened in [start, start + 2 h]
            i = bisect_left(times[service], start)
            if i < len(times[service]) and times[service][i] - start <= PRECEDES_MINUTES:
                gap = times[service][i] - start
                if best is None or gap < best[1]:
                    best = (opened[service][i][1], gap)
        alert.kept = best or ((linked[alert.key], None) if alert.key in linked else None)


def _pairs(group: list[_Alert]):
    """(the alert, another on its service, how many of its starts have one of
    the other's within DUPLICATE_MINUTES) for the pairs that pass the bounds.
    Each alert's starts are one bit set (a bit per minute of the window), the
    other's widened by the gap: one AND and a bit count per pair, whatever the
    number of starts."""
    base = min(alert.starts[0] for alert in group)
    ordered = sorted(group, key=lambda a: (len(a.starts), a.key))  # fewer starts first
    bits, near = [], []
    for alert in ordered:
        one = 0
        for start in alert.starts:
            one |= 1 << (start - base)
        wide = one
        for shift in range(1, DUPLICATE_MINUTES + 1):
            wide |= (one << shift) | (one >> shift)
        bits.append(one)
        near.append(wide)
    for i, small in enumerate(ordered):
        need = max(DUPLICATE_TOGETHER_MIN, DUPLICATE_SHARE * len(small.starts))
        for j in range(i + 1, len(ordered)):
            large = ordered[j]
            if len(large.starts) > DUPLICATE_RATIO * len(small.starts):
                break  # sorted by starts: every later one fires more often still
            together = (bits[i] & near[j]).bit_count()
            if together >= need:
                yield small, large, together


def duplicates(alerts: dict[str, _Alert]) -> list[tuple[_Alert, _Alert, int]]:
    """(the alert, the one it duplicates, starts together): pairs of alerts on
    one service whose starts fall within DUPLICATE_MINUTES of each other for
    most of the one with fewer starts (DUPLICATE_SHARE, at least
    DUPLICATE_TOGETHER_MIN times). The other may start at most
    DUPLICATE_RATIO times as often: an alert that fires all the time is near
    everything, and duplicates nothing."""
    by_service = defaultdict(list)
    for alert in alerts.values():
        if _service(alert.service) and alert.starts:
            by_service[_service(alert.service)].append(alert)
    pairs = [pair for group in by_service.values() if len(group) > 1 for pair in _pairs(group)]
    # the strongest pairs first; an alert is reported once, and never merged into one merged itself
    pairs.sort(key=lambda p: (-p[2] / len(p[0].starts), -p[2], p[0].key, p[1].key))
    chosen, merged, targets = [], set(), set()
    for small, large, count in pairs:
        if small.kept is not None:  # merging it away would silence what came before an incident
            if large.kept is not None:
                continue
            small, large = large, small
        if small.key in merged or small.key in targets or large.key in merged:
            continue
        chosen.append((small, large, count))
        merged.add(small.key)
        targets.add(large.key)
    return chosen


def _severity(alert: _Alert) -> str:
    value = (alert.severity or "").strip().lower()
    return "high" if value in HIGH else "low" if value in LOW else ""


def _finding(kind: str, alert: _Alert, figures: dict, **more) -> dict:
    return {"kind": kind, "alert": alert.ref(), "service": alert.service, "severity": alert.severity,
            "figures": figures, **more}


def findings_of(alerts: dict[str, _Alert], tr: Text) -> list[dict]:
    """Every finding, by kind, each kind's biggest first."""
    ordered = sorted(alerts.values(), key=lambda a: (-a.fired, a.key))
    out = {kind: [] for kind in ("flapping", "quick_resolved", "duplicate", "severity_mismatch", "unsure",
                                 "preceded_incident")}
    for alert in ordered:
        quick_mostly = alert.fired >= QUICK_FIRED_MIN and alert.quick >= QUICK_SHARE * alert.fired
        level = _severity(alert)
        if alert.kept is not None:
            incident, gap = alert.kept
            out["preceded_incident"].append(_finding(
                "preceded_incident", alert,
                {"fired": alert.fired, "flaps": alert.flaps, "quick_resolved": alert.quick, "acked": alert.acked,
                 "minutes_before": gap},
                incident={"key": incident.get("key"), "title": incident.get("title")}, fix=None,
                note=tr("noise.keep_note", incident=incident.get("title") or incident.get("key"))))
            if level == "low" and alert.fired:
                out["severity_mismatch"].append(_finding(
                    "severity_mismatch", alert, {"fired": alert.fired, "acked": alert.acked},
                    direction="up", fix=tr("noise.fix.raise_preceded",
                                           incident=incident.get("title") or incident.get("key"))))
            continue
        if alert.flaps >= FLAPS_MIN:
            out["flapping"].append(_finding("flapping", alert, {"fired": alert.fired, "flaps": alert.flaps},
                                            fix=tr("noise.fix.flapping")))
        if quick_mostly and alert.acked == 0:
            mean = alert.mean_seconds()
            # quick-resolved firings cleared within 5 minutes: waiting 5 would have kept every one of them quiet
            out["quick_resolved"].append(_finding(
                "quick_resolved", alert,
                {"fired": alert.fired, "quick_resolved": alert.quick, "acked": alert.acked,
                 "mean_seconds": None if mean is None else round(mean)},
                fix=tr("noise.fix.quick", quick=alert.quick)))
        elif quick_mostly:
            out["unsure"].append(_finding(
                "unsure", alert, {"fired": alert.fired, "quick_resolved": alert.quick, "acked": alert.acked},
                fix=None, question=tr("noise.unsure_question", acked=alert.acked, fired=alert.fired,
                                      quick=alert.quick)))
        if level == "high" and alert.fired >= SEVERITY_FIRED_MIN and alert.acked == 0 and \
                alert.quick >= QUICK_SHARE * alert.fired:
            out["severity_mismatch"].append(_finding(
                "severity_mismatch", alert, {"fired": alert.fired, "acked": 0, "quick_resolved": alert.quick},
                direction="down", fix=tr("noise.fix.downgrade", fired=alert.fired, quick=alert.quick)))
        elif level == "low" and alert.fired >= SEVERITY_FIRED_MIN and alert.acked >= alert.fired:
            out["severity_mismatch"].append(_finding(
                "severity_mismatch", alert, {"fired": alert.fired, "acked": alert.acked},
                direction="up", fix=tr("noise.fix.raise_acked", fired=alert.fired)))
    for small, large, count in duplicates(alerts):
        out["duplicate"].append(_finding(
            "duplicate", small, {"fired": small.fired, "starts": len(small.starts), "together": count,
                                 "other_fired": large.fired},
            duplicate_of=large.ref(), fix=tr("noise.fix.merge", other=large.name)))
    return [finding for kind in out.values() for finding in kind]


NOISE_KINDS = ("flapping", "quick_resolved", "duplicate")


def _noisy(finding: dict) -> bool:
    return finding["kind"] in NOISE_KINDS or finding.get("direction") == "down"


def _why(finding: dict, tr: Text) -> str:
    f = finding["figures"]
    if finding["kind"] == "flapping":
        return tr("noise.why.flapping", flaps=f["flaps"])
    if finding["kind"] == "quick_resolved":
        return tr("noise.why.quick", quick=f["quick_resolved"], fired=f["fired"])
    if finding["kind"] == "duplicate":
        return tr("noise.why.duplicate", other=finding["duplicate_of"]["name"], together=f["together"])
    return tr("noise.why.downgrade")


def report_of(alerts, found, since, until, tr: Text, reader: Reader) -> tuple[str, dict, str]:
    """(the Markdown report, the summary object, the one-line summary)."""
    noisy = defaultdict(list)
    for finding in found:
        if _noisy(finding):
            noisy[finding["alert"]["key"]].append(finding)
    firings = sum(a.fired for a in alerts.values())
    noisy_firings = sum(alerts[key].fired for key in noisy)
    hours = round(noisy_firings * MINUTES_PER_NOISY_FIRING / 60, 1)
    kinds = defaultdict(int)
    for finding in found:
        kinds[finding["kind"]] += 1
    summary = {"total_alerts": len(alerts), "firings": firings, "noisy_alerts": len(noisy),
               "noisy_firings": noisy_firings, "noise_share": round(noisy_firings / firings, 3) if firings else 0.0,
               "oncall_hours_estimate": hours, "flapping": kinds["flapping"], "quick_resolved": kinds["quick_resolved"],
               "duplicates": kinds["duplicate"], "severity_mismatches": kinds["severity_mismatch"],
               "unsure": kinds["unsure"], "preceded_incident": kinds["preceded_incident"]}
    line = tr("noise.summary", alerts=len(alerts), firings=firings, noisy=len(noisy),
              share=tr.share(noisy_firings, firings), hours=hours)
    lines = [f"# {tr('noise.title')}", "", tr("noise.window", span=tr.span(since, until)), "", f"**{line}**", "",
             tr("noise.estimate", minutes=MINUTES_PER_NOISY_FIRING), "", f"## {tr('noise.top')}", ""]
    top = sorted(noisy, key=lambda k: (-alerts[k].fired, k))[:TOP]
    if top:
        lines += table(tr("noise.top_head").split("|"), [
            [code(alerts[k].name), alerts[k].service, alerts[k].fired, tr.duration(alerts[k].mean_seconds()),
             tr.clauses(_why(f, tr) for f in noisy[k]), tr.clauses(dict.fromkeys(f["fix"] for f in noisy[k]))]
            for k in top])
    else:
        lines.append(tr("noise.none"))
    severity = [f for f in found if f["kind"] == "severity_mismatch"]
    if severity:
        lines += ["", f"## {tr('noise.severity')}", ""]
        lines += ["- " + tr("item.about", name=code(f["alert"]["name"]), text=f["fix"],
                            about=tr.join((f["service"] or "—", f["severity"] or "—"))) for f in severity]
    kept = [f for f in found if f["kind"] == "preceded_incident"]
    lines += ["", f"## {tr('noise.kept')}", "", tr("noise.kept_intro"), ""]
    if kept:
        lines += table(tr("noise.kept_head").split("|"), [
            [code(f["alert"]["name"]), f["service"], f["incident"]["title"] or f["incident"]["key"],
             tr("noise.linked") if f["figures"]["minutes_before"] is None else
             tr.duration(60 * f["figures"]["minutes_before"]), f["figures"]["fired"],
             tr("noise.kept_figures", flaps=f["figures"]["flaps"], quick=f["figures"]["quick_resolved"])]
            for f in kept])
    else:
        lines.append(tr("noise.kept_none"))
    unsure = [f for f in found if f["kind"] == "unsure"]
    lines += ["", f"## {tr('noise.unsure')}", ""]
    lines += ["- " + tr("item.about", name=code(f["alert"]["name"]), about=f["service"] or "—", text=f["question"])
              for f in unsure] or \
        [tr("noise.unsure_none")]
    lines += gaps_section(reader, tr)
    return "\n".join(lines) + "\n", summary, line


def run(call, task, now: datetime, locale: str) -> Result:
    """The noise review of the window (default: the 7 days before now)."""
    tr, reader = Text(locale), Reader(call)
    since, until = window(task, now, DEFAULT_WINDOW)
    rows = reader.pages("alert_days", {**window_args(since, until), "limit": 1000}, "days")
    # the day rows cover whole UTC days: incidents from the first day's midnight, so no alert of that day
    # that came before an incident is taken for noise
    incidents = reader.pages("query_incidents", {**window_args(day_start(since), until), "limit": 200}, "incidents")
    alerts = aggregate(rows)
    mark_preceding(alerts, incidents)
    found = findings_of(alerts, tr)
    report, summary, line = report_of(alerts, found, since, until, tr, reader)
    svg = chart.alert_volume(rows, since, until, tr)
    return Result(report, envelope(TEMPLATE, since, until, found, summary), svg, line)
