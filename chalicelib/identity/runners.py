"""Self-hosted runners and the runner-scope rule for environments."""
from chalicelib.clock import iso
from chalicelib.errors import BadRequest
from chalicelib.identity import tokens
from chalicelib.identity.directory import get_team, parse_team_id
from chalicelib.store.models import Runner


def runner_json(runner: Runner) -> dict:
    return {"id": runner.id, "name": runner.name, "team_id": int(runner.team_id)}


def create_runner(caller, body: dict, now) -> Runner:
    """POST /runners: an account-global (team_id 0) or team runner."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise BadRequest("name must be a non-empty string of at most 255 characters")
    team_id = parse_team_id(body.get("team_id", 0))
    if team_id:
        get_team(caller.account_id, team_id)
    runner = Runner(caller.account_id, f"rnr_{tokens.new_id()}", name=name.strip(),
                    team_id=team_id, created_at=iso(now))
    runner.save()
    return runner


def visible_runners(caller) -> list[Runner]:
    """Runners the caller can pick: all for admins; global and own teams' otherwise."""
    runners = list(Runner.query(caller.account_id))
    if not caller.is_admin:
        runners = [r for r in runners if int(r.team_id) == 0 or int(r.team_id) in caller.team_ids]
    return sorted(runners, key=lambda r: (r.created_at, r.id))


def runner_fits(runner: Runner | None, team_id: int) -> bool:
    """Only account-global runners and runners of the rule's own team fit."""
    return runner is not None and int(runner.team_id) in (0, team_id)


def find_runner(account_id: str, runner_id) -> Runner | None:
    """The runner with this id in the account, or None."""
    if not isinstance(runner_id, str) or not runner_id:
        return None
    try:
        return Runner.get(account_id, runner_id)
    except Runner.DoesNotExist:
        return None
