"""An in-test provider of the service's agent tools over operations data:
raw alerts (each firing with its start, end and who acknowledged it),
incidents and changes go in; answers come out in the shapes of the tool
contract (docs/analyses.md, "The tools it reads"), computed from the raw
data the way the service aggregates it (per UTC day, paged with a cursor).
Pages are kept small (`page`) so the analyses must follow cursors."""
import math
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sre_agent.clock import iso

QUICK = timedelta(minutes=5)
FLAP = timedelta(hours=1)
LIMITS = {"query_alerts": (200, 100), "alert_days": (1000, 500), "alert_history": (100, 50),
          "query_incidents": (200, 100), "query_changes": (200, 100)}


class Refused(Exception):
    """A bad argument: the answer is {"ok": false, "error"}."""


@dataclass
class Firing:
    start: datetime
    end: datetime | None = None
    acked_by: str | None = None
    acked_at: datetime | None = None


@dataclass
class Alert:
    name: str
    service: str | None
    severity: str = "warning"
    firings: list = field(default_factory=list)
    source: str = "alertmanager"
    labels: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.source}#{self.name.lower()}"


@dataclass
class Incident:
    id: str
    title: str
    service: str | None
    opened_at: datetime
    acknowledged_at: datetime | None = None
    acked_by: str | None = None
    resolved_at: datetime | None = None
    assignees: list = field(default_factory=list)
    escalated_at: datetime | None = None
    alert_keys: list = field(default_factory=list)
    urgency: str | None = "high"
    priority: str | None = None
    number: int = 0

    @property
    def key(self) -> str:
        return f"pagerduty#{self.id}"


@dataclass
class Change:
    id: str
    service: str | None
    at: datetime
    kind: str = "deploy"
    who: str = "ci-pipeline"
    outcome: str | None = "success"
    description: str = ""
    link: str | None = None
    source: str = "github"
    environment: str = "production"

    @property
    def key(self) -> str:
        return f"{self.source}#{self.id}"


def _time(value, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise Refused(f"{name} must be an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        raise Refused(f"{name} must be UTC with a Z")
    return parsed.astimezone(UTC)


class OpsTools:
    """`tools(name, args) -> dict`: the seven tools over the given data, `now` fixed."""

    def __init__(self, now: datetime, alerts=(), incidents=(), changes=(), timezone: str = "UTC",
                 business_hours=None, page: int = 7):
        self.now, self.alerts, self.incidents, self.changes = now, list(alerts), list(incidents), list(changes)
        self.timezone = timezone
        self.business_hours = business_hours or {"days": [1, 2, 3, 4, 5], "start": 9, "end": 18}
        self.page = page
        self.calls: list[tuple[str, dict]] = []
        for alert in self.alerts:
            alert.firings.sort(key=lambda f: f.start)

    def __call__(self, name: str, args: dict) -> dict:
        self.calls.append((name, dict(args)))
        try:
            return getattr(self, name)(dict(args))
        except Refused as exc:
            return {"ok": False, "error": str(exc)}

    # the window and pages, as every tool takes them
    def _window(self, args: dict) -> tuple[datetime, datetime]:
        until = _time(args["until"], "until") if args.get("until") else self.now
        since = _time(args["since"], "since") if args.get("since") else until - timedelta(days=7)
        if since > until or until - since > timedelta(days=31):
            raise Refused("the window must run forward and be at most 31 days")
        return since, until

    def _page(self, name: str, rows: list, args: dict) -> tuple[list, str | None]:
        most, default = LIMITS[name]
        limit = args.get("limit", default)
        if not isinstance(limit, int) or not 1 <= limit <= most:
            raise Refused(f"limit must be 1-{most}")
        start = int(args.get("cursor") or 0)
        size = min(limit, self.page)
        chunk = rows[start:start + size]
        return chunk, (str(start + size) if start + size < len(rows) else None)

    @staticmethod
    def _days(since: datetime, until: datetime) -> set[date]:
        return {since.date() + timedelta(days=n) for n in range((until.date() - since.date()).days + 1)}

    def _day_rows(self, alert: Alert) -> dict[date, dict]:
        """The alert's aggregates per UTC day of a firing's start."""
        rows, previous = {}, None
        for firing in alert.firings:
            day = firing.start.date()
            row = rows.setdefault(day, {"fired": 0, "resolved": 0, "quick_resolved": 0, "flaps": 0, "acked": 0,
                                        "firing_seconds": 0, "minutes": set(), "starts": []})
            row["fired"] += 1
            row["starts"].append(firing.start)
            row["minutes"].add(firing.start.hour * 60 + firing.start.minute)
            if firing.end:
                row["resolved"] += 1
                if firing.end - firing.start <= QUICK and not firing.acked_by:
                    row["quick_resolved"] += 1
            if firing.acked_by:
                row["acked"] += 1
            row["firing_seconds"] += int(((firing.end or self.now) - firing.start).total_seconds())
            if previous and previous.end and timedelta(0) <= firing.start - previous.end <= FLAP:
                row["flaps"] += 1
            previous = firing
        return rows

    @staticmethod
    def _status(alert: Alert) -> str:
        return "firing" if alert.firings and alert.firings[-1].end is None else "resolved"

    def alert_days(self, args: dict) -> dict:
        since, until = self._window(args)
        days = self._days(since, until)
        out = []
        for alert in self.alerts:
            if args.get("service") and alert.service != args["service"]:
                continue
            for day, row in self._day_rows(alert).items():
                if day in days:
                    out.append({"day": day.isoformat(), "key": alert.key, "name": alert.name,
                                "service": alert.service, "severity": alert.severity,
                                **{k: row[k] for k in ("fired", "resolved", "quick_resolved", "flaps", "acked",
                                                       "firing_seconds")},
                                "start_minutes": sorted(row["minutes"])})
        out.sort(key=lambda r: (r["day"], r["key"]))
        chunk, cursor = self._page("alert_days", out, args)
        return {"window": {"since": iso(since), "until": iso(until)}, "days": chunk, "cursor": cursor}

    def query_alerts(self, args: dict) -> dict:
        since, until = self._window(args)
        days = self._days(since, until)
        out = []
        for alert in self.alerts:
            if any(args.get(k) and getattr(alert, k) != args[k] for k in ("service", "severity")):
                continue
            if args.get("status") and self._status(alert) != args["status"]:
                continue
            if any(alert.labels.get(k) != v for k, v in (args.get("labels") or {}).items()):
                continue
            rows = [row for day, row in self._day_rows(alert).items() if day in days]
            if not rows:
                continue
            starts = [s for row in rows for s in row["starts"]]
            out.append({"key": alert.key, "name": alert.name, "service": alert.service, "severity": alert.severity,
                        "status": self._status(alert), "labels": alert.labels,
                        **{k: sum(row[k] for row in rows) for k in ("fired", "resolved", "quick_resolved", "flaps",
                                                                      "acked", "firing_seconds")},
                        "first_start": iso(min(starts)), "last_start": iso(max(starts))})
        out.sort(key=lambda a: (-a["fired"], a["key"]))
        chunk, cursor = self._page("query_alerts", out, args)
        answer = {"window": {"since": iso(since), "until": iso(until)}, "alerts": chunk, "cursor": cursor}
        if args.get("group_by"):
            groups = {}
            for alert in chunk:
                group = groups.setdefault(alert[args["group_by"]], {"value": alert[args["group_by"]], "alerts": 0,
                                                                     "fired": 0})
                group["alerts"] += 1
                group["fired"] += alert["fired"]
            answer["groups"] = list(groups.values())
        return answer

    def alert_history(self, args: dict) -> dict:
        alert = next((a for a in self.alerts if a.key == args.get("key")), None)
        if alert is None:
            raise Refused(f"no alert with key {args.get('key')}")
        firings = [{"start": iso(f.start), "end": iso(f.end), "acked_by": f.acked_by, "acked_at": iso(f.acked_at),
                    "duration_seconds": int(((f.end or self.now) - f.start).total_seconds())}
                   for f in reversed(alert.firings)]
        chunk, cursor = self._page("alert_history", firings, args)
        return {"alert": {"key": alert.key, "name": alert.name, "service": alert.service, "severity": alert.severity,
                          "status": self._status(alert), "labels": alert.labels}, "firings": chunk, "cursor": cursor}

    def _incident_status(self, incident: Incident) -> str:
        if incident.resolved_at and incident.resolved_at <= self.now:
            return "resolved"
        return "acknowledged" if incident.acknowledged_at else "triggered"

    def _incident(self, incident: Incident) -> dict:
        return {"key": incident.key, "id": incident.id, "number": incident.number, "title": incident.title,
                "service": incident.service, "urgency": incident.urgency, "priority": incident.priority,
                "status": self._incident_status(incident), "opened_at": iso(incident.opened_at),
                "acknowledged_at": iso(incident.acknowledged_at), "resolved_at": iso(incident.resolved_at),
                "assignees": incident.assignees, "escalation": "Default", "url": f"https://pd.example/{incident.id}",
                "alert_keys": incident.alert_keys}

    def query_incidents(self, args: dict) -> dict:
        since, until = self._window(args)
        wanted = args.get("status")
        out = [i for i in self.incidents if since <= i.opened_at <= until
               and (not args.get("service") or i.service == args["service"])
               and (not wanted or self._incident_status(i) == wanted
                    or (wanted == "open" and self._incident_status(i) != "resolved"))]
        out.sort(key=lambda i: i.opened_at, reverse=True)
        chunk, cursor = self._page("query_incidents", [self._incident(i) for i in out], args)
        return {"window": {"since": iso(since), "until": iso(until)}, "incidents": chunk, "cursor": cursor}

    def incident_timeline(self, args: dict) -> dict:
        if args.get("key"):
            incident = next((i for i in self.incidents if i.key == args["key"]), None)
            if incident is None:
                raise Refused(f"no incident with key {args['key']}")
        elif args.get("latest_resolved") is True:
            resolved = [i for i in self.incidents if self._incident_status(i) == "resolved"]
            if not resolved:
                raise Refused("no resolved incident")
            incident = max(resolved, key=lambda i: i.opened_at)
        else:
            raise Refused("give key, or latest_resolved: true")
        timeline = [{"at": iso(incident.opened_at), "status": "triggered", "who": None, "what": "opened"}]
        if incident.acknowledged_at:
            timeline.append({"at": iso(incident.acknowledged_at), "status": "acknowledged", "who": incident.acked_by,
                             "what": f"acknowledged by {incident.acked_by}"})
        if incident.escalated_at:
            timeline.append({"at": iso(incident.escalated_at), "status": "escalated", "who": None, "what": "escalated"})
        if incident.resolved_at and incident.resolved_at <= self.now:
            timeline.append({"at": iso(incident.resolved_at), "status": "resolved", "who": incident.acked_by,
                             "what": "resolved"})
        timeline.sort(key=lambda e: e["at"])
        low, high = incident.opened_at - timedelta(hours=2), incident.resolved_at or self.now
        alerts = []
        for alert in self.alerts:
            inside = [f for f in alert.firings if low <= f.start <= high]
            linked = alert.key in incident.alert_keys
            if linked or (inside and incident.service and alert.service == incident.service):
                alerts.append({"key": alert.key, "name": alert.name, "service": alert.service,
                               "severity": alert.severity,
                               "first_start": iso((inside or alert.firings)[0].start) if alert.firings else None,
                               "firings": [{"start": iso(f.start), "end": iso(f.end), "acked_by": f.acked_by}
                                           for f in inside], "linked": linked})
        changes = [c for c in self.changes if c.service and c.service == incident.service
                   and incident.opened_at - timedelta(hours=24) <= c.at <= incident.opened_at]
        starts = [f.start for a in self.alerts for f in a.firings
                  if any(x["key"] == a.key for x in alerts) and low <= f.start <= high]
        first = min(starts, default=None)
        seconds = lambda a, b: int((b - a).total_seconds()) if a and b else None  # noqa: E731
        return {"incident": self._incident(incident), "timeline": timeline, "alerts": alerts,
                "changes": [self._change(c) for c in sorted(changes, key=lambda c: c.at)],
                "metrics": {"first_alert_at": iso(first), "time_to_detect_seconds": seconds(first, incident.opened_at),
                            "time_to_acknowledge_seconds": seconds(incident.opened_at, incident.acknowledged_at),
                            "time_to_resolve_seconds": seconds(incident.opened_at, incident.resolved_at)}}

    @staticmethod
    def _change(change: Change) -> dict:
        return {"key": change.key, "service": change.service, "kind": change.kind, "environment": change.environment,
                "who": change.who, "at": iso(change.at), "link": change.link, "outcome": change.outcome,
                "description": change.description}

    def query_changes(self, args: dict) -> dict:
        since, until = self._window(args)
        out = [c for c in self.changes if since <= c.at <= until
               and (not args.get("service") or c.service == args["service"])]
        out.sort(key=lambda c: c.at, reverse=True)
        chunk, cursor = self._page("query_changes", [self._change(c) for c in out], args)
        return {"window": {"since": iso(since), "until": iso(until)}, "changes": chunk, "cursor": cursor}

    def oncall_load(self, args: dict) -> dict:
        since, until = self._window(args)
        zone, hours = ZoneInfo(self.timezone), self.business_hours
        pages = [i for i in self.incidents if since <= i.opened_at <= until]
        by_who, by_service, by_hour = {}, {}, {h: [] for h in range(24)}
        acks, off_total = [], 0
        for incident in pages:
            local = incident.opened_at.astimezone(zone)
            weekday = (local.weekday() + 1) % 7  # 0 = Sunday
            off = weekday not in hours["days"] or not hours["start"] <= local.hour < hours["end"]
            night = local.hour >= 22 or local.hour < 7
            who = incident.acked_by or (incident.assignees[0] if incident.assignees else "unassigned")
            ack = int((incident.acknowledged_at - incident.opened_at).total_seconds()) \
                if incident.acknowledged_at else None
            row = by_who.setdefault(who, {"who": who, "pages": 0, "off_hours": 0, "nights": set(), "acks": []})
            row["pages"] += 1
            row["off_hours"] += off
            if night:
                row["nights"].add(local.date())
            service = by_service.setdefault(incident.service, {"service": incident.service, "pages": 0,
                                                               "off_hours": 0})
            service["pages"] += 1
            service["off_hours"] += off
            off_total += off
            if ack is not None:
                row["acks"].append(ack)
                acks.append(ack)
                by_hour[local.hour].append(ack)
            else:
                by_hour[local.hour].append(None)
        median = lambda xs: int(statistics.median(xs)) if xs else None  # noqa: E731
        p90 = sorted(acks)[math.ceil(0.9 * len(acks)) - 1] if acks else None
        return {"window": {"since": iso(since), "until": iso(until)}, "timezone": self.timezone,
                "business_hours": hours, "pages": len(pages), "off_hours": off_total,
                "off_hours_share": round(off_total / len(pages), 3) if pages else 0.0,
                "ack_seconds": {"median": median(acks), "p90": p90},
                "by_responder": sorted(({"who": r["who"], "pages": r["pages"], "off_hours": r["off_hours"],
                                         "nights": len(r["nights"]), "ack_seconds_median": median(r["acks"])}
                                        for r in by_who.values()), key=lambda r: (-r["pages"], r["who"])),
                "by_service": sorted(by_service.values(), key=lambda s: (-s["pages"], str(s["service"]))),
                "by_hour": [{"hour": h, "pages": len(v), "ack_seconds_median": median([x for x in v if x is not None])}
                            for h, v in by_hour.items()],
                "escalated": sum(1 for i in pages if i.escalated_at), "incomplete": False}
