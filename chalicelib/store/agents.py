"""The agent profiles repository: each account's few profiles (the model
backend, endpoint, model, key secret name and limits a run uses), by id. The
account's default profile is a pointer on the account (accounts repository)."""
from chalicelib.store.dynamo import get, item_of, put, record_of, update
from chalicelib.store.expect import ABSENT
from chalicelib.store.memory_paging import MemoryAccountItems
from chalicelib.store.records import AgentProfile


class DynamoAgents:
    """The `agents` table."""

    @staticmethod
    def _model():
        from chalicelib.store import models
        return models.AgentProfile

    def add(self, profile: AgentProfile) -> None:
        """A new profile; ConditionFailed when its id exists in the account."""
        put(item_of(profile, self._model()), {"id": ABSENT})

    def get(self, account_id: str, agent_id: str) -> AgentProfile | None:
        return record_of(get(self._model(), account_id, agent_id), AgentProfile)

    def of_account(self, account_id: str) -> list[AgentProfile]:
        """The account's profiles (a few per account), by id."""
        return [record_of(item, AgentProfile) for item in self._model().query(account_id)]

    def change(self, profile: AgentProfile, changes: dict) -> None:
        """Set fields (None removes one) of a profile that exists; ConditionFailed when it is gone."""
        update(self._model()(profile.account_id, profile.id), changes, {"id": profile.id})
        for name, value in changes.items():
            setattr(profile, name, value)

    def delete(self, profile: AgentProfile) -> None:
        self._model()(profile.account_id, profile.id).delete()


class MemoryAgents(MemoryAccountItems):
    """The in-memory twin of DynamoAgents (tests/test_store.py holds both to the same behaviour)."""
    what = "agent profile"
