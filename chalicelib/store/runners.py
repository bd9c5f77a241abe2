"""The runners repository: self-hosted runners of each account."""
from chalicelib.store.dynamo import get, item_of, possible_key, put, record_of, update
from chalicelib.store.records import Runner


class DynamoRunners:
    """The `runners` table."""

    @staticmethod
    def _model():
        from chalicelib.store.models import Runner as RunnerItem
        return RunnerItem

    def add(self, runner: Runner) -> None:
        put(item_of(runner, self._model()))

    def get(self, account_id: str, runner_id: str) -> Runner | None:
        return record_of(get(self._model(), account_id, runner_id), Runner)

    def by_id(self, runner_id: str) -> Runner | None:
        """A runner by its id alone (its token names only that)."""
        if not possible_key(runner_id):
            return None
        return record_of(next(iter(self._model().by_id.query(runner_id, limit=1)), None), Runner)

    def of_account(self, account_id: str) -> list[Runner]:
        return [record_of(item, Runner) for item in self._model().query(account_id)]

    def every(self) -> list[Runner]:
        """Every runner of every account (runners are few: one small table, once a minute)."""
        return [record_of(item, Runner) for item in self._model().scan()]

    def set_heartbeat(self, runner: Runner, at: str | None) -> None:
        """When it was last heard from (None: it said it is going offline)."""
        update(self._model()(runner.account_id, runner.id), {"last_heartbeat": at})
        runner.last_heartbeat = at

    def set_token_hash(self, runner: Runner, token_hash: str) -> None:
        update(self._model()(runner.account_id, runner.id), {"token_hash": token_hash})
        runner.token_hash = token_hash

    def delete(self, runner: Runner) -> None:
        self._model()(runner.account_id, runner.id).delete()
