"""Deleting a team or a runner (owner and admins), refused while something
still depends on it, each refusal saying what and how to fix it.

- A team: refused (409) while live automations belong to it or runners serve
  it. Its memberships go with it. Automations already deleted keep their
  `team_id` (their history stays readable, by the owner and admins, until its
  retention ends); team ids are never reused, so no new team inherits them.
- A runner: refused (409) while an automation's environment names it. Its
  token stops working at once (its heartbeats get 401).
"""
from chalicelib.errors import Conflict, NotFound
from chalicelib.identity.directory import get_team
from chalicelib.store.models import Automation, Membership, Runner

NAMED = 3  # how many names a refusal lists


def _live_rules(account_id: str, narrowed, condition):
    """The account's automations (not deleted) that satisfy `condition`; DynamoDB
    returns only those that pass `narrowed` (a filter at least as wide), so a
    large account's other rules are read but not sent."""
    found = Automation.by_account.query(account_id, filter_condition=Automation.deleted_at.does_not_exist() & narrowed)
    return [rule for rule in found if condition(rule)]


def _names(items) -> str:
    names = ", ".join(repr(item.name) for item in items[:NAMED])
    return names + (f" and {len(items) - NAMED} more" if len(items) > NAMED else "")


def delete_team(caller, team_id) -> int:
    """DELETE /teams/{team_id}: the team and its memberships; returns how many memberships went."""
    team = get_team(caller.account_id, team_id)
    tid = int(team.team_id)
    rules = _live_rules(caller.account_id, Automation.team_id == tid, lambda rule: int(rule.team_id) == tid)
    if rules:
        raise Conflict(f"Team {tid} still has {len(rules)} automation(s) ({_names(rules)}); move them to another "
                       "team or delete them first.")
    runners = [r for r in Runner.query(caller.account_id) if int(r.team_id) == tid]
    if runners:
        raise Conflict(f"Team {tid} still has {len(runners)} runner(s) ({_names(runners)}); delete them first "
                       "(DELETE /runners/{id}) or keep the team.")
    team.delete()
    members = list(Membership.by_team.query(caller.account_id, Membership.team_id == tid))
    for membership in members:
        Membership(membership.user_id, tid).delete()
    return len(members)


def delete_runner(caller, runner_id: str) -> None:
    """DELETE /runners/{runner_id}."""
    try:
        runner = Runner.get(caller.account_id, runner_id)
    except Runner.DoesNotExist:
        raise NotFound(f"No runner {runner_id!r} in this account.")
    rules = _live_rules(caller.account_id, Automation.environment.contains(runner.id),  # the JSON text names it
                        lambda rule: (rule.environment or {}).get("runner_id") == runner.id)
    if rules:
        raise Conflict(f"Runner {runner.id} is the environment of {len(rules)} automation(s) ({_names(rules)}); "
                       "give them another environment first.")
    runner.delete()
