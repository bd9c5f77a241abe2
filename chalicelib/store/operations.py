"""The operations repository: alerts (with each firing and each alert's day
added up as it happens), incidents and changes, and the events they become.

An alert's arrival is one transaction (`write_alert`): the alert, its firing,
its day's aggregate and its event land together or not at all, so a
redelivered firing (its firing or event already there) changes nothing and
an analysis reads one item per alert and day instead of every firing."""
from dataclasses import dataclass, field

from chalicelib.store.dynamo import (
    decode_cursor,
    get,
    item_of,
    possible_key,
    record_of,
    take,
    transaction,
)
from chalicelib.store.events import event_item
from chalicelib.store.records import Alert, AlertDay, AlertFiring, Change, Event, Incident

DAY_COUNTERS = ("fired", "resolved", "quick_resolved", "flaps", "acked", "firing_seconds")
# `figures` packs the counters into one number, six decimal digits each from the right (acked,
# flaps, quick_resolved, resolved, fired), firing_seconds above them with the eight digits left of
# DynamoDB's 38: adding packed numbers adds each counter, as long as a counter of one alert's day
# stays under a million (firing_seconds under 100 million).
_PACKED = ("acked", "flaps", "quick_resolved", "resolved", "fired", "firing_seconds")
_DIGITS = 10 ** 6


def pack(counters: dict) -> int:
    """The counters as one number."""
    return sum(int(counters.get(name, 0)) * _DIGITS ** i for i, name in enumerate(_PACKED))


def unpack(figures) -> dict:
    """The counters of a packed number."""
    value, out = int(figures or 0), {}
    for name in _PACKED[:-1]:
        value, out[name] = divmod(value, _DIGITS)
    out[_PACKED[-1]] = value
    return out


@dataclass
class AlertWrite:
    """What one alert arrival changes, written in one transaction.
    `alert`: the alert as it will be (None: unchanged), written only if it is
    still as read (`read_updated_at`; None: it must not exist yet).
    `firing`: a new firing (`firing_new`: it must not exist) or the end of one
    (it must exist and not have ended). `day`: the counters to add to the
    firing's day (with its name, service and severity, and the start's
    minute). `event`: the arrival's event (it must not exist)."""
    account_id: str
    alert: Alert | None
    read_updated_at: str | None
    firing: AlertFiring
    firing_new: bool
    day: AlertDay
    day_add: dict = field(default_factory=dict)
    start_minute: int | None = None
    event: Event | None = None


class DynamoOperations:
    """The `alerts`, `alert-firings`, `alert-days`, `incidents` and `changes` tables."""

    @staticmethod
    def _models():
        from chalicelib.store import models
        return models

    # --- alerts -------------------------------------------------------------------------

    def alert(self, account_id: str, key: str) -> Alert | None:
        return record_of(get(self._models().Alert, account_id, key, consistent=True), Alert)

    def alerts(self, account_id: str, keys: list[str]) -> dict[str, Alert]:
        """The alerts of these keys that exist (strongly consistent: a write follows), by key."""
        model = self._models().Alert
        wanted = sorted({k for k in keys if possible_key(k)})
        return {item.key: record_of(item, Alert)
                for item in model.batch_get([(account_id, k) for k in wanted], consistent_read=True)}

    def write_alert(self, write: AlertWrite) -> None:
        """The arrival's changes, all or none; ConditionFailed when the alert
        changed since it was read, or the firing or event is there already."""
        m = self._models()
        with transaction() as tx:
            if write.alert is not None:
                item = item_of(write.alert, m.Alert)
                expect = (m.Alert.key.does_not_exist() if write.read_updated_at is None
                          else m.Alert.updated_at == write.read_updated_at)
                tx.save(item, condition=expect)
            firing = item_of(write.firing, m.AlertFiring)
            if write.firing_new:
                tx.save(firing, condition=m.AlertFiring.start.does_not_exist())
            else:
                changes = [m.AlertFiring.end.set(write.firing.end)]
                if write.firing.expires_at:
                    changes.append(m.AlertFiring.expires_at.set(write.firing.expires_at))
                tx.update(firing, actions=changes,
                          condition=m.AlertFiring.start.exists() & m.AlertFiring.end.does_not_exist())
            tx.update(m.AlertDay(write.day.day_key, write.day.key), actions=self._day_actions(write))
            if write.event is not None:
                tx.save(event_item(write.event), condition=m.Event.key.does_not_exist())

    def _day_actions(self, write: AlertWrite) -> list:
        day, model = write.day, self._models().AlertDay
        actions = [model.name.set(day.name), model.expires_at.set(day.expires_at),
                   model.figures.add(pack(write.day_add))]
        if day.severity is not None:
            actions.append(model.severity.set(day.severity))
        if day.service is not None:
            actions.append(model.service_day.set(f"{day.day_key}#{day.service}"))
        if write.start_minute is not None:
            actions.append(model.start_minutes.add({write.start_minute}))
        return actions

    def alert_page(self, account_id: str, limit: int, cursor: str | None, keep) -> tuple[list[Alert], str | None]:
        """One page of the account's alerts (by key) that `keep(alert)` holds for, and the next cursor."""
        model = self._models().Alert
        results = model.query(account_id, page_size=limit, last_evaluated_key=decode_cursor(
            cursor, {"account_id", "key"}, {"account_id": account_id}))
        page, after = take(results, lambda item: keep(record_of(item, Alert)), limit,
                           lambda item: {"account_id": item.account_id, "key": item.key})
        return [record_of(item, Alert) for item in page], after

    def firings(self, account_id: str, alert_key: str, limit: int,
                cursor: str | None) -> tuple[list[AlertFiring], str | None]:
        """One page of an alert's firings, newest first."""
        model, pk = self._models().AlertFiring, f"{account_id}#{alert_key}"
        if not possible_key(pk):
            return [], None
        results = model.query(pk, scan_index_forward=False, page_size=limit,
                              last_evaluated_key=decode_cursor(cursor, {"alert_key", "start"}, {"alert_key": pk}))
        page, after = take(results, lambda item: True, limit,
                           lambda item: {"alert_key": item.alert_key, "start": item.start})
        return [record_of(item, AlertFiring) for item in page], after

    def firings_between(self, account_id: str, alert_key: str, since: str, until: str,
                        limit: int) -> list[AlertFiring]:
        """Up to `limit` firings of an alert that started in [since, until], oldest first."""
        model, pk = self._models().AlertFiring, f"{account_id}#{alert_key}"
        if not possible_key(pk):
            return []
        return [record_of(item, AlertFiring)
                for item in model.query(pk, model.start.between(since, until), limit=limit, page_size=limit)]

    def day_page(self, account_id: str, day: str, limit: int, cursor: str | None, keep,
                 service: str | None = None, most_read: int | None = None) -> tuple[list[AlertDay], str | None]:
        """One page of a UTC day's alert aggregates (by alert key) that `keep`
        holds for, reading at most `most_read`; of one service when named (its
        index: only its rows are read)."""
        model, pk = self._models().AlertDay, f"{account_id}#{day}"
        if service is None:
            results = model.query(pk, page_size=limit, last_evaluated_key=decode_cursor(
                cursor, {"day_key", "key"}, {"day_key": pk}))
        else:
            service_day = f"{pk}#{service}"
            if not possible_key(service_day):
                return [], None
            results = model.by_service.query(service_day, page_size=limit, last_evaluated_key=decode_cursor(
                cursor, {"day_key", "key", "service_day"}, {"day_key": pk, "service_day": service_day}))
        page, after = take(results, lambda item: keep(_day(item)), limit, lambda item: {
            "day_key": item.day_key, "key": item.key, **({"service_day": item.service_day} if service else {})},
            most_read=most_read)
        return [_day(item) for item in page], after

    # --- incidents -------------------------------------------------------------------------

    def incident(self, account_id: str, key: str) -> Incident | None:
        return record_of(get(self._models().Incident, account_id, key, consistent=True), Incident)

    def save_incident(self, incident: Incident, event: Event | None) -> None:
        """The incident and its event together, if nobody saved the incident
        since it was read (its version) and the event is new; ConditionFailed
        otherwise. The incident's version moves on."""
        m = self._models()
        item = item_of(incident, m.Incident)
        with transaction() as tx:
            tx.save(item)  # pynamodb adds the version's condition
            if event is not None:
                tx.save(event_item(event), condition=m.Event.key.does_not_exist())
        incident.version = item.version

    def incidents_opened(self, account_id: str, since: str, until: str, limit: int, cursor: str | None,
                         keep) -> tuple[list[Incident], str | None]:
        """One page of the incidents opened in [since, until], newest first, that `keep` holds for."""
        model = self._models().Incident
        results = model.by_opened.query(
            account_id, model.opened_at.between(since, until), scan_index_forward=False, page_size=limit,
            last_evaluated_key=decode_cursor(cursor, {"account_id", "key", "opened_at"}, {"account_id": account_id}))
        page, after = take(results, lambda item: keep(record_of(item, Incident)), limit, lambda item: {
            "account_id": item.account_id, "key": item.key, "opened_at": item.opened_at})
        return [record_of(item, Incident) for item in page], after

    # --- changes -----------------------------------------------------------------------------

    def save_change(self, change: Change, event: Event | None) -> None:
        """The change (and its event), unless news of it at least as new is
        stored (`updated_at`); ConditionFailed then."""
        m = self._models()
        item = item_of(change, m.Change)
        item.at_key = f"{change.at}#{change.key}"
        item.updated_at = change.updated_at or change.at
        if change.service:
            item.service_key = f"{change.account_id}#{change.service}"
        newer = m.Change.at_key.does_not_exist() | (m.Change.updated_at < (change.updated_at or change.at))
        with transaction() as tx:
            tx.save(item, condition=newer)
            if event is not None:
                tx.save(event_item(event), condition=m.Event.key.does_not_exist())

    def change(self, account_id: str, at: str, key: str) -> Change | None:
        return record_of(get(self._models().Change, account_id, f"{at}#{key}", consistent=True), Change)

    def changes_between(self, account_id: str, since: str, until: str, limit: int, cursor: str | None,
                        keep, service: str | None = None) -> tuple[list[Change], str | None]:
        """One page of the changes made in [since, until], newest first (of one
        service when named: its index), that `keep` holds for."""
        model = self._models().Change
        between = model.at_key.between(since, until + "#\uffff")
        if service is None:
            results = model.query(account_id, between, scan_index_forward=False, page_size=limit,
                                  last_evaluated_key=decode_cursor(cursor, {"account_id", "at_key"},
                                                                   {"account_id": account_id}))
            key_of = lambda item: {"account_id": item.account_id, "at_key": item.at_key}  # noqa: E731
        else:
            pk = f"{account_id}#{service}"
            if not possible_key(pk):
                return [], None
            results = model.by_service.query(
                pk, between, scan_index_forward=False, page_size=limit,
                last_evaluated_key=decode_cursor(cursor, {"account_id", "at_key", "service_key"},
                                                 {"account_id": account_id, "service_key": pk}))
            key_of = lambda item: {"account_id": item.account_id, "at_key": item.at_key,  # noqa: E731
                                   "service_key": item.service_key}
        page, after = take(results, lambda item: keep(record_of(item, Change)), limit, key_of)
        return [record_of(item, Change) for item in page], after

    # --- bulk loads (benchmarks) ---------------------------------------------------------------

    def put_many(self, records: list) -> None:
        """File many records as they are, in BatchWriteItem calls of 25 (bulk
        loads: benchmarks load a week of data prepared on the in-memory twin)."""
        m = self._models()
        models = {"Alert": m.Alert, "AlertFiring": m.AlertFiring, "AlertDay": m.AlertDay,
                  "Incident": m.Incident, "Change": m.Change, "Event": m.Event}
        by_model: dict = {}
        for record in records:
            by_model.setdefault(type(record).__name__, []).append(record)
        for name, group in by_model.items():
            model = models[name]
            with model.batch_write() as batch:
                for record in group:
                    batch.save(self._bulk_item(record, model))

    @staticmethod
    def _bulk_item(record, model):
        if isinstance(record, Event):
            return event_item(record)
        item = item_of(record, model)
        if isinstance(record, Change):
            item.at_key = f"{record.at}#{record.key}"
            item.updated_at = record.updated_at or record.at
            if record.service:
                item.service_key = f"{record.account_id}#{record.service}"
        if isinstance(record, AlertDay):
            item.start_minutes = set(record.start_minutes) if record.start_minutes else None
            item.service_day = f"{record.day_key}#{record.service}" if record.service else None
            item.figures = pack({name: getattr(record, name) or 0 for name in DAY_COUNTERS})
        return item


def _day(item) -> AlertDay:
    """The record of an alert-day item: its counters unpacked, its service from its index key."""
    return AlertDay(day_key=item.day_key, key=item.key, name=item.name, severity=item.severity,
                    service=item.service_day.split("#", 2)[2] if item.service_day else None,
                    start_minutes={int(m) for m in item.start_minutes or ()} or None, expires_at=item.expires_at,
                    **unpack(item.figures))
