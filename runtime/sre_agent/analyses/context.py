"""What an analysis reads from the run's task: the window the prompt or the
context names ("last 8 hours", "过去 14 天", "since 2026-12-01T08:00:00Z"),
and the incident a post-mortem is about (the triggering event, or a key or a
PagerDuty id in the text).

The context text (what the caller sent for this run) is read before the
prompt: a template's own prompt says "past 7 days", a caller who wants 14
says so in the context. Only explicit phrasings count; a bare number never."""
import re
from datetime import datetime, timedelta

from sre_agent.analyses.common import MAX_WINDOW, parse_time

_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_SPANS = (
    re.compile(r"\b(?:last|past|previous)\s+(\d{1,3})\s*(hours?|hrs?|h|days?|d|weeks?|w)\b", re.I),
    re.compile(r"\b(\d{1,3})[- ]?(hours?|h)[- ]shift\b", re.I),
    re.compile(r"(?:过去|最近|前)\s*(\d{1,3})\s*(个小时|小时|天|日|周)"),
    re.compile(r"(\d{1,3})\s*(个小时|小时)的?(?:班|值班)"),
)
_TIME = r"(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?Z)"
_SINCE = re.compile(rf"\b(?:since|from)\s+{_TIME}|(?:从|自)\s*{_TIME}", re.I)
# An incident key is "<source>#<id>"; sources that hold no incidents are left out, so an alert's or a
# change's key in an event's text is not taken for one.
_KEY = re.compile(r"\b([a-z][a-z0-9_-]{1,30})#([A-Za-z0-9][A-Za-z0-9._:-]{0,127})")
_NOT_INCIDENTS = {"alertmanager", "grafana", "cloudwatch", "github"}
# A bare PagerDuty id: P or Q and upper-case letters and digits, with a digit (so "PRODUCTION" is no id).
_PD_ID = re.compile(r"\b([PQ](?=[A-Z0-9]*\d)[A-Z0-9]{5,15})\b")


def _unit(word: str) -> timedelta:
    word = word.lower()
    if word.startswith("h") or "小时" in word:
        return _UNITS["h"]
    return _UNITS["w"] if word.startswith("w") or word == "周" else _UNITS["d"]


def named_window(texts, now: datetime) -> datetime | None:
    """The start of the window the first text that names one names, or None."""
    for text in texts:
        if not text:
            continue
        since = _SINCE.search(text)
        if since:
            at = parse_time(since.group(1) or since.group(2))
            if at and at < now:
                return at
        for pattern in _SPANS:
            found = pattern.search(text)
            if found and int(found.group(1)) > 0:
                return now - int(found.group(1)) * _unit(found.group(2))
    return None


def window(task, now: datetime, default: timedelta) -> tuple[datetime, datetime]:
    """(since, until) of an analysis: until is now; since is what the context
    text or the prompt names, else `default` before now; at least an hour and
    at most the tools' 31 days."""
    context = task.context or {}
    since = named_window((context.get("text") or "", task.prompt or ""), now) or now - default
    since = min(max(since, now - MAX_WINDOW), now - timedelta(hours=1))
    return since, now


def incident_ref(task) -> tuple[str, str, str] | None:
    """The incident a post-mortem is about, as (how, "key" | "id", value):
    how is "event" (the triggering event is an incident.* event: its
    resource.id, or its payload's key) or "text" (a key like
    pagerduty#PGR0VU2, else a bare PagerDuty id, in the context text or the
    prompt); None when the run names none."""
    context = task.context or {}
    event = context.get("event")
    if isinstance(event, dict) and str(event.get("event") or event.get("name") or "").startswith("incident."):
        payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
        resource = event.get("resource") if isinstance(event.get("resource"), dict) else {}
        for value in (payload.get("key"), resource.get("id"), payload.get("id")):
            if isinstance(value, str) and value:
                return ("event", "key", value) if "#" in value else ("event", "id", value)
    for text in (context.get("text") or "", task.prompt or ""):
        for source, ident in _KEY.findall(text):
            if source.lower() not in _NOT_INCIDENTS:
                return "text", "key", f"{source}#{ident}"
        bare = _PD_ID.search(text)
        if bare:
            return "text", "id", bare.group(1)
    return None
