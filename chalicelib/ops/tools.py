"""The service's agent tools: over the operations model, and the team's
knowledge (search_knowledge, chalicelib/knowledge/search.py). Their specs
(name, description, JSON schema) are handed to every environment with the
work so every backend offers them, and the calls are answered for the run's
own account only (an environment reaches them through
`POST /runs/{run_id}/tools/{name}` with the run's lease token; it reads no
table itself); search_knowledge reads only the run's scope's documents.

A call never raises for bad arguments: the answer is {"ok": false, "error"},
which a model can read and correct."""
from chalicelib.errors import Invalid, NotFound
from chalicelib.knowledge import search as knowledge
from chalicelib.ops import load, queries
from chalicelib.store import repos

_WINDOW = {
    "since": {"type": "string", "description": "ISO 8601 UTC start of the window (default: 7 days before until)"},
    "until": {"type": "string", "description": "ISO 8601 UTC end of the window (default: now); at most 31 days"},
}
_CURSOR = {"cursor": {"type": "string", "description": "The cursor of the previous answer, for the next page"}}


def _limit(default: int, most: int) -> dict:
    return {"limit": {"type": "integer", "minimum": 1, "maximum": most,
                      "description": f"Page size (default {default})"}}


SPECS = [
    {"name": "query_alerts",
     "description": "Alerts of the account with their counts over a time window (fired, resolved, resolved within "
                    "5 minutes with nobody acting, flaps, acknowledged, seconds firing), filtered by service, "
                    "severity, current status and labels, most-fired first; optional grouped counts.",
     "parameters": {"type": "object", "properties": {
         **_WINDOW, "service": {"type": "string"}, "severity": {"type": "string"},
         "status": {"type": "string", "enum": ["firing", "resolved"], "description": "The alert's state now"},
         "labels": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "Label values every alert must have"},
         "group_by": {"type": "string", "enum": ["name", "service", "severity"]},
         **_limit(100, 200), **_CURSOR}}},
    {"name": "alert_days",
     "description": "Per alert and UTC day: fired, resolved, quick self-resolves, flaps, acknowledged, seconds "
                    "firing and the minutes of the day its firings started. Paged; read every page for a full "
                    "window.",
     "parameters": {"type": "object", "properties": {**_WINDOW, "service": {"type": "string"},
                                                     **_limit(500, 1000), **_CURSOR}}},
    {"name": "alert_history",
     "description": "One alert (labels, annotations, link) and its firings, newest first: start, end, who "
                    "acknowledged it, duration.",
     "parameters": {"type": "object", "properties": {"key": {"type": "string", "description": "The alert's key"},
                                                     **_limit(50, 100), **_CURSOR}, "required": ["key"]}},
    {"name": "query_incidents",
     "description": "Incidents opened in a window, newest first: title, service, urgency, priority, status, "
                    "opened/acknowledged/resolved times, assignees, escalation policy, linked alerts.",
     "parameters": {"type": "object", "properties": {
         **_WINDOW, "service": {"type": "string"},
         "status": {"type": "string", "enum": ["open", "triggered", "acknowledged", "resolved"]},
         **_limit(100, 200), **_CURSOR}}},
    {"name": "incident_timeline",
     "description": "One incident's timeline: every status change with who and when, its alerts (linked, and "
                    "those on its service from 2 h before it opened), the changes on its service in the 24 h "
                    "before, and its times to detect, acknowledge and resolve.",
     "parameters": {"type": "object", "properties": {
         "key": {"type": "string", "description": "The incident's key, such as pagerduty#Q1QH8K2ZJ7XW3M"},
         "latest_resolved": {"type": "boolean", "description": "No key: the newest resolved incident"}}}},
    {"name": "query_changes",
     "description": "Changes (deploys, config changes) made in a window, newest first: service, kind, who, "
                    "when, link, outcome.",
     "parameters": {"type": "object", "properties": {**_WINDOW, "service": {"type": "string"},
                                                     **_limit(100, 200), **_CURSOR}}},
    {"name": "oncall_load",
     "description": "On-call load over a window: pages (incidents opened) by responder, by service and by local "
                    "hour, the off-hours share in the account's business hours and time zone, time to "
                    "acknowledge (median, p90), escalations, nights paged per responder.",
     "parameters": {"type": "object", "properties": {**_WINDOW}}},
    knowledge.SPEC,
]
NAMES = frozenset(spec["name"] for spec in SPECS)


def call(account_id: str, name: str, args, now, automation_id: str | None = None) -> dict:
    """One tool call for an account (and, for search_knowledge, the run's
    automation, whose scope it searches); bad arguments and unknown keys
    answer {"ok": false, "error"}."""
    if name not in NAMES:
        return {"ok": False, "error": f"unknown tool {name!r}; the tools are {', '.join(sorted(NAMES))}"}
    if not isinstance(args, dict):
        return {"ok": False, "error": f"arguments for {name} must be a JSON object"}
    try:
        if name == knowledge.SPEC["name"]:
            return _search_knowledge(account_id, automation_id, args)
        if name == "query_alerts":
            return queries.query_alerts(account_id, args, now)
        if name == "alert_days":
            return queries.alert_days(account_id, args, now)
        if name == "alert_history":
            answer = queries.alert_history(account_id, args.get("key"), args)
            answer["cursor"] = answer.pop("next_cursor")
            return answer
        if name == "query_incidents":
            return queries.query_incidents(account_id, args, now)
        if name == "incident_timeline":
            return queries.incident_timeline(account_id, args, now)
        if name == "query_changes":
            return queries.query_changes(account_id, args, now)
        return load.oncall_load(account_id, args, now)
    except (Invalid, NotFound) as exc:
        return {"ok": False, "error": str(exc)}


def _search_knowledge(account_id: str, automation_id: str | None, args: dict) -> dict:
    rule = repos.rules.get(automation_id) if automation_id else None
    if rule is None or rule.account_id != account_id or rule.deleted_at:
        return {"ok": False, "error": "search_knowledge searches the knowledge of a run's automation, and this "
                                      "run's automation is gone"}
    return knowledge.tool(rule, args)
