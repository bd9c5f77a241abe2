"""The agent profiles repository: each account's few profiles (the model
backend, endpoint, model, key secret name and limits a run uses), by id. The
account's default profile is a pointer on the account (accounts repository)."""
from chalicelib.store import ConditionFailed
from chalicelib.store.dynamo import get, item_of, put, record_of, update
from chalicelib.store.expect import ABSENT
from chalicelib.store.memory_paging import _copy
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


class MemoryAgents:
    """The in-memory twin of DynamoAgents (tests/test_store.py holds both to the same behaviour)."""

    def __init__(self):
        self.items: dict[tuple, AgentProfile] = {}

    def add(self, profile):
        if (profile.account_id, profile.id) in self.items:
            raise ConditionFailed(f"agent profile {profile.id} exists")
        self.items[(profile.account_id, profile.id)] = _copy(profile)

    def get(self, account_id, agent_id):
        return _copy(self.items.get((account_id, agent_id)))

    def of_account(self, account_id):
        return [_copy(p) for (a, _), p in sorted(self.items.items()) if a == account_id]

    def change(self, profile, changes):
        stored = self.items.get((profile.account_id, profile.id))
        if stored is None:
            raise ConditionFailed(f"agent profile {profile.id} is gone")
        for name, value in changes.items():
            setattr(stored, name, _copy(value))
            setattr(profile, name, _copy(value))

    def delete(self, profile):
        self.items.pop((profile.account_id, profile.id), None)
