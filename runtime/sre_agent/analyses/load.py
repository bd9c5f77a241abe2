"""Escalation / Load: who and what got paged over the window, and whether
anyone is overloaded.

One `oncall_load` call for the window and one for the window before it (the
week-over-week change); the account's business hours and time zone come in
the answer. A responder is flagged overloaded (the template's thresholds)
when they had more than 2 off-hours pages per shift, were paged on more than
3 nights, or their median time to acknowledge passed 15 minutes (then their
p90 did too); the rotation is flagged when the acknowledgement p90 of all
pages passed 15 minutes. The tools hold no schedule, so a shift is taken to
be a day of the window (a daily rotation): off-hours pages per shift =
off-hours pages / days of the window."""
from datetime import datetime, timedelta

from sre_agent.analyses import chart
from sre_agent.analyses.common import Reader, Result, envelope, window_args
from sre_agent.analyses.context import window
from sre_agent.analyses.markdown import table
from sre_agent.analyses.report import gaps_section
from sre_agent.i18n import Text

TEMPLATE = "escalation-load"
DEFAULT_WINDOW = timedelta(days=7)
OFF_HOURS_PER_SHIFT = 2
NIGHTS = 3
ACK_SECONDS = 15 * 60
TOP_SERVICES = 3
NOBODY = "unassigned"


def _int(value) -> int:
    return int(value) if isinstance(value, (int, float)) else 0


def _flags(row: dict, shifts: int) -> list[str]:
    """The thresholds a responder passed."""
    if row.get("who") in (None, NOBODY):
        return []
    reasons = []
    if _int(row.get("off_hours")) / shifts > OFF_HOURS_PER_SHIFT:
        reasons.append("off_hours_per_shift")
    if _int(row.get("nights")) > NIGHTS:
        reasons.append("nights")
    if _int(row.get("ack_seconds_median")) > ACK_SECONDS:
        reasons.append("slow_ack")
    return reasons


def _business_hours(load: dict, tr: Text) -> str:
    hours = load.get("business_hours") or {}
    days = [d for d in hours.get("days") or [] if isinstance(d, int) and 0 <= d <= 6]
    names, days = tr("load.weekdays").split(","), sorted(set(days))
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):  # Mon–Fri rather than five names
        named = f"{names[days[0]]}–{names[days[-1]]}"
    else:
        named = tr.join(names[d] for d in days) or "—"
    return tr("load.business_hours", days=named, start=f"{_int(hours.get('start')):02d}:00",
              end=f"{_int(hours.get('end')):02d}:00", tz=load.get("timezone") or "UTC")


def findings_of(load: dict, shifts: int, tr: Text) -> list[dict]:
    """The overloaded responders, a slow rotation, and the top paging services."""
    out = []
    for row in load.get("by_responder") or []:
        reasons = _flags(row, shifts)
        if reasons:
            off, nights = _int(row.get("off_hours")), _int(row.get("nights"))
            fixes = []
            if "nights" in reasons or "off_hours_per_shift" in reasons:
                fixes.append(tr("load.fix.rebalance", nights=max(1, nights - NIGHTS), off=off))
            if "slow_ack" in reasons:
                fixes.append(tr("load.fix.ack"))
            out.append({"kind": "overloaded_responder", "responder": row.get("who"), "service": None,
                        "reasons": reasons,
                        "figures": {"pages": _int(row.get("pages")), "off_hours": off,
                                    "off_hours_per_shift": round(off / shifts, 2), "nights": nights,
                                    "ack_seconds_median": row.get("ack_seconds_median")},
                        "fix": tr.clauses(fixes)})
    ack = load.get("ack_seconds") or {}
    if _int(ack.get("p90")) > ACK_SECONDS:
        out.append({"kind": "slow_acknowledgement", "responder": None, "service": None,
                    "figures": {"ack_p90_seconds": ack.get("p90"), "ack_median_seconds": ack.get("median")},
                    "fix": tr("load.fix.p90")})
    pages = _int(load.get("pages"))
    services = sorted((s for s in load.get("by_service") or [] if isinstance(s, dict)),
                      key=lambda s: (-_int(s.get("pages")), str(s.get("service"))))
    for row in services[:TOP_SERVICES]:
        off = _int(row.get("off_hours"))
        fix = tr("load.fix.service", service=row.get("service"), off=off) if off else \
            tr("load.fix.service_day", service=row.get("service"), pages=_int(row.get("pages")))
        out.append({"kind": "top_service", "service": row.get("service"),
                    "figures": {"pages": _int(row.get("pages")), "off_hours": off,
                                "share": round(_int(row.get("pages")) / pages, 3) if pages else 0.0},
                    "fix": fix})
    return out


def _change(now, before) -> str:
    if not isinstance(now, (int, float)) or not isinstance(before, (int, float)):
        return "—"
    if not before:
        return "—" if not now else "+∞"
    return f"{100.0 * (now - before) / before:+.0f}%"


def report_of(load: dict, previous: dict | None, found: list[dict], shifts: int, since, until, tr: Text,
              reader: Reader) -> tuple[str, str]:
    """(the Markdown report, the one-line summary)."""
    pages, off = _int(load.get("pages")), _int(load.get("off_hours"))
    ack = load.get("ack_seconds") or {}
    overloaded = [f for f in found if f["kind"] == "overloaded_responder"]
    names = tr.join(f["responder"] for f in overloaded)
    line = tr("load.line", pages=pages, share=tr.share(off, pages), p90=tr.duration(ack.get("p90")),
              overloaded=names or tr("load.nobody"))
    lines = [f"# {tr('load.title')}", "", tr("load.window", span=tr.span(since, until)), "",
             f"## {tr('load.verdict')}", ""]
    verdict = [tr("load.verdict_figures", pages=pages, off=off, share=tr.share(off, pages),
                  hours=_business_hours(load, tr), median=tr.duration(ack.get("median")),
                  p90=tr.duration(ack.get("p90")))]
    verdict.append(tr("load.verdict_overloaded", names=names) if overloaded else tr("load.verdict_fine"))
    if any(f["kind"] == "slow_acknowledgement" for f in found):
        verdict.append(tr("load.verdict_slow", p90=tr.duration(ack.get("p90"))))
    if load.get("incomplete"):
        verdict.append(tr("load.incomplete"))
    lines += [tr.sentences(*verdict), ""]
    if not pages:  # no tables of nothing
        return "\n".join(lines + gaps_section(reader, tr)) + "\n", line
    lines += [tr("load.shift_note", shifts=shifts), "", f"## {tr('load.responders')}", ""]
    flagged = {f["responder"]: f for f in overloaded}
    lines += table(tr("load.responders_head").split("|"), [
        [r.get("who"), _int(r.get("pages")), _int(r.get("off_hours")), f"{_int(r.get('off_hours')) / shifts:.1f}",
         _int(r.get("nights")), tr.duration(r.get("ack_seconds_median")),
         tr.join(tr(f"load.reason.{x}") for x in flagged[r.get("who")]["reasons"]) if r.get("who") in flagged else ""]
        for r in load.get("by_responder") or []])
    lines += ["", f"## {tr('load.services')}", ""]
    lines += table(tr("load.services_head").split("|"), [
        [s.get("service"), _int(s.get("pages")), _int(s.get("off_hours")), tr.share(_int(s.get("pages")), pages)]
        for s in sorted(load.get("by_service") or [], key=lambda s: -_int(s.get("pages")))])
    lines += ["", f"## {tr('load.by_hour', tz=load.get('timezone') or 'UTC')}", ""]
    lines += [tr("load.by_hour_note"), ""] + table(tr("load.by_hour_head").split("|"), [
        [f"{_int(h.get('hour')):02d}:00", _int(h.get("pages")), tr.duration(h.get("ack_seconds_median"))]
        for h in load.get("by_hour") or [] if _int(h.get("pages"))])
    lines += ["", f"## {tr('load.wow')}", ""]
    if previous:
        prev_ack = previous.get("ack_seconds") or {}
        lines += table(tr("load.wow_head").split("|"), [
            [tr("load.wow.pages"), pages, _int(previous.get("pages")), _change(pages, previous.get("pages"))],
            [tr("load.wow.off"), off, _int(previous.get("off_hours")), _change(off, previous.get("off_hours"))],
            [tr("load.wow.p90"), tr.duration(ack.get("p90")), tr.duration(prev_ack.get("p90")),
             _change(ack.get("p90"), prev_ack.get("p90"))],
            [tr("load.wow.escalated"), _int(load.get("escalated")), _int(previous.get("escalated")),
             _change(_int(load.get("escalated")), _int(previous.get("escalated")))]])
    else:
        lines.append(tr("load.wow_none"))
    lines += ["", f"## {tr('load.escalations')}", "",
              tr.sentences(tr("load.escalated", n=_int(load.get("escalated")), pages=pages),
                           tr("load.escalation_why")),
              "", f"## {tr('load.cuts')}", ""]
    # the most off-hours pages saved first: those are the pages that cost sleep
    tops = sorted((f for f in found if f["kind"] == "top_service"),
                  key=lambda f: (-f["figures"]["off_hours"], -f["figures"]["pages"]))
    lines += [f"{n}. {f['fix']}" for n, f in enumerate(tops, 1)] or [tr("load.cuts_none")]
    lines += ["", f"## {tr('load.rebalance')}", ""]
    nights = [f for f in overloaded if "nights" in f["reasons"]]
    lines += [f"- {tr('load.rebalance_one', who=f['responder'], nights=f['figures']['nights'])}" for f in nights] or \
        [tr("load.rebalance_none")]
    lines += gaps_section(reader, tr)
    return "\n".join(lines) + "\n", line


def run(call, task, now: datetime, locale: str) -> Result:
    """The load report of the window (default: the 7 days before now)."""
    tr, reader = Text(locale), Reader(call)
    since, until = window(task, now, DEFAULT_WINDOW)
    load = reader.one("oncall_load", window_args(since, until)) or {}
    previous = reader.one("oncall_load", window_args(since - (until - since), since))
    shifts = max(1, round((until - since) / timedelta(days=1)))
    found = findings_of(load, shifts, tr)
    rows = reader.pages("alert_days", {**window_args(since, until), "limit": 1000}, "days")  # the chart's
    report, line = report_of(load, previous, found, shifts, since, until, tr, reader)
    ack = load.get("ack_seconds") or {}
    summary = {"pages": _int(load.get("pages")), "off_hours": _int(load.get("off_hours")),
               "off_hours_share": load.get("off_hours_share"), "ack_median_seconds": ack.get("median"),
               "ack_p90_seconds": ack.get("p90"), "escalated": _int(load.get("escalated")),
               "responders": len(load.get("by_responder") or []),
               "overloaded_responders": sum(f["kind"] == "overloaded_responder" for f in found),
               "timezone": load.get("timezone"), "shifts": shifts,
               "previous_pages": _int((previous or {}).get("pages")) if previous else None}
    svg = chart.alert_volume(rows, since, until, tr)
    return Result(report, envelope(TEMPLATE, since, until, found, summary), svg, line)
