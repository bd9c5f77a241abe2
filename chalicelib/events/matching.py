"""Matching an event against a trigger: event-name patterns and field filters,
with `*` wildcards and `!` negation."""
from fnmatch import fnmatchcase

MAX_CHAIN = 5  # events from runs started by events: stop a cascade after this many hops


def lookup(event: dict, path: str):
    """The value at a dotted path of an event ("resource.severity"), or None."""
    value = event
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def pattern_matches(pattern: str, value) -> bool:
    """`*` matches any run of characters; a leading `!` negates."""
    if pattern.startswith("!"):
        return not pattern_matches(pattern[1:], value)
    return value is not None and fnmatchcase(str(value), pattern)


def value_matches(spec, value) -> bool:
    """A filter value: one pattern or a list. Any positive pattern must match
    (when there are some) and every negated one must hold."""
    patterns = spec if isinstance(spec, list) else [spec]
    positives = [p for p in patterns if not p.startswith("!")]
    negatives = [p for p in patterns if p.startswith("!")]
    return (not positives or any(pattern_matches(p, value) for p in positives)) and \
        all(pattern_matches(p, value) for p in negatives)


def name_matches(patterns: list[str], name: str) -> bool:
    """Whether an event name matches any of the patterns."""
    return value_matches(patterns, name)


def filters_match(match: dict, event: dict) -> bool:
    """Every field filter of the trigger holds for the event."""
    return all(value_matches(spec, lookup(event, path)) for path, spec in (match or {}).items())


def role_of(trigger: dict, event: dict) -> str | None:
    """"expect" or "after" when the event counts for this trigger, else None."""
    if (lookup(event, "payload.chain_depth") or 0) >= MAX_CHAIN:
        return None
    if not filters_match(trigger.get("match"), event):
        return None
    if name_matches(trigger["expect"], event["event"]):
        return "expect"
    if trigger.get("after") and name_matches(trigger["after"], event["event"]):
        return "after"
    return None


def bucket_of(trigger: dict, event: dict) -> str:
    """The `for_each` key of an event: the values of the named fields."""
    return "|".join(str(lookup(event, path)) for path in trigger.get("for_each") or [])
