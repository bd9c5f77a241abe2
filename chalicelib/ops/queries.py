"""Reading the operations model, for the API and the agent tools alike. Every
read is one page at most (`limit`, bounded), so what a call costs depends
on the page size, never on how much data the account has; `cursor` goes on.

Alert counts over a window add up the alerts' UTC days (the `alert-days`
aggregates written as alerts arrive): one item per alert and day."""
from datetime import UTC, datetime, timedelta

from chalicelib.clock import before, iso, parse_iso
from chalicelib.errors import Invalid, NotFound
from chalicelib.ops.apply import change_json, incident_json
from chalicelib.store import BadCursor, repos
from chalicelib.validation import bad_cursor

DEFAULT_WINDOW = timedelta(days=7)
MAX_WINDOW = timedelta(days=31)
COUNTERS = ("fired", "resolved", "quick_resolved", "flaps", "acked", "firing_seconds")
OPEN = ("triggered", "acknowledged")


# --- arguments ---------------------------------------------------------------------------------


def window(args: dict, now, default: timedelta = DEFAULT_WINDOW, longest: timedelta = MAX_WINDOW) -> tuple:
    """(since, until) from `since`/`until` (ISO; `until` defaults to now,
    `since` to `default` before it); Invalid when malformed, reversed or too long."""
    until = _time(args.get("until"), "until", now)
    since = _time(args.get("since"), "since", before(until, default))
    if since > until:
        raise Invalid("since must be before until", field="since")
    if until - since > longest:
        raise Invalid(f"the window may be at most {longest.days} days", field="since")
    return since, until


def _time(value, field: str, default: datetime) -> datetime:
    if value in (None, ""):
        return default
    try:
        return parse_iso(str(value))
    except ValueError as exc:
        raise Invalid(f"{field} must be an ISO 8601 time such as 2026-12-01T00:00:00Z; got {value!r}",
                      field=field) from exc


def limit_of(args: dict, default: int, most: int) -> int:
    """`limit`: an integer 1-`most` (default `default`)."""
    value = args.get("limit", default)
    if isinstance(value, str) and value.isascii() and value.isdigit():  # int() takes no "²"
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise Invalid(f"limit must be an integer 1-{most}", field="limit")
    return value


def _choice(args: dict, name: str, allowed: tuple) -> str | None:
    value = args.get(name)
    if value in (None, ""):
        return None
    if value not in allowed:
        raise Invalid(f"{name} must be one of {', '.join(allowed)}", field=name)
    return value


def _text(args: dict, name: str) -> str | None:
    value = args.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 255:
        raise Invalid(f"{name} must be a string of at most 255 characters", field=name)
    return value


def _paged(call):
    try:
        return call()
    except BadCursor:
        raise bad_cursor() from None


# --- alerts ------------------------------------------------------------------------------------


def alert_json(alert) -> dict:
    """An alert as the API and the tools show it."""
    return {"key": alert.key, "name": alert.name, "service": alert.service, "severity": alert.severity,
            "status": alert.status, "source": alert.source, "labels": alert.labels or {},
            "annotations": alert.annotations or {}, "generator_url": alert.generator_url,
            "first_seen": alert.first_seen, "last_start": alert.last_start, "last_end": alert.last_end,
            "acked_by": alert.acked_by, "fired": int(alert.fired or 0), "integration_id": alert.integration_id,
            "updated_at": alert.updated_at}


def firing_json(firing) -> dict:
    seconds = None
    if firing.end:
        seconds = max(0, int((parse_iso(firing.end) - parse_iso(firing.start)).total_seconds()))
    return {"start": firing.start, "end": firing.end, "acked_by": firing.acked_by, "acked_at": firing.acked_at,
            "duration_seconds": seconds}


def list_alerts(account_id: str, args: dict) -> dict:
    """GET /alerts: the account's alerts (by key) as they stand, filtered by
    status, service, severity and label; one page."""
    status = _choice(args, "status", ("firing", "resolved"))
    service, severity = _text(args, "service"), _text(args, "severity")
    labels = args.get("labels") or {}
    if not isinstance(labels, dict):
        raise Invalid('labels must be an object such as {"team": "payments"}', field="labels")
    limit = limit_of(args, 50, 200)

    def keep(alert) -> bool:
        return (not status or alert.status == status) and (not service or alert.service == service) and \
            (not severity or alert.severity == severity) and \
            all((alert.labels or {}).get(k) == str(v) for k, v in labels.items())

    alerts, cursor = _paged(lambda: repos.operations.alert_page(account_id, limit, args.get("cursor"), keep))
    return {"alerts": [alert_json(a) for a in alerts], "next_cursor": cursor}


def alert_history(account_id: str, key: str, args: dict) -> dict:
    """One alert with its firings, newest first (one page)."""
    alert = repos.operations.alert(account_id, key) if isinstance(key, str) and key else None
    if alert is None:
        raise NotFound(f"No alert with key {key!r} in this account.")
    limit = limit_of(args, 50, 100)
    firings, cursor = _paged(lambda: repos.operations.firings(account_id, key, limit, args.get("cursor")))
    return {"alert": alert_json(alert), "firings": [firing_json(f) for f in firings], "next_cursor": cursor}


def days_of(since: datetime, until: datetime) -> list[str]:
    """The UTC days that overlap [since, until], oldest first."""
    first, last = since.date(), until.date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def day_rows(account_id: str, since: datetime, until: datetime, limit: int, cursor: str | None,
             keep=lambda row: True, service: str | None = None) -> tuple[list, str | None]:
    """Up to `limit` alert-day rows of the window's days (oldest day first),
    of one service when named, and a cursor "<day>|<store cursor>" for the rest."""
    days = days_of(since, until)
    start_day, inner = None, None
    if cursor:
        start_day, _, inner = cursor.partition("|")
        if start_day not in days:
            raise bad_cursor()
    rows: list = []
    for day in days[days.index(start_day) if start_day else 0:]:
        want = limit - len(rows)
        page, after = _paged(lambda d=day, c=inner, n=want: repos.operations.day_page(
            account_id, d, n, c, keep, service=service, most_read=n * 4))
        inner = None
        rows += [(day, row) for row in page]
        if after:
            return rows, f"{day}|{after}"
        if len(rows) >= limit:
            following = days[days.index(day) + 1:]
            return rows, (f"{following[0]}|" if following else None)
    return rows, None


def day_json(day: str, row) -> dict:
    return {"day": day, "key": row.key, "name": row.name, "service": row.service, "severity": row.severity,
            **{name: int(getattr(row, name) or 0) for name in COUNTERS},
            "start_minutes": sorted(int(m) for m in row.start_minutes or ())}


def alert_days(account_id: str, args: dict, now) -> dict:
    """The alerts' day aggregates over a window (what the noise analysis reads)."""
    since, until = window(args, now)
    service = _text(args, "service")
    limit = limit_of(args, 500, 1000)
    rows, cursor = day_rows(account_id, since, until, limit, args.get("cursor"), service=service)
    return {"window": {"since": iso(since), "until": iso(until)}, "days": [day_json(d, r) for d, r in rows],
            "cursor": cursor}


def query_alerts(account_id: str, args: dict, now) -> dict:
    """Alerts with their counts over a window (from their days), filtered, sorted by firings; grouped counts."""
    since, until = window(args, now)
    status = _choice(args, "status", ("firing", "resolved"))
    service, severity = _text(args, "service"), _text(args, "severity")
    group_by = _choice(args, "group_by", ("name", "service", "severity"))
    labels = args.get("labels") or {}
    if not isinstance(labels, dict):
        raise Invalid('labels must be an object such as {"team": "payments"}', field="labels")
    limit = limit_of(args, 100, 200)
    rows, cursor = day_rows(account_id, since, until, limit * 4, args.get("cursor"),
                            lambda row: not severity or row.severity == severity, service=service)
    by_key: dict[str, dict] = {}
    for day, row in rows:
        entry = by_key.setdefault(row.key, {"key": row.key, "name": row.name, "service": row.service,
                                            "severity": row.severity, **{c: 0 for c in COUNTERS},
                                            "first_start": None, "last_start": None})
        for name in COUNTERS:
            entry[name] += int(getattr(row, name) or 0)
        minutes = sorted(int(m) for m in row.start_minutes or ())
        if minutes:
            first, last = _at(day, minutes[0]), _at(day, minutes[-1])
            entry["first_start"] = min(filter(None, [entry["first_start"], first]))
            entry["last_start"] = max(filter(None, [entry["last_start"], last]))
    alerts = repos.operations.alerts(account_id, list(by_key)) if by_key else {}
    out = []
    for key, entry in by_key.items():
        alert = alerts.get(key)
        entry["status"] = alert.status if alert else None
        entry["labels"] = (alert.labels if alert else None) or {}
        if status and entry["status"] != status:
            continue
        if not all(entry["labels"].get(k) == str(v) for k, v in labels.items()):
            continue
        out.append(entry)
    out.sort(key=lambda e: (-e["fired"], e["key"]))
    answer = {"window": {"since": iso(since), "until": iso(until)}, "alerts": out[:limit], "cursor": cursor}
    if group_by:
        groups: dict = {}
        for entry in out:
            group = groups.setdefault(entry[group_by], {"value": entry[group_by], "alerts": 0, "fired": 0})
            group["alerts"] += 1
            group["fired"] += entry["fired"]
        answer["groups"] = sorted(groups.values(), key=lambda g: (-g["fired"], str(g["value"])))
    return answer


def _at(day: str, minute: int) -> str:
    return iso(datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(minutes=minute))


# --- incidents ---------------------------------------------------------------------------------


def query_incidents(account_id: str, args: dict, now) -> dict:
    """Incidents opened in a window, newest first, by service and status; one page."""
    since, until = window(args, now)
    service = _text(args, "service")
    status = _choice(args, "status", ("open", *OPEN, "resolved"))
    limit = limit_of(args, 100, 200)

    def keep(incident) -> bool:
        return (not service or incident.service == service) and (
            not status or incident.status == status or (status == "open" and incident.status in OPEN))

    found, cursor = _paged(lambda: repos.operations.incidents_opened(
        account_id, iso(since), iso(until), limit, args.get("cursor"), keep))
    return {"window": {"since": iso(since), "until": iso(until)},
            "incidents": [incident_json(i) for i in found], "cursor": cursor}


def incident_of(account_id: str, key: str | None, latest_resolved: bool, now):
    """The incident of a key, or the newest one resolved within 31 days."""
    if key:
        incident = repos.operations.incident(account_id, key) if isinstance(key, str) else None
        if incident is None:
            raise NotFound(f"No incident with key {key!r} in this account.")
        return incident
    if not latest_resolved:
        raise Invalid("key is required (or latest_resolved: true)", field="key")
    found, _ = repos.operations.incidents_opened(account_id, iso(now - MAX_WINDOW), iso(now), 1, None,
                                                 lambda i: i.status == "resolved")
    if not found:
        raise NotFound("No incident was resolved in the last 31 days.")
    return found[0]


def incident_timeline(account_id: str, args: dict, now) -> dict:
    """An incident with its status changes, its alerts (linked, and those on
    its service from 2 h before it opened until it resolved), the changes on
    its service in the 24 h before, and its times to detect, acknowledge and resolve."""
    incident = incident_of(account_id, args.get("key"), bool(args.get("latest_resolved")), now)
    opened = parse_iso(incident.opened_at)
    ended = parse_iso(incident.resolved_at) if incident.resolved_at else now
    alerts = _incident_alerts(account_id, incident, opened - timedelta(hours=2), ended)
    changes = []
    if incident.service:
        found, _ = repos.operations.changes_between(account_id, iso(opened - timedelta(hours=24)), iso(opened), 50,
                                                    None, lambda c: True, service=incident.service)
        changes = [change_json(c) for c in found]
    starts = [a["first_start"] for a in alerts if a["first_start"] and a["first_start"] <= incident.opened_at]
    first_alert = min(starts) if starts else None

    def seconds(a, b):
        return None if not a or not b else max(0, int((parse_iso(b) - parse_iso(a)).total_seconds()))

    return {"incident": incident_json(incident),
            "timeline": [{k: e.get(k) for k in ("at", "status", "who", "what")} for e in incident.timeline or []],
            "alerts": alerts, "changes": changes,
            "metrics": {"first_alert_at": first_alert,
                        "time_to_detect_seconds": seconds(first_alert, incident.opened_at),
                        "time_to_acknowledge_seconds": seconds(incident.opened_at, incident.acknowledged_at),
                        "time_to_resolve_seconds": seconds(incident.opened_at, incident.resolved_at)}}


MAX_INCIDENT_ALERTS = 50


def _incident_alerts(account_id: str, incident, since: datetime, until: datetime) -> list[dict]:
    linked = set(incident.alert_keys or [])
    keys = set(linked)
    if incident.service:
        rows, _ = day_rows(account_id, since, until, 500, None, service=incident.service)
        keys |= {row.key for _, row in rows}
    alerts = repos.operations.alerts(account_id, sorted(keys)[:MAX_INCIDENT_ALERTS]) if keys else {}
    out = []
    for key, alert in sorted(alerts.items()):
        firings = repos.operations.firings_between(account_id, key, iso(since), iso(until), 20)
        if not firings and key not in linked:
            continue
        out.append({"key": key, "name": alert.name, "service": alert.service, "severity": alert.severity,
                    "first_start": firings[0].start if firings else alert.last_start,
                    "firings": [{"start": f.start, "end": f.end, "acked_by": f.acked_by} for f in firings],
                    "linked": key in linked})
    return sorted(out, key=lambda a: a["first_start"] or "")


# --- changes -----------------------------------------------------------------------------------


def query_changes(account_id: str, args: dict, now) -> dict:
    """Changes made in a window, newest first, of one service when named; one page."""
    since, until = window(args, now)
    service = _text(args, "service")
    limit = limit_of(args, 100, 200)
    found, cursor = _paged(lambda: repos.operations.changes_between(
        account_id, iso(since), iso(until), limit, args.get("cursor"), lambda c: True, service=service))
    return {"window": {"since": iso(since), "until": iso(until)}, "changes": [change_json(c) for c in found],
            "cursor": cursor}
