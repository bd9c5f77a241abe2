"""On-call load: the pages (incidents opened) of a window, by responder, by
service and by hour of day, with the off-hours share in the account's own
business hours and time zone (GET/PUT /account/settings), and the time to
acknowledge."""
import statistics
from datetime import timedelta
from zoneinfo import ZoneInfo

from chalicelib.clock import iso, parse_iso
from chalicelib.errors import Invalid, NotFound
from chalicelib.identity import permissions
from chalicelib.ops.queries import OPEN, window
from chalicelib.store import repos
from chalicelib.validation import whole_number

MOST_PAGES = 2000  # incidents one call reads at most (10 pages of 200): bounded, whatever the account holds
PAGE = 200
DEFAULT_HOURS = {"days": [1, 2, 3, 4, 5], "start": 9, "end": 18}  # Monday to Friday, 09:00-18:00
NIGHT = (22, 7)  # a page from 22:00 to 07:00 local time is a night page


def account_settings(account_id: str) -> dict:
    """The account's business hours and time zone (defaults when unset)."""
    account = repos.accounts.get(account_id)
    if account is None:
        raise NotFound("No such account.")
    return {"business_hours": account.business_hours or DEFAULT_HOURS, "timezone": account.timezone or "UTC"}


def set_account_settings(caller, body: dict) -> dict:
    """PUT /account/settings (owners and admins): business hours and time zone."""
    permissions.require_admin(caller)
    unknown = set(body) - {"business_hours", "timezone"}
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    current = account_settings(caller.account_id)
    hours = _hours(body["business_hours"]) if "business_hours" in body else current["business_hours"]
    zone = _zone(body["timezone"]) if "timezone" in body else current["timezone"]
    repos.accounts.set_settings(caller.account_id, business_hours=hours, timezone=zone)
    return {"business_hours": hours, "timezone": zone}


def _hours(value) -> dict:
    if not isinstance(value, dict) or set(value) != {"days", "start", "end"}:
        raise Invalid('business_hours must be {"days": [1, 2, 3, 4, 5], "start": 9, "end": 18} '
                      "(days: 0 = Sunday … 6 = Saturday; hours 0-24, local time)", field="business_hours")
    # 5.0 is an integer in JSON (and in the OpenAPI document): whole_number takes it, and no true or false
    days = [whole_number(d) for d in value["days"]] if isinstance(value["days"], list) else None
    if days is None or not all(d is not None and 0 <= d <= 6 for d in days):
        raise Invalid("business_hours.days must be a list of 0-6 (0 = Sunday)", field="business_hours.days")
    hours = {}
    for name in ("start", "end"):
        hours[name] = whole_number(value[name])
        if hours[name] is None or not 0 <= hours[name] <= 24:
            raise Invalid(f"business_hours.{name} must be an hour 0-24", field=f"business_hours.{name}")
    if hours["start"] >= hours["end"]:
        raise Invalid("business_hours.start must be before end", field="business_hours.start")
    return {"days": sorted(set(days)), **hours}


def _zone(value) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise Invalid(f"timezone must be an IANA time zone such as Europe/Berlin; got {value!r}",
                      field="timezone") from exc
    return value


def off_hours(local, hours: dict) -> bool:
    """Whether a local time is outside the business hours (weekday numbers: 0 = Sunday)."""
    weekday = (local.weekday() + 1) % 7
    return weekday not in hours["days"] or not hours["start"] <= local.hour < hours["end"]


def _median(values: list) -> int | None:
    return int(statistics.median(values)) if values else None


def _p90(values: list) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return int(ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))])


def _responder(incident) -> str:
    acks = [e.get("who") for e in incident.timeline or [] if e.get("status") == "acknowledged" and e.get("who")]
    return acks[0] if acks else ((incident.assignees or [None])[0] or "unassigned")


def oncall_load(account_id: str, args: dict, now) -> dict:
    """Pages by responder, service and local hour; off-hours share; time to acknowledge."""
    since, until = window(args, now)
    setting = account_settings(account_id)
    zone, hours = ZoneInfo(setting["timezone"]), setting["business_hours"]
    incidents, cursor = [], None
    for _ in range(MOST_PAGES // PAGE):
        page, cursor = repos.operations.incidents_opened(account_id, iso(since), iso(until), PAGE, cursor,
                                                         lambda i: True)
        incidents += page
        if not cursor:
            break
    people: dict[str, dict] = {}
    services: dict[str, dict] = {}
    by_hour = [{"hour": h, "pages": 0, "acks": []} for h in range(24)]
    acks, off, escalated = [], 0, 0
    for incident in incidents:
        local = parse_iso(incident.opened_at).astimezone(zone)
        is_off = off_hours(local, hours)
        off += is_off
        ack = None
        if incident.acknowledged_at:
            ack = max(0, int((parse_iso(incident.acknowledged_at) - parse_iso(incident.opened_at)).total_seconds()))
            acks.append(ack)
        escalated += any(e.get("what") == "escalated" for e in incident.timeline or [])
        who = _responder(incident)
        person = people.setdefault(who, {"who": who, "pages": 0, "off_hours": 0, "nights": set(), "acks": []})
        person["pages"] += 1
        person["off_hours"] += is_off
        if local.hour >= NIGHT[0] or local.hour < NIGHT[1]:  # the night belongs to the evening it began
            person["nights"].add((local - timedelta(hours=NIGHT[1])).date())
        service = services.setdefault(incident.service or "unknown",
                                      {"service": incident.service or "unknown", "pages": 0, "off_hours": 0})
        service["pages"] += 1
        service["off_hours"] += is_off
        by_hour[local.hour]["pages"] += 1
        if ack is not None:
            person["acks"].append(ack)
            by_hour[local.hour]["acks"].append(ack)
    pages = len(incidents)
    return {
        "window": {"since": iso(since), "until": iso(until)}, "timezone": setting["timezone"], "business_hours": hours,
        "pages": pages, "off_hours": off, "off_hours_share": round(off / pages, 3) if pages else 0.0,
        "ack_seconds": {"median": _median(acks), "p90": _p90(acks)},
        "by_responder": sorted(({"who": p["who"], "pages": p["pages"], "off_hours": p["off_hours"],
                                 "nights": len(p["nights"]), "ack_seconds_median": _median(p["acks"])}
                                for p in people.values()), key=lambda p: (-p["pages"], p["who"])),
        "by_service": sorted(services.values(), key=lambda s: (-s["pages"], s["service"])),
        "by_hour": [{"hour": h["hour"], "pages": h["pages"], "ack_seconds_median": _median(h["acks"])}
                    for h in by_hour],
        "escalated": escalated, "open": sum(1 for i in incidents if i.status in OPEN), "incomplete": bool(cursor)}
