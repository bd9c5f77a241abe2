"""The schedule index: where an enabled scheduled rule sits so that the hourly
tick reads only the rules due in that hour.

Its key is the cron's four segments plus a shard number derived from the rule
id, so popular keys (`* * * *`) spread over partitions and the tick's fan-out
can itself be fanned out per (key, shard).
"""
import hashlib
from datetime import UTC, datetime
from itertools import product

from chalicelib import settings
from chalicelib.store.models import ScheduleEntry


def shard_of(automation_id: str, shards: int | None = None) -> int:
    """The stable shard of a rule."""
    n = shards or settings.schedule_shards()
    return int.from_bytes(hashlib.sha256(automation_id.encode()).digest()[:4], "big") % n


def index_keys(cron: str) -> list[str]:
    """The index keys a cron is filed under. With both day-of-month and
    day-of-week set, standard cron runs on either day, so the rule is filed
    under both `h dom m *` and `h * m dow`; the tick reads each due key once
    and a run's id comes from (rule, hour), so a day matching both runs once."""
    hour, dom, month, dow = cron.split()
    if dom != "*" and dow != "*":
        return [f"{hour} {dom} {month} *", f"{hour} * {month} {dow}"]
    return [cron]


def entries_for(rule) -> list[ScheduleEntry]:
    """The index entries a rule should have: none when disabled, deleted or unscheduled."""
    schedule = next((t for t in rule.triggers if t["type"] == "schedule"), None)
    if not rule.enabled or rule.deleted_at or schedule is None:
        return []
    shard = shard_of(rule.id)
    return [ScheduleEntry(f"{key}#{shard}", rule.id, account_id=rule.account_id, cron=schedule["cron"])
            for key in index_keys(schedule["cron"])]


def due_keys(at: datetime) -> list[str]:
    """The 16 cron keys that can be due in the hour of `at` (UTC): each segment
    either its value or `*`."""
    at = at.astimezone(UTC)
    values = (str(at.hour), str(at.day), str(at.month), str(at.isoweekday() % 7))
    return [" ".join(combo) for combo in product(*[(v, "*") for v in values])]


def due_slots(at: datetime) -> list[str]:
    """Every (key, shard) partition the tick must read for the hour of `at`."""
    return [f"{key}#{shard}" for key in due_keys(at) for shard in range(settings.schedule_shards())]
