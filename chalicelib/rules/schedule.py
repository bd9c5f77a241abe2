"""Schedule triggers: the four UI modes, as stored and as shown.

Hourly and custom are a UTC cron. Daily and weekly keep their local hour (and
weekday) and IANA time zone as the source of truth (rules/local_time.py), so
they run at that local time all year; their 4-segment UTC cron is still shown,
as the one in force for the next run.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib.clock import iso
from chalicelib.errors import Invalid
from chalicelib.rules import cron, local_time, timezones
from chalicelib.validation import whole_number

MODES = ("hourly", "daily", "weekly", "custom")
LOCAL_MODES = ("daily", "weekly")
UTC_NAMES = ("UTC", "Etc/UTC")


def _int_field(item: dict, key: str, lo: int, hi: int, where: str) -> int:
    value = whole_number(item.get(key))
    if value is None or not lo <= value <= hi:
        raise Invalid(f"{where}.{key} must be an integer {lo}-{hi}; got {item.get(key)!r}", field=f"{where}.{key}")
    return value


def parse(item: dict, where: str, now) -> dict:
    """Validate a schedule trigger and return it as stored."""
    mode = "custom" if item.get("mode") is None and "cron" in item else item.get("mode")
    if mode not in MODES:
        raise Invalid(f"{where}.mode must be one of {', '.join(MODES)}; got {mode!r}", field=f"{where}.mode")
    if mode == "hourly":
        return {"type": "schedule", "mode": "hourly", "cron": "* * * *"}
    if mode == "custom":
        if item.get("timezone", "UTC") not in UTC_NAMES:
            raise Invalid(f"{where}.timezone: a custom cron is always read in UTC, so a timezone of "
                          f"{item['timezone']!r} cannot apply; drop the timezone, or use mode daily or "
                          "weekly to run at a local hour", field=f"{where}.timezone")
        return {"type": "schedule", "mode": "custom",
                "cron": cron.normalise(item.get("cron"), f"{where}.cron"), "timezone": "UTC"}
    hour = _int_field(item, "hour", 0, 23, where)
    # 0-7 as in cron: 7 is Sunday like 0, and is kept as 0
    weekday = _int_field(item, "weekday", 0, 7, where) % 7 if mode == "weekly" else None
    tz_name = item.get("timezone", "UTC")
    zone = timezones.zone(tz_name, f"{where}.timezone")
    stored = {"type": "schedule", "mode": mode, "hour": hour, "timezone": tz_name}
    if mode == "weekly":
        stored["weekday"] = weekday
    stored["cron"] = local_time.utc_cron(hour, weekday, zone, now)
    return stored


def zone_of(schedule: dict) -> ZoneInfo:
    """The zone a schedule's times are read in (UTC for hourly and custom)."""
    return ZoneInfo(schedule["timezone"]) if schedule["mode"] in LOCAL_MODES else ZoneInfo("UTC")


def next_runs(schedule: dict, now: datetime, count: int = 5) -> list[datetime]:
    """The next `count` UTC times the schedule runs, strictly after `now`."""
    if schedule["mode"] in LOCAL_MODES:
        return local_time.next_runs(schedule["hour"], schedule.get("weekday"), zone_of(schedule), now, count)
    return cron.next_runs(schedule["cron"], now, count)


def shown(schedule: dict, now: datetime) -> dict:
    """The trigger as the API shows it: a local-time rule with the UTC cron in force for its next run."""
    out = dict(schedule)
    if schedule["mode"] in LOCAL_MODES:
        out["cron"] = local_time.utc_cron(schedule["hour"], schedule.get("weekday"), zone_of(schedule), now)
    return out


def next_runs_local(schedule: dict, runs: list[datetime]) -> list[dict]:
    """Each run time in UTC and in the schedule's own zone."""
    zone = zone_of(schedule)
    return [{"utc": iso(at), "local": at.astimezone(zone).isoformat(), "timezone": zone.key} for at in runs]
