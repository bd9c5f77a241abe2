"""Schedule triggers: the four UI modes mapped onto the stored UTC cron."""
from chalicelib.errors import BadRequest
from chalicelib.rules import cron, timezones

MODES = ("hourly", "daily", "weekly", "custom")


def _int_field(item: dict, key: str, lo: int, hi: int, where: str) -> int:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BadRequest(f"{where}.{key} must be an integer {lo}-{hi}; got {value!r}")
    return value


def parse(item: dict, where: str, now) -> dict:
    """Validate a schedule trigger and return it as stored (with the UTC cron)."""
    mode = item.get("mode") or ("custom" if "cron" in item else None)
    if mode not in MODES:
        raise BadRequest(f"{where}.mode must be one of {', '.join(MODES)}; got {mode!r}")
    if mode == "hourly":
        return {"type": "schedule", "mode": "hourly", "cron": "* * * *"}
    if mode == "custom":
        return {"type": "schedule", "mode": "custom",
                "cron": cron.normalise(item.get("cron"), f"{where}.cron"), "timezone": "UTC"}
    hour = _int_field(item, "hour", 0, 23, where)
    weekday = _int_field(item, "weekday", 0, 6, where) if mode == "weekly" else None
    tz_name = item.get("timezone", "UTC")
    timezones.zone(tz_name, f"{where}.timezone")
    utc_hour, utc_weekday = timezones.to_utc(hour, weekday, tz_name, now)
    stored = {"type": "schedule", "mode": mode, "hour": hour, "timezone": tz_name}
    if mode == "weekly":
        stored["weekday"] = weekday
        stored["cron"] = f"{utc_hour} * * {utc_weekday}"
    else:
        stored["cron"] = f"{utc_hour} * * *"
    return stored
