"""Counting state of event triggers, per automation and `for_each` key.

Reactive: fire when the matches within the window reach the threshold.
Proactive: an `after` event opens a window of `within` seconds; the minute
tick fires the trigger when fewer than `threshold` expected events arrived
before the deadline. Writes are optimistic (a version attribute), retried on
a conflicting concurrent update.
"""
from datetime import datetime, timedelta

from chalicelib.clock import iso_ms, parse_iso
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import EventWindow

ATTEMPTS = 5


def _load(key: str, automation_id: str) -> EventWindow:
    return repos.events.window(key) or EventWindow(key, automation_id=automation_id, times=[], count=0)


def _save_retrying(key: str, automation_id: str, change) -> object:
    """Apply `change(window) -> result` and save, retrying on a version conflict."""
    for _ in range(ATTEMPTS):
        window = _load(key, automation_id)
        result = change(window)
        try:
            repos.events.save_window(window)
            return result
        except ConditionFailed:
            continue
    raise RuntimeError(f"event window {key} kept changing under concurrent updates")


def reactive_hit(trigger: dict, automation_id: str, bucket: str, now: datetime) -> bool:
    """Count one matching event; True when the trigger fires now."""
    if trigger["threshold"] <= 1:
        return True
    key = f"{automation_id}|reactive|{bucket}"
    since = now - timedelta(seconds=trigger["within"]) if trigger["within"] else None

    def change(window):
        times = [t for t in window.times if since is None or parse_iso(t) > since] + [iso_ms(now)]
        fired = len(times) >= trigger["threshold"]
        window.times = [] if fired else times
        window.expires_at = now + timedelta(seconds=trigger["within"] or 30 * 24 * 3600)
        return fired

    return _save_retrying(key, automation_id, change)


def proactive_after(trigger: dict, automation_id: str, bucket: str, event: dict, now: datetime) -> None:
    """An `after` event: open the window (an open one keeps its deadline)."""
    key = f"{automation_id}|proactive|{bucket}"

    def change(window):
        if window.open:
            return
        window.open, window.count = "1", 0
        window.deadline = iso_ms(now + timedelta(seconds=trigger["within"]))
        window.context = {"after_event": event, "trigger": trigger}
        window.expires_at = now + timedelta(seconds=trigger["within"] + 7 * 24 * 3600)

    _save_retrying(key, automation_id, change)


def proactive_expected(trigger: dict, automation_id: str, bucket: str) -> None:
    """An expected event: counts toward the open window, closing it once enough arrived."""
    key = f"{automation_id}|proactive|{bucket}"

    def change(window):
        if not window.open:
            return
        window.count = int(window.count) + 1
        if window.count >= trigger["threshold"]:
            window.open = window.deadline = None  # satisfied: nothing to fire

    _save_retrying(key, automation_id, change)


def expired_windows(now: datetime) -> list[EventWindow]:
    """Open proactive windows whose deadline has passed (the sparse index)."""
    return repos.events.expired_windows(iso_ms(now))


def close(window: EventWindow) -> bool:
    """Close an expired window once; False when another tick already did."""
    window.open = window.deadline = None
    try:
        repos.events.save_window(window)
        return True
    except ConditionFailed:
        return False
