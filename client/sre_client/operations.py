"""What the operations commands (`sre alerts`, `incidents`, `changes`,
`account`) share: alert and incident keys as API paths, times given as
"24h" or "7d", durations in words, and the account's business hours in a
form people write ("Mon-Fri 09-18")."""
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import click

DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")  # the API's day numbers: 0 = Sunday
WEEK_FROM_MONDAY = (1, 2, 3, 4, 5, 6, 0)
_AGO = re.compile(r"(\d+)\s*([mhd])")
_HOURS = re.compile(r"(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?")
# The list routes' query fields, and the flag that sets each.
LIST_FLAGS = {name: f"--{name}" for name in ("status", "service", "severity", "since", "until", "limit", "cursor")}
CHANGE_COLUMNS = [("AT", "at"), ("KEY", "key"), ("SERVICE", "service"), ("KIND", "kind"),
                  ("ENVIRONMENT", "environment"), ("WHO", "who"), ("OUTCOME", "outcome"), ("LINK", "link")]


def key_path(collection: str, key: str) -> str:
    """`pagerduty#Q1QH8K2ZJ7XW3M` as /incidents/pagerduty/Q1QH8K2ZJ7XW3M: the
    source, then the id (each URL-encoded: an id may hold `/`, `#` or spaces)."""
    source, sep, rest = key.partition("#")
    if not sep or not source or not rest:
        raise click.BadParameter(f"a key is <source>#<id>, such as alertmanager#6760336f7be5bae2; got {key!r}",
                                 param_hint="KEY")
    return f"/{collection}/{quote(source, safe='')}/{quote(rest, safe='')}"


def when(value: str | None, now: datetime | None = None) -> str | None:
    """An ISO time as given, or "30m", "24h", "7d" before now as an ISO UTC time."""
    if value is None:
        return None
    found = _AGO.fullmatch(value.strip())
    if not found:
        return value  # the API checks it and names the flag
    unit = {"m": "minutes", "h": "hours", "d": "days"}[found.group(2)]
    at = (now or datetime.now(UTC)) - timedelta(**{unit: int(found.group(1))})
    return at.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def duration(seconds: int | None) -> str:
    """Seconds in words: 45 s, 4 min, 1 h 5 min, 2 d 3 h."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours = seconds // 60, seconds // 3600
    if seconds < 3600:
        return f"{minutes} min" + (f" {seconds % 60} s" if seconds % 60 else "")
    if seconds < 86400:
        return f"{hours} h" + (f" {minutes % 60} min" if minutes % 60 else "")
    return f"{seconds // 86400} d" + (f" {hours % 24} h" if hours % 24 else "")


def window_options(fn):
    """--since, --until, --limit and --cursor, as the list routes take them."""
    for option in reversed([
        click.option("--since", help="ISO time, or 30m / 24h / 7d before now (default: 7 days before --until)"),
        click.option("--until", help="ISO time, or 30m / 24h / 7d before now (default: now); at most 31 days"),
        click.option("--limit", type=int, help="1-200 a page (default 100)"),
        click.option("--cursor", help="The `more:` cursor of the previous page"),
    ]):
        fn = option(fn)
    return fn


def list_params(**given) -> dict:
    """The query of a list route: the given filters, with --since/--until as ISO times."""
    for bound in ("since", "until"):
        if bound in given:
            given[bound] = when(given[bound])
    return {k: v for k, v in given.items() if v is not None}


# --- business hours --------------------------------------------------------------------------------


def _day(name: str) -> int:
    wanted = name.strip().lower()[:3]
    for number, day in enumerate(DAYS):
        if day.lower() == wanted and len(name.strip()) >= 3:
            return number
    raise ValueError(f"{name.strip()!r} is not a day (Mon, Tue, … Sun)")


def parse_business_hours(text: str) -> dict:
    """'Mon-Fri 09-18' (or 'Mon,Wed,Fri 9-17', 'Sun-Thu 08:00-17:00', 'Fri-Mon 0-24',
    or the API's own JSON) as {"days": [1, 2, 3, 4, 5], "start": 9, "end": 18};
    ValueError says what is wrong. Days are numbered as the API numbers them, 0 = Sunday;
    a range may wrap around the week end (Fri-Mon)."""
    text = text.strip()
    if text.startswith("{"):
        return json.loads(text)  # the API checks its fields
    days_part, _, hours_part = text.rpartition(" ")
    hours = _HOURS.fullmatch(hours_part)
    if not days_part.strip() or not hours:
        raise ValueError("write it as DAYS HOURS, such as 'Mon-Fri 09-18' (whole hours, local time)")
    days: list[int] = []
    for part in days_part.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        start = _day(first)
        end = _day(last) if dash else start
        day = start
        days.append(day)
        while day != end:
            day = (day + 1) % 7
            days.append(day)
    return {"days": sorted(set(days)), "start": int(hours.group(1)), "end": int(hours.group(2))}


def format_business_hours(hours: dict) -> str:
    """{"days": [1, 2, 3, 4, 5], "start": 9, "end": 18} as 'Mon-Fri 09:00-18:00'."""
    days = set(hours.get("days") or [])
    if len(days) == 7:
        names = "every day"
    elif not days:
        names = "no day"
    else:
        # runs of days in a row, reading the week round from the day after a day off
        start = next(d for d in WEEK_FROM_MONDAY if d in days and (d - 1) % 7 not in days)
        order = [(start + i) % 7 for i in range(7)]
        runs: list[list[int]] = []
        for day in order:
            if day not in days:
                continue
            if runs and (runs[-1][-1] + 1) % 7 == day:
                runs[-1].append(day)
            else:
                runs.append([day])
        names = ",".join(DAYS[r[0]] if len(r) == 1 else f"{DAYS[r[0]]}-{DAYS[r[-1]]}" for r in runs)
    return f"{names} {hours.get('start', 0):02d}:00-{hours.get('end', 0):02d}:00"
