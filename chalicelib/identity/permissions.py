"""The permission model of DESIGN.md, as pure functions of caller and rule.

- visible: owner and admins see every rule; a member sees personal rules
  (team_id 0) and the rules of teams they belong to;
- can_edit: owner and admins, any rule; a member, rules of their teams and the
  personal rules they created;
- run history only where can_edit;
- a real run through the trigger URL only while the token's issuer is the
  rule's owner or an account owner/admin.
"""
from chalicelib.errors import Forbidden, NotFound

HISTORY_READ_ONLY = "Run history is not available for read-only automations."
READ_ONLY = "Read-only: you can view this automation but cannot edit it."
RUN_READ_ONLY = "Read-only: you can view this automation but cannot start its runs."
CANCEL_READ_ONLY = "Read-only: you can view this automation but cannot cancel its runs."


def can_view(caller, rule) -> bool:
    """Whether the caller may see the rule at all (else it is a 404)."""
    if caller.account_id != rule.account_id:
        return False
    if caller.is_admin or int(rule.team_id) == 0:
        return True
    return int(rule.team_id) in caller.team_ids


def can_edit(caller, rule) -> bool:
    """Whether the caller may edit, enable/disable, delete, rotate or run it."""
    if caller.account_id != rule.account_id:
        return False
    if caller.is_admin:
        return True
    if int(rule.team_id) == 0:
        return rule.owner_id == caller.user_id
    return int(rule.team_id) in caller.team_ids


def visible(caller, thing, missing: str):
    """A scoped thing (an automation's scope: agent profile, MCP server,
    document) when the caller may see it; NotFound(missing) otherwise: a
    missing one and another team's are one answer."""
    if thing is None or not can_view(caller, thing):
        raise NotFound(missing)
    return thing


def visible_by_name(caller, things) -> list:
    """The things the caller may see, by name."""
    return sorted((t for t in things if can_view(caller, t)), key=lambda t: (t.name.lower(), t.id))


def require_edit(caller, rule) -> None:
    """403 unless the caller can edit the rule."""
    if not can_edit(caller, rule):
        raise Forbidden(READ_ONLY)


def require_history(caller, rule, refusal: str = HISTORY_READ_ONLY) -> None:
    """403 unless the caller may read the rule's run history (or, with its own
    `refusal`, start or cancel its runs: the same right)."""
    if not can_edit(caller, rule):
        raise Forbidden(refusal)


def issuer_may_trigger(issuer_id: str, issuer_role: str, owner_id: str) -> bool:
    """The trigger URL's rule: the token's issuer is the owner or an admin."""
    return issuer_id == owner_id or issuer_role in ("owner", "admin")


def require_admin(caller) -> None:
    """403 unless the caller is the account owner or an admin."""
    if not caller.is_admin:
        raise Forbidden("Only the account owner and admins can do this.")
