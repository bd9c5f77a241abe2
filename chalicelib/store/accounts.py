"""The accounts repository: accounts, their users, API keys, teams and
memberships (who is who, and in which team)."""
from chalicelib.store.dynamo import get, item_of, put, record_of, transaction, update
from chalicelib.store.expect import ABSENT
from chalicelib.store.records import Account, ApiKey, Team, User


class DynamoAccounts:
    """The `accounts`, `users`, `api-keys`, `teams` and `memberships` tables."""

    @staticmethod
    def _models():
        from chalicelib.store import models
        return models

    # --- accounts ---------------------------------------------------------------------

    def create(self, account: Account) -> None:
        """A new account; ConditionFailed when its id exists (the first account is made once)."""
        put(item_of(account, self._models().Account), {"id": ABSENT})

    def get(self, account_id: str) -> Account | None:
        return record_of(get(self._models().Account, account_id), Account)

    def any_exists(self) -> bool:
        """Whether the stack has an account at all."""
        return any(True for _ in self._models().Account.scan(limit=1))

    def next_team_id(self, account_id: str) -> int:
        """Take the account's next team id (an atomic counter)."""
        m = self._models()
        item = m.Account(account_id)
        item.update(actions=[m.Account.next_team_id.add(1)])
        return int(item.next_team_id)

    def set_settings(self, account_id: str, business_hours: dict, timezone: str) -> None:
        """The account's business hours and time zone (the on-call analyses read them)."""
        update(self._models().Account(account_id), {"business_hours": business_hours, "timezone": timezone})

    def set_default_agent(self, account_id: str, agent_id: str | None, only_if: str | None = None) -> None:
        """Point the account's default agent profile at `agent_id` (None: no
        default). With `only_if`, only while the default is that profile
        (ConditionFailed otherwise): deleting a profile never clears another."""
        expect = {"default_agent_id": only_if} if only_if else {"id": account_id}
        update(self._models().Account(account_id), {"default_agent_id": agent_id}, expect)

    def mark_has_knowledge(self, account_id: str) -> None:
        """The account has (had) a knowledge document: its runs' work looks for knowledge from now on."""
        update(self._models().Account(account_id), {"has_knowledge": True})

    def mark_has_runners(self, account_id: str) -> None:
        """The account has (had) a runner: Auto placement reads its runners from now on."""
        update(self._models().Account(account_id), {"has_runners": True})

    # --- users ---------------------------------------------------------------------------

    def user(self, user_id: str) -> User | None:
        return record_of(get(self._models().User, user_id), User)

    def email_taken(self, email: str) -> bool:
        return any(True for _ in self._models().User.by_email.query(email, limit=1))

    def add_user(self, user: User) -> None:
        put(item_of(user, self._models().User))

    def users_with_role(self, role: str) -> list[User]:
        """Users of any account with a role (maintenance: a Scan; the local stack's owner)."""
        model = self._models().User
        return [record_of(item, User) for item in model.scan(model.role == role)]

    # --- API keys ---------------------------------------------------------------------------

    def key(self, key_id: str) -> ApiKey | None:
        return record_of(get(self._models().ApiKey, key_id), ApiKey)

    def add_key(self, key: ApiKey) -> None:
        """A new key; ConditionFailed when its id exists."""
        put(item_of(key, self._models().ApiKey), {"key_id": ABSENT})

    def replace_key(self, new: ApiKey, old_key_id: str) -> None:
        """The new key in, the old one (of the same user) out, in one transaction."""
        model = self._models().ApiKey
        with transaction() as tx:
            tx.save(item_of(new, model), condition=model.key_id.does_not_exist())
            tx.delete(model(old_key_id), condition=model.user_id == new.user_id)

    def delete_key(self, key_id: str) -> None:
        self._models().ApiKey(key_id).delete()

    def keys_of(self, user_id: str) -> list[ApiKey]:
        return [record_of(item, ApiKey) for item in self._models().ApiKey.by_user.query(user_id)]

    def delete_keys_of(self, user_id: str) -> int:
        """Delete every key of a user; returns how many."""
        model = self._models().ApiKey
        keys = list(model.by_user.query(user_id))
        with model.batch_write() as batch:
            for key in keys:
                batch.delete(key)
        return len(keys)

    # --- teams and memberships -------------------------------------------------------------

    def team(self, account_id: str, team_id: int) -> Team | None:
        return record_of(get(self._models().Team, account_id, team_id), Team)

    def add_team(self, team: Team) -> None:
        put(item_of(team, self._models().Team))

    def teams(self, account_id: str) -> list[Team]:
        return [record_of(item, Team) for item in self._models().Team.query(account_id)]

    def teams_by_id(self, account_id: str, team_ids: list[int]) -> list[Team]:
        return [record_of(item, Team) for item in
                self._models().Team.batch_get([(account_id, team_id) for team_id in team_ids])]

    def delete_team(self, account_id: str, team_id: int) -> int:
        """Delete a team and its memberships; returns how many memberships went."""
        m = self._models()
        m.Team(account_id, team_id).delete()
        members = list(m.Membership.by_team.query(account_id, m.Membership.team_id == team_id))
        for membership in members:
            m.Membership(membership.user_id, team_id).delete()
        return len(members)

    def is_member(self, user_id: str, team_id: int) -> bool:
        return get(self._models().Membership, user_id, team_id) is not None

    def add_member(self, account_id: str, user_id: str, team_id: int) -> None:
        """Idempotent."""
        self._models().Membership(user_id, team_id, account_id=account_id).save()

    def remove_member(self, user_id: str, team_id: int) -> None:
        """Idempotent."""
        self._models().Membership(user_id, team_id).delete()

    def team_ids_of(self, user_id: str) -> frozenset:
        """The ids of the teams a user belongs to."""
        return frozenset(int(m.team_id) for m in self._models().Membership.query(user_id))
