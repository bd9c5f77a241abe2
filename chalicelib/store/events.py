"""The events repository: events (each id kept once per account), the
event-trigger index that an event reads to find the triggers that could match
it, and the counting windows of those triggers (optimistic writes: a version
that changed underneath is a ConditionFailed)."""
from chalicelib.store.dynamo import conditional, decode_cursor, get, item_of, put, record_of, take
from chalicelib.store.expect import ABSENT
from chalicelib.store.records import Event, EventWindow, TriggerEntry


class DynamoEvents:
    """The `events`, `event-triggers` and `event-windows` tables."""

    @staticmethod
    def _models():
        from chalicelib.store import models
        return models

    def add_once(self, event: Event) -> None:
        """Keep an event; ConditionFailed when the account has an event of that id."""
        put(event_item(event), {"key": ABSENT})

    def page(self, account_id: str, since: str, until: str, limit: int, cursor: str | None,
             keep) -> tuple[list[Event], str | None]:
        """One page of the account's events that occurred in [since, until]
        (ISO, ms), newest first, those `keep(event)` holds for; and the next cursor."""
        model = self._models().Event
        results = model.by_account.query(
            account_id, model.occurred_key.between(since, until + "#\uffff"), scan_index_forward=False,
            page_size=limit, last_evaluated_key=decode_cursor(cursor, {"key", "account_id", "occurred_key"},
                                                              {"account_id": account_id}))
        page, next_cursor = take(results, lambda item: keep(_event(item)), limit, lambda item: {
            "key": item.key, "account_id": item.account_id, "occurred_key": item.occurred_key})
        return [_event(item) for item in page], next_cursor

    def triggers_in(self, bucket: str) -> list[TriggerEntry]:
        """The event-trigger index entries of one bucket ("<account>|<name segment or *>")."""
        return [record_of(item, TriggerEntry) for item in self._models().EventTriggerEntry.query(bucket)]

    def put_triggers(self, entries: list[TriggerEntry]) -> None:
        """File many entries as they are (bulk loads: benchmarks)."""
        model = self._models().EventTriggerEntry
        with model.batch_write() as batch:
            for entry in entries:
                batch.save(item_of(entry, model))

    def window(self, key: str) -> EventWindow | None:
        """A trigger's counting window (strongly consistent), or None."""
        return record_of(get(self._models().EventWindow, key, consistent=True), EventWindow)

    def save_window(self, window: EventWindow) -> None:
        """Write a window if nobody wrote it since it was read (its version);
        ConditionFailed otherwise. The window's version moves on."""
        item = item_of(window, self._models().EventWindow)  # its version is the one read (none for a new one)
        with conditional():
            item.save()
        window.version = item.version

    def expired_windows(self, now: str) -> list[EventWindow]:
        """Open proactive windows whose deadline has passed (the sparse index)."""
        model = self._models().EventWindow
        return [record_of(item, EventWindow) for item in model.by_deadline.query("1", model.deadline <= now)]


def event_item(event: Event):
    """The table item of an event (other repositories write events in their own transactions)."""
    from chalicelib.store.models import Event as EventItem
    return EventItem(f"{event.account_id}:{event.id}", account_id=event.account_id, body=event.body,
                     occurred_key=f"{event.body['occurred']}#{event.id}", expires_at=event.expires_at)


def _event(item) -> Event:
    return Event(account_id=item.account_id, id=item.key.split(":", 1)[1], body=item.body,
                 expires_at=item.expires_at)
