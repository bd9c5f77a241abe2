"""The schedule repository: the schedule index (written with their rules by
the rules repository; read here one partition page at a time by the tick's
fan-out) and the scheduler's own records: per account with scheduled rules,
the local-time index keys in use; the last completed tick and the last
catch-up."""
from chalicelib.store.dynamo import conditional, get, item_of, record_of
from chalicelib.store.records import ScheduleEntry, Tick

ACCOUNTS, TICKS = "accounts", "ticks"


class DynamoSchedule:
    """The `schedule-index` and `scheduler` tables."""

    @staticmethod
    def _models():
        from chalicelib.store import models
        return models

    def entries(self, slot: str, limit: int, cursor: dict | None = None) -> tuple[list[ScheduleEntry], dict | None]:
        """One page of a (key, shard) partition, and where the next page starts
        (a key to hand back as `cursor`; None after the last page)."""
        page = self._models().ScheduleEntry.query(slot, limit=limit, last_evaluated_key=cursor)
        found = [record_of(item, ScheduleEntry) for item in page]
        return found, page.last_evaluated_key

    def every_entry(self) -> list[ScheduleEntry]:
        """The whole index (maintenance and benchmarks: a Scan, never for a tick)."""
        return [record_of(item, ScheduleEntry) for item in self._models().ScheduleEntry.scan()]

    def replace_entries(self, remove: list[ScheduleEntry], add: list[ScheduleEntry]) -> None:
        """Batch-delete and batch-write entries (a rebuild of the index, bulk loads)."""
        model = self._models().ScheduleEntry
        with model.batch_write() as batch:
            for entry in remove:
                batch.delete(model(entry.slot, entry.automation_id))
            for entry in add:
                batch.save(item_of(entry, model))

    def register(self, account_id: str, keys: set[str]) -> None:
        """Note that the account has scheduled rules, and which local-time keys
        they use (idempotent: a set ADD)."""
        model = self._models().SchedulerState
        actions = [model.data.set(model.data | {"scheduled": True})]
        if keys:
            actions.append(model.keys.add(set(keys)))
        model(ACCOUNTS, account_id).update(actions=actions)

    def registry(self) -> list[tuple[str, set[str]]]:
        """(account id, local-time keys in use) of every account with scheduled rules (one Query)."""
        return [(item.name, set(item.keys or ())) for item in self._models().SchedulerState.query(ACCOUNTS)]

    def tick(self, name: str) -> Tick | None:
        """A scheduler record: "last" (the last completed tick) or "last_catch_up"."""
        item = get(self._models().SchedulerState, TICKS, name)
        return Tick(name=item.name, slot=item.slot, data=item.data) if item else None

    def ticks(self) -> dict[str, Tick]:
        """Every scheduler record by name (one Query)."""
        return {item.name: Tick(name=item.name, slot=item.slot, data=item.data)
                for item in self._models().SchedulerState.query(TICKS)}

    def record_tick(self, tick: Tick, only_if_newer: bool = True) -> None:
        """Write a scheduler record; with `only_if_newer`, never over a newer one
        (ConditionFailed when the stored one is as new or newer)."""
        model = self._models().SchedulerState
        item = model(TICKS, tick.name, slot=tick.slot, data=tick.data)
        with conditional():
            item.save(condition=(model.slot.does_not_exist() | (model.slot < tick.slot)) if only_if_newer else None)
