"""Transactions on the local stack's DynamoDB (moto with devstack/atomic.py):
all or nothing, as on AWS, with the undo done per item instead of by copying
whole tables."""
import pytest
from pynamodb.exceptions import TransactWriteError

from chalicelib.store import ConditionFailed
from chalicelib.store.dynamo import transaction
from chalicelib.store.models import Account, Team

CREATED = "2026-11-23T10:00:00Z"


def _account(account_id: str, teams: int = 0) -> Account:
    account = Account(account_id, name=account_id, created_at=CREATED, next_team_id=teams)
    account.save()
    return account


def test_a_cancelled_transaction_leaves_every_item_as_it_was(aws):
    account, other = _account("acc-1", teams=1), _account("acc-2")
    Team("acc-1", 1, name="platform", created_at=CREATED).save()
    unrelated = [Team("acc-2", n, name=f"team {n}", created_at=CREATED) for n in range(1, 30)]
    for team in unrelated:
        team.save()

    with pytest.raises(ConditionFailed) as failed:  # the store's name for a cancelled transaction
        with transaction() as tx:
            tx.save(Team("acc-1", 2, name="new team", created_at=CREATED))  # a new item
            tx.update(account, actions=[Account.next_team_id.add(1)])  # an existing one
            tx.delete(Team("acc-1", 1))  # a deleted one
            tx.condition_check(Account, "acc-2", condition=Account.next_team_id == 5)  # fails: it is 0
    assert isinstance(failed.value.__cause__, TransactWriteError)

    assert [t.team_id for t in Team.query("acc-1")] == [1]  # not added, not deleted
    assert Team.get("acc-1", 1).name == "platform"
    assert Account.get("acc-1").next_team_id == 1  # the update was undone
    assert Account.get("acc-2").next_team_id == other.next_team_id
    assert sorted(t.team_id for t in Team.query("acc-2")) == list(range(1, 30))  # nothing else touched


def test_a_transaction_that_passes_lands_whole(aws):
    account = _account("acc-1", teams=1)
    Team("acc-1", 1, name="platform", created_at=CREATED).save()

    with transaction() as tx:
        tx.save(Team("acc-1", 2, name="new team", created_at=CREATED))
        tx.update(account, actions=[Account.next_team_id.add(1)])
        tx.delete(Team("acc-1", 1))

    assert [t.team_id for t in Team.query("acc-1")] == [2]
    assert Account.get("acc-1").next_team_id == 2


def test_an_item_named_twice_is_refused_and_nothing_lands(aws):
    account = _account("acc-1", teams=1)

    with pytest.raises(TransactWriteError):
        with transaction() as tx:
            tx.save(Team("acc-1", 2, name="new team", created_at=CREATED))
            tx.update(account, actions=[Account.next_team_id.add(1)])
            tx.update(account, actions=[Account.name.set("renamed")])  # the same item again

    assert list(Team.query("acc-1")) == []
    assert Account.get("acc-1").next_team_id == 1 and Account.get("acc-1").name == "acc-1"
