"""Unit tests of the permission model (DESIGN.md, 'Scope and permissions')."""
from types import SimpleNamespace

import pytest

from chalicelib.errors import Forbidden
from chalicelib.http.errors import answer
from chalicelib.identity import permissions
from chalicelib.identity.caller import Caller

ACCOUNT = "acc-1"
OTHER_ACCOUNT = "acc-2"
TEAM = 7
OTHER_TEAM = 8


def _caller(who: str, account: str = ACCOUNT) -> Caller:
    role, teams = {
        "owner": ("owner", frozenset()),
        "admin": ("admin", frozenset()),
        "member": ("member", frozenset({TEAM})),
        "outsider": ("member", frozenset({OTHER_TEAM})),
    }[who]
    return Caller(user_id=f"u-{who}", account_id=account, role=role, email=f"{who}@example.com", _team_ids=teams)


def _rule(kind: str, caller: Caller, account: str = ACCOUNT):
    if kind == "own personal":
        return SimpleNamespace(account_id=account, team_id=0, owner_id=caller.user_id)
    if kind == "other's personal":
        return SimpleNamespace(account_id=account, team_id=0, owner_id="u-someone")
    if kind == "team":
        return SimpleNamespace(account_id=account, team_id=TEAM, owner_id="u-someone")
    raise AssertionError(kind)


# (caller, rule kind) -> (can_view, can_edit)
MATRIX = {
    ("owner", "own personal"): (True, True),
    ("owner", "other's personal"): (True, True),
    ("owner", "team"): (True, True),
    ("admin", "own personal"): (True, True),
    ("admin", "other's personal"): (True, True),
    ("admin", "team"): (True, True),
    ("member", "own personal"): (True, True),
    ("member", "other's personal"): (True, False),
    ("member", "team"): (True, True),
    ("outsider", "own personal"): (True, True),
    ("outsider", "other's personal"): (True, False),
    ("outsider", "team"): (False, False),
}


@pytest.mark.parametrize(("who", "kind"), list(MATRIX))
def test_permission_matrix(who, kind):
    caller = _caller(who)
    rule = _rule(kind, caller)
    view, edit = MATRIX[(who, kind)]
    assert permissions.can_view(caller, rule) is view
    assert permissions.can_edit(caller, rule) is edit


@pytest.mark.parametrize(("who", "kind"), list(MATRIX))
def test_require_edit_and_history_follow_can_edit(who, kind):
    caller = _caller(who)
    rule = _rule(kind, caller)
    if MATRIX[(who, kind)][1]:
        permissions.require_edit(caller, rule)
        permissions.require_history(caller, rule)
    else:
        with pytest.raises(Forbidden) as exc:
            permissions.require_edit(caller, rule)
        assert str(exc.value) == "Read-only: you can view this automation but cannot edit it."
        with pytest.raises(Forbidden) as exc:
            permissions.require_history(caller, rule)
        assert str(exc.value) == "Run history is not available for read-only automations."


def test_edit_implies_view():
    for (who, kind), (view, edit) in MATRIX.items():
        assert view or not edit, (who, kind)


@pytest.mark.parametrize("who", ["owner", "admin", "member", "outsider"])
@pytest.mark.parametrize("kind", ["own personal", "other's personal", "team"])
def test_other_account_is_never_visible_nor_editable(who, kind):
    caller = _caller(who)
    rule = _rule(kind, caller, account=OTHER_ACCOUNT)
    assert not permissions.can_view(caller, rule)
    assert not permissions.can_edit(caller, rule)
    with pytest.raises(Forbidden):
        permissions.require_history(caller, rule)
    with pytest.raises(Forbidden):
        permissions.require_edit(caller, rule)


def test_other_account_even_with_same_user_id_and_team_number():
    # Team ids and user ids of another account must not leak across the boundary.
    caller = _caller("member")
    rule = SimpleNamespace(account_id=OTHER_ACCOUNT, team_id=TEAM, owner_id=caller.user_id)
    assert not permissions.can_view(caller, rule)
    assert not permissions.can_edit(caller, rule)


def test_history_forbidden_message_is_exact():
    caller = _caller("member")
    rule = _rule("other's personal", caller)
    with pytest.raises(Forbidden) as exc:
        permissions.require_history(caller, rule)
    assert str(exc.value) == "Run history is not available for read-only automations."
    assert answer(exc.value).status_code == 403  # as the edge answers it


def test_team_id_stored_as_number_types():
    # DynamoDB numbers may come back as float or Decimal-like values.
    caller = _caller("member")
    for team_id in (7, 7.0, "7"):
        rule = SimpleNamespace(account_id=ACCOUNT, team_id=team_id, owner_id="u-someone")
        assert permissions.can_view(caller, rule)
        assert permissions.can_edit(caller, rule)
    for team_id in (0, 0.0, "0"):
        rule = SimpleNamespace(account_id=ACCOUNT, team_id=team_id, owner_id="u-someone")
        assert permissions.can_view(caller, rule)
        assert not permissions.can_edit(caller, rule)


def test_member_of_several_teams():
    caller = Caller(user_id="u-multi", account_id=ACCOUNT, role="member", email="m@example.com",
                    _team_ids=frozenset({TEAM, OTHER_TEAM}))
    for team_id in (TEAM, OTHER_TEAM):
        rule = SimpleNamespace(account_id=ACCOUNT, team_id=team_id, owner_id="u-someone")
        assert permissions.can_edit(caller, rule)
    rule = SimpleNamespace(account_id=ACCOUNT, team_id=9, owner_id="u-multi")
    # Owning a rule of a team you have left does not keep it visible or editable.
    assert not permissions.can_view(caller, rule)
    assert not permissions.can_edit(caller, rule)


def test_member_of_no_team_sees_only_personal_rules():
    caller = Caller(user_id="u-lone", account_id=ACCOUNT, role="member", email="l@example.com",
                    _team_ids=frozenset())
    assert permissions.can_view(caller, SimpleNamespace(account_id=ACCOUNT, team_id=0, owner_id="u-x"))
    assert not permissions.can_view(caller, SimpleNamespace(account_id=ACCOUNT, team_id=TEAM, owner_id="u-x"))


def test_require_admin():
    permissions.require_admin(_caller("owner"))
    permissions.require_admin(_caller("admin"))
    for who in ("member", "outsider"):
        with pytest.raises(Forbidden) as exc:
            permissions.require_admin(_caller(who))
        assert str(exc.value) == "Only the account owner and admins can do this."


@pytest.mark.parametrize(("issuer_id", "role", "owner_id", "allowed"), [
    ("u-1", "member", "u-1", True),    # the owner issued the token
    ("u-1", "owner", "u-1", True),
    ("u-2", "owner", "u-1", True),     # account owner
    ("u-2", "admin", "u-1", True),     # account admin
    ("u-2", "member", "u-1", False),   # a member who is not (or no longer) the rule's owner
    ("u-2", "", "u-1", False),
    ("u-2", "Admin", "u-1", False),    # roles are exact
])
def test_issuer_may_trigger(issuer_id, role, owner_id, allowed):
    assert permissions.issuer_may_trigger(issuer_id, role, owner_id) is allowed
