"""Event triggers on a rule: validation at save time (including the refusal of
a trigger that would fire on the rule's own run events in a loop) and the
index entries that let an event find only the triggers that could match it."""
import re

from chalicelib.errors import Invalid
from chalicelib.events.matching import name_matches
from chalicelib.store.records import TriggerEntry
from chalicelib.validation import whole_number

POSTURES = ("reactive", "proactive")
RUN_STATUSES = ("running", "retrying", "succeeded", "partial", "failed", "skipped", "abandoned")
QUEUED = "automation.run.queued"  # never emitted; `after` it means "late to start" (events/late_start.py)
PATTERN = re.compile(r"^!?[A-Za-z0-9_.*-]{1,255}$")
FIELD_PATH = re.compile(r"^(event|(resource|payload)(\.[A-Za-z0-9_-]{1,64}){1,4})$")
MAX_WITHIN = 30 * 24 * 3600


def _patterns(value, where: str, required: bool) -> list[str]:
    if value is None and not required:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or len(value) > 20 or \
            not all(isinstance(p, str) and PATTERN.match(p) for p in value):
        raise Invalid(f"{where} must be a list of 1-20 event name patterns like 'incident.*'", field=where)
    return value


def _match(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 20:
        raise Invalid(f"{where} must be an object of at most 20 field filters", field=where)
    for path, spec in value.items():
        if not FIELD_PATH.match(path):
            raise Invalid(f"{where}: {path!r} is not a field; use event, resource.<label> or payload.<key>",
                          field=where)
        specs = spec if isinstance(spec, list) else [spec]
        if not specs or not all(isinstance(s, str) and 0 < len(s) <= 255 for s in specs):
            raise Invalid(f"{where}.{path} must be a pattern string or a list of them", field=f"{where}.{path}")
    return value


def _int(item, key, lo, hi, default, where) -> int:
    value = whole_number(item.get(key, default))
    if value is None or not lo <= value <= hi:
        raise Invalid(f"{where}.{key} must be an integer {lo}-{hi}; got {item.get(key, default)!r}",
                      field=f"{where}.{key}")
    return value


def parse(item: dict, where: str, automation_id: str) -> dict:
    """Validate an event trigger and return it as stored."""
    posture = item.get("posture", "reactive")
    if posture not in POSTURES:
        raise Invalid(f"{where}.posture must be reactive or proactive; got {posture!r}", field=f"{where}.posture")
    trigger = {"type": "event", "posture": posture,
               "expect": _patterns(item.get("expect"), f"{where}.expect", True),
               "after": _patterns(item.get("after"), f"{where}.after", posture == "proactive"),
               "match": _match(item.get("match"), f"{where}.match"),
               "threshold": _int(item, "threshold", 1, 10_000, 1, where),
               "within": _int(item, "within", 60 if posture == "proactive" else 0, MAX_WITHIN,
                              3600 if posture == "proactive" else 0, where)}
    if posture == "reactive" and trigger["after"]:
        raise Invalid(f"{where}.after is for proactive triggers (an expected event missing after it)",
                      field=f"{where}.after")
    if any(not p.startswith("!") and name_matches([p], QUEUED) and "*" not in p for p in trigger["expect"]):
        raise Invalid(f"{where}.expect: {QUEUED} is not emitted as an event; to act on runs that wait too long "
                      f"to start, use posture proactive with after [\"{QUEUED}\"] and within <seconds>",
                      field=f"{where}.expect")
    for_each = [] if item.get("for_each") is None else item["for_each"]
    if not isinstance(for_each, list) or len(for_each) > 5 or not all(
            isinstance(p, str) and FIELD_PATH.match(p) for p in for_each):
        raise Invalid(f"{where}.for_each must be a list of at most 5 fields like 'resource.id'",
                      field=f"{where}.for_each")
    trigger["for_each"] = for_each
    _refuse_self_loop(trigger, where, automation_id)
    return trigger


def can_match_run_events(trigger: dict) -> bool:
    """Whether the trigger's names match any run event (`automation.run.*`)."""
    names = trigger["expect"] + trigger["after"]
    return any(name_matches(names, f"automation.run.{s}") for s in RUN_STATUSES + ("queued",))


def _refuse_self_loop(trigger: dict, where: str, automation_id: str) -> None:
    """A trigger that can match this rule's own run events would make each run
    start the next. It must name the automation(s) it watches, not this one."""
    if not can_match_run_events(trigger):
        return
    watched = trigger["match"].get("resource.id")
    watched = watched if isinstance(watched, list) else [watched] if watched else []
    if watched and all(not w.startswith("!") and "*" not in w and w != automation_id for w in watched):
        return
    raise Invalid(f"{where}: this trigger would fire on this automation's own run events and loop; "
                  "add match {\"resource.id\": \"<id of the automation to watch>\"} naming other automations",
                  field=f"{where}.match")


def is_late_start(trigger: dict) -> bool:
    """A proactive trigger on runs late to start (`after` automation.run.queued),
    checked by the minute tick rather than by counting events."""
    return trigger["posture"] == "proactive" and name_matches(trigger["after"], QUEUED)


def buckets(trigger: dict) -> set[str]:
    """The first name segment of every positive pattern, or `*` when that
    segment has a wildcard or only negations are given."""
    out = set()
    for pattern in trigger["expect"] + trigger["after"]:
        if pattern.startswith("!"):
            out.add("*")
            continue
        first = pattern.split(".", 1)[0]
        out.add("*" if "*" in first else first)
    return out


def entries_for(rule) -> list[TriggerEntry]:
    """The index entries a rule should have: none when disabled or deleted."""
    trigger = next((t for t in rule.triggers if t["type"] == "event"), None)
    if not rule.enabled or rule.deleted_at or trigger is None:
        return []
    return [TriggerEntry(f"{rule.account_id}|{b}", rule.id, trigger=trigger) for b in sorted(buckets(trigger))]


def candidate_buckets(account_id: str, event_name: str) -> list[str]:
    """The index partitions an event must read."""
    return [f"{account_id}|{event_name.split('.', 1)[0]}", f"{account_id}|*"]


def watches_runs(rule) -> bool:
    """Whether the rule's index entries include a trigger on run events."""
    return any(can_match_run_events(entry.trigger) for entry in entries_for(rule)) if rule is not None else False


def watcher_change(rule, old) -> bool | None:
    """The account's `run_watchers` change that goes in the same transaction
    as the rule's index entries (so the marker and the index never disagree):
    True to add the rule while it watches run events, False to remove it
    when it stops, None for no change."""
    if watches_runs(rule):
        return True
    if watches_runs(old):
        return False
    return None


def runs_watched(account) -> bool:
    """Whether a run event of this account may match a trigger, so the index
    must be read: no when the account keeps the marker and it names no
    automation (an account from before the marker, or unknown: yes)."""
    return account is None or not account.markers or bool(account.run_watchers)
