"""In-memory twins of the integrations and operations repositories (see
memory.py): the same operations and conditions, on dicts. The operations
twin writes events into the events twin, as the DynamoDB one writes them into
the events table in the same transaction."""
from dataclasses import replace

from chalicelib.store import ConditionFailed
from chalicelib.store.integrations import MAX_ERRORS
from chalicelib.store.memory_paging import MemoryAccountItems, _copy, _page
from chalicelib.store.operations import DAY_COUNTERS, AlertWrite
from chalicelib.store.records import AlertDay


class MemoryIntegrations(MemoryAccountItems):
    what = "integration"

    def by_id(self, integration_id):
        return next((_copy(i) for (_, iid), i in self.items.items() if iid == integration_id), None)

    def note_received(self, integration, at):
        stored = self._stored(integration)
        stored.received, stored.last_received_at = (stored.received or 0) + 1, at
        integration.received, integration.last_received_at = stored.received, at

    def note_error(self, integration, at, reason, refused):
        stored = self._stored(integration)
        stored.errors = ((integration.errors or []) + [{"at": at, "reason": reason[:300]}])[-MAX_ERRORS:]
        stored.refused = (stored.refused or 0) + (1 if refused else 0)
        integration.errors, integration.refused = _copy(stored.errors), stored.refused


class MemoryOperations:
    def __init__(self, events):
        self._events = events
        self.alerts_by_key: dict[tuple, object] = {}
        self.firings_by_key: dict[tuple, object] = {}
        self.days: dict[tuple, AlertDay] = {}
        self.incidents: dict[tuple, object] = {}
        self.changes: dict[tuple, object] = {}

    # --- alerts ---

    def alert(self, account_id, key):
        return _copy(self.alerts_by_key.get((account_id, key)))

    def alerts(self, account_id, keys):
        return {k: _copy(self.alerts_by_key[(account_id, k)]) for k in keys if (account_id, k) in self.alerts_by_key}

    def write_alert(self, write: AlertWrite):
        acc = write.account_id
        if write.alert is not None:
            stored = self.alerts_by_key.get((acc, write.alert.key))
            if (stored.updated_at if stored else None) != write.read_updated_at:
                raise ConditionFailed(f"alert {write.alert.key} changed")
        firing_key = (write.firing.alert_key, write.firing.start)
        found = self.firings_by_key.get(firing_key)
        if write.firing_new and found is not None:
            raise ConditionFailed("the firing exists")
        if not write.firing_new and (found is None or found.end is not None):
            raise ConditionFailed("no open firing to end")
        if write.event is not None and (write.event.account_id, write.event.id) in self._events.stored:
            raise ConditionFailed(f"event {write.event.id} exists")
        # every condition holds: write it all
        if write.alert is not None:
            self.alerts_by_key[(acc, write.alert.key)] = _copy(write.alert)
        if write.firing_new:
            self.firings_by_key[firing_key] = _copy(write.firing)
        else:
            found.end = write.firing.end
        day_id = (write.day.day_key, write.day.key)
        day = self.days.get(day_id) or AlertDay(day_key=write.day.day_key, key=write.day.key, name=write.day.name)
        day = replace(day, name=write.day.name, expires_at=write.day.expires_at,
                      service=write.day.service if write.day.service is not None else day.service,
                      severity=write.day.severity if write.day.severity is not None else day.severity)
        for name in DAY_COUNTERS:
            setattr(day, name, (getattr(day, name) or 0) + write.day_add.get(name, 0))
        if write.start_minute is not None:
            day.start_minutes = set(day.start_minutes or ()) | {write.start_minute}
        self.days[day_id] = day
        if write.event is not None:
            self._events.add_once(write.event)

    def alert_page(self, account_id, limit, cursor, keep):
        found = [a for (acc, _), a in sorted(self.alerts_by_key.items()) if acc == account_id]
        return _page(found, lambda a: a.key, f"alerts:{account_id}", limit, cursor, keep)

    def firings(self, account_id, alert_key, limit, cursor):
        pk = f"{account_id}#{alert_key}"
        found = sorted((f for (k, _), f in self.firings_by_key.items() if k == pk), key=lambda f: f.start,
                       reverse=True)
        return _page(found, lambda f: f.start, f"firings:{pk}", limit, cursor, lambda f: True)

    def firings_between(self, account_id, alert_key, since, until, limit):
        pk = f"{account_id}#{alert_key}"
        found = sorted((f for (k, s), f in self.firings_by_key.items() if k == pk and since <= s <= until),
                       key=lambda f: f.start)
        return [_copy(f) for f in found[:limit]]

    def day_page(self, account_id, day, limit, cursor, keep, service=None, most_read=None):
        pk = f"{account_id}#{day}"
        found = [d for (k, _), d in sorted(self.days.items()) if k == pk and (service is None or d.service == service)]
        return _page(found, lambda d: d.key, f"days:{pk}:{service}", limit, cursor, keep, most_read)

    # --- incidents ---

    def incident(self, account_id, key):
        return _copy(self.incidents.get((account_id, key)))

    def save_incident(self, incident, event):
        stored = self.incidents.get((incident.account_id, incident.key))
        if (stored.version if stored else None) != incident.version:
            raise ConditionFailed(f"incident {incident.key} changed")
        if event is not None and (event.account_id, event.id) in self._events.stored:
            raise ConditionFailed(f"event {event.id} exists")
        incident.version = (incident.version or 0) + 1
        self.incidents[(incident.account_id, incident.key)] = _copy(incident)
        if event is not None:
            self._events.add_once(event)

    def incidents_opened(self, account_id, since, until, limit, cursor, keep):
        found = sorted((i for (a, _), i in self.incidents.items() if a == account_id and since <= i.opened_at <= until),
                       key=lambda i: (i.opened_at, i.key), reverse=True)
        return _page(found, lambda i: [i.opened_at, i.key], f"opened:{account_id}", limit, cursor, keep)

    # --- changes ---

    def save_change(self, change, event):
        at_key = f"{change.at}#{change.key}"
        stored = self.changes.get((change.account_id, at_key))
        if stored is not None and not (stored.updated_at or stored.at) < (change.updated_at or change.at):
            raise ConditionFailed(f"change {change.key} is as new")
        if event is not None and (event.account_id, event.id) in self._events.stored:
            raise ConditionFailed(f"event {event.id} exists")
        self.changes[(change.account_id, at_key)] = _copy(change)
        if event is not None:
            self._events.add_once(event)

    def change(self, account_id, at, key):
        return _copy(self.changes.get((account_id, f"{at}#{key}")))

    def changes_between(self, account_id, since, until, limit, cursor, keep, service=None):
        found = sorted((c for (a, k), c in self.changes.items() if a == account_id
                        and since <= k <= until + "#\uffff" and (service is None or c.service == service)),
                       key=lambda c: (c.at, c.key), reverse=True)
        return _page(found, lambda c: f"{c.at}#{c.key}", f"changes:{account_id}:{service}", limit, cursor, keep)
