"""The schedule index: where an enabled scheduled rule sits so that a tick
reads only the rules due at that tick.

Two kinds of key, each plus a shard derived from the rule id (so popular keys
spread over partitions and the tick's fan-out can itself be fanned out):

- a UTC cron (hourly and custom rules) by its four segments; at the top of
  each hour the 16 keys that can be due (each segment its value or `*`);
- a local-time rule (daily, weekly) by `<zone> <local hour> <local weekday|*>`;
  at each tick, for every zone in use, the local hours the zone's wall clock
  has just reached (rules/local_time.py), daily and weekly.

Which local keys are in use is kept per account with scheduled rules
(SchedulerState part "accounts", added to when a rule is saved), so a tick
never asks about zones nobody uses. A key stays listed after its last rule goes: it then costs a tick
an empty Query, never a wrong run.
"""
import hashlib
from datetime import UTC, datetime
from itertools import product
from zoneinfo import ZoneInfo

from chalicelib import settings
from chalicelib.clock import iso_ms, parse_iso
from chalicelib.rules import local_time
from chalicelib.store import repos
from chalicelib.store.records import ScheduleEntry

LOCAL_MODES = ("daily", "weekly")


def shard_of(automation_id: str, shards: int | None = None) -> int:
    """The stable shard of a rule."""
    n = shards or settings.current().schedule_shards
    return int.from_bytes(hashlib.sha256(automation_id.encode()).digest()[:4], "big") % n


def index_keys(cron: str) -> list[str]:
    """The index keys a cron is filed under. With both day-of-month and
    day-of-week set, standard cron runs on either day, so the rule is filed
    under both `h dom m *` and `h * m dow`; the tick reads each due key once
    and a run's id comes from (rule, time), so a day matching both runs once."""
    hour, dom, month, dow = cron.split()
    if dom != "*" and dow != "*":
        return [f"{hour} {dom} {month} *", f"{hour} * {month} {dow}"]
    return [cron]


def local_key(schedule: dict) -> str:
    """The index key of a daily or weekly rule: its zone, local hour and local weekday."""
    weekday = schedule["weekday"] if schedule["mode"] == "weekly" else "*"
    return f"{schedule['timezone']} {schedule['hour']} {weekday}"


def schedule_of(rule) -> dict | None:
    """The rule's schedule trigger while it should fire (enabled, not deleted)."""
    schedule = next((t for t in rule.triggers if t["type"] == "schedule"), None)
    return None if not rule.enabled or rule.deleted_at else schedule


def scheduled_since(rule, old, now: datetime) -> str | None:
    """When the rule's schedule, as this save leaves it, began to apply: now
    when the save creates, changes or re-enables it; unchanged otherwise."""
    schedule = schedule_of(rule)
    if schedule is None:
        return None
    before = schedule_of(old) if old is not None else None
    if before is None or _as_set(before) != _as_set(schedule):
        return iso_ms(now)
    return old.scheduled_since


def _as_set(schedule: dict) -> dict:
    """A schedule as its owner set it: a local-time rule's `cron` is only the
    UTC time in force when it was saved, and changes with the zone's offset."""
    return {k: v for k, v in schedule.items() if k != "cron"} if schedule["mode"] in LOCAL_MODES else schedule


def entries_for(rule) -> list[ScheduleEntry]:
    """The index entries a rule should have: none when disabled, deleted or unscheduled."""
    schedule = schedule_of(rule)
    if schedule is None:
        return []
    slot, since = f"#{shard_of(rule.id)}", rule.scheduled_since
    if schedule["mode"] in LOCAL_MODES:
        return [ScheduleEntry(local_key(schedule) + slot, rule.id, account_id=rule.account_id, since=since)]
    return [ScheduleEntry(key + slot, rule.id, account_id=rule.account_id, cron=schedule["cron"], since=since)
            for key in index_keys(schedule["cron"])]


def scheduled_after(entry: ScheduleEntry, due: datetime) -> bool:
    """Whether the rule's schedule began at or after `due`, so the tick of
    `due` must not fire it, late or caught up: its first run is the first due
    time strictly after it was scheduled, as its `next_runs` says."""
    return entry.since is not None and parse_iso(entry.since) >= due


def local_keys_of(rule) -> set[str]:
    """The local-time keys a rule is filed under (empty for UTC crons)."""
    schedule = schedule_of(rule) if rule is not None else None
    return {local_key(schedule)} if schedule and schedule["mode"] in LOCAL_MODES else set()


def register(account_id: str, keys: set[str]) -> None:
    """Note that the account has scheduled rules, and which local-time keys
    they use (idempotent: a set ADD)."""
    repos.schedule.register(account_id, keys)


def register_all(rules) -> int:
    """Register the scheduled rules of many rules (bulk loads, rebuilds); returns the updates made."""
    by_account: dict[str, set[str]] = {}
    for rule in rules:
        if schedule_of(rule) is not None:
            by_account.setdefault(rule.account_id, set()).update(local_keys_of(rule))
    for account_id, keys in by_account.items():
        register(account_id, keys)
    return len(by_account)


class InUse:
    """The local-time keys in use, and the accounts that have scheduled rules."""

    def __init__(self, registry: list[tuple[str, set[str]]]):
        self.accounts, self.keys, self.zones = [], set(), set()
        for account_id, keys in registry:
            self.accounts.append(account_id)
            self.keys |= keys
        self.zones = {key.rsplit(" ", 2)[0] for key in self.keys}


def in_use() -> InUse:
    """Read the registry: one Query (a page holds thousands of accounts)."""
    return InUse(repos.schedule.registry())


def cron_keys(at: datetime) -> list[str]:
    """The 16 cron keys that can be due in the hour of `at` (UTC): each segment
    either its value or `*`."""
    at = at.astimezone(UTC)
    values = (str(at.hour), str(at.day), str(at.month), str(at.isoweekday() % 7))
    return [" ".join(combo) for combo in product(*[(v, "*") for v in values])]


def due_keys(tick: datetime, used: InUse) -> list[str]:
    """Every index key due at `tick` (a quarter hour, UTC): the cron keys at
    the top of the hour, and the local keys in use whose hour has just come."""
    keys = cron_keys(tick) if tick.minute == 0 else []
    for zone in sorted(used.zones):
        for hour, weekday in local_time.due_hours(ZoneInfo(zone), tick):
            for key in (f"{zone} {hour} *", f"{zone} {hour} {weekday}"):
                if key in used.keys and key not in keys:
                    keys.append(key)
    return keys


def due_slots(tick: datetime, used: InUse) -> list[str]:
    """Every (key, shard) partition a tick must read."""
    return [f"{key}#{shard}" for key in due_keys(tick, used) for shard in range(settings.current().schedule_shards)]


def rebuild(rules) -> dict:
    """Re-file every rule (after an upgrade or a restore): writes the entries
    the rules should have, deletes every other entry, registers the local keys.
    Reads the whole index: for maintenance, never for a tick."""
    wanted = {(e.slot, e.automation_id): e for rule in rules for e in entries_for(rule)}
    stale = [e for e in repos.schedule.every_entry() if (e.slot, e.automation_id) not in wanted]
    repos.schedule.replace_entries(stale, list(wanted.values()))
    register_all(rules)
    return {"entries": len(wanted), "removed": len(stale)}

