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


def slot_of(cron: str, automation_id: str) -> str:
    """The index partition key of a rule with this cron."""
    return f"{cron}#{shard_of(automation_id)}"


def entry_for(rule) -> ScheduleEntry | None:
    """The index entry a rule should have: none when disabled or unscheduled."""
    schedule = next((t for t in rule.triggers if t["type"] == "schedule"), None)
    if not rule.enabled or schedule is None:
        return None
    return ScheduleEntry(slot_of(schedule["cron"], rule.id), rule.id,
                         account_id=rule.account_id, cron=schedule["cron"])


def due_keys(at: datetime) -> list[str]:
    """The 16 cron keys that can be due in the hour of `at` (UTC): each segment
    either its value or `*`."""
    at = at.astimezone(UTC)
    values = (str(at.hour), str(at.day), str(at.month), str(at.isoweekday() % 7))
    return [" ".join(combo) for combo in product(*[(v, "*") for v in values])]


def due_slots(at: datetime) -> list[str]:
    """Every (key, shard) partition the tick must read for the hour of `at`."""
    return [f"{key}#{shard}" for key in due_keys(at) for shard in range(settings.schedule_shards())]
