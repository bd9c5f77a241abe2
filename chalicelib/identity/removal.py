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
from chalicelib.store import repos

NAMED = 3  # how many names a refusal lists


def _names(items) -> str:
    names = ", ".join(repr(item.name) for item in items[:NAMED])
    return names + (f" and {len(items) - NAMED} more" if len(items) > NAMED else "")


def delete_team(caller, team_id) -> int:
    """DELETE /teams/{team_id}: the team and its memberships; returns how many memberships went."""
    team = get_team(caller.account_id, team_id)
    tid = int(team.team_id)
    rules = repos.rules.live(caller.account_id, team_id=tid)
    if rules:
        raise Conflict(f"Team {tid} still has {len(rules)} automation(s) ({_names(rules)}); move them to another "
                       "team or delete them first.")
    runners = [r for r in repos.runners.of_account(caller.account_id) if int(r.team_id) == tid]
    if runners:
        raise Conflict(f"Team {tid} still has {len(runners)} runner(s) ({_names(runners)}); delete them first "
                       "(DELETE /runners/{id}) or keep the team.")
    return repos.accounts.delete_team(caller.account_id, tid)


def delete_runner(caller, runner_id: str) -> None:
    """DELETE /runners/{runner_id}."""
    runner = repos.runners.get(caller.account_id, runner_id)
    if runner is None:
        raise NotFound(f"No runner {runner_id!r} in this account.")
    rules = repos.rules.live(caller.account_id, runner_id=runner.id)
    if rules:
        raise Conflict(f"Runner {runner.id} is the environment of {len(rules)} automation(s) ({_names(rules)}); "
                       "give them another environment first.")
    repos.runners.delete(runner)
