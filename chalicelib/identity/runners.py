"""Self-hosted runners and the runner-scope rule for environments."""
from datetime import timedelta

from chalicelib import settings
from chalicelib.clock import iso, parse_iso
from chalicelib.errors import Invalid, NotFound, Unauthorized
from chalicelib.identity import tokens
from chalicelib.identity.directory import get_team, parse_team_id
from chalicelib.store import repos
from chalicelib.store.records import Runner
from chalicelib.validation import name as checked_name
from chalicelib.validation import whole_number


def runner_json(runner: Runner) -> dict:
    return {"id": runner.id, "name": runner.name, "team_id": int(runner.team_id), "pool": runner.pool,
            "min_healthy": int(runner.min_healthy), "last_heartbeat": runner.last_heartbeat}


def create_runner(caller, body: dict, now) -> tuple[Runner, str]:
    """POST /runners: an account-global (team_id 0) or team runner, and its
    heartbeat token (shown once)."""
    name = checked_name(body.get("name"))
    team_id = parse_team_id(body.get("team_id", 0))
    if team_id:
        get_team(caller.account_id, team_id)
    pool = body.get("pool", "default")
    if not isinstance(pool, str) or not 0 < len(pool) <= 64:
        raise Invalid("pool must be a string of 1-64 characters naming the runner's set", field="pool")
    min_healthy = whole_number(body.get("min_healthy", 1))
    if min_healthy is None or not 0 <= min_healthy <= 1000:
        raise Invalid("min_healthy must be an integer 0-1000", field="min_healthy")
    runner_id = f"rnr_{tokens.new_id()}"
    token = tokens.new_runner_token(runner_id)
    runner = Runner(caller.account_id, runner_id, name=name, team_id=team_id, pool=pool,
                    min_healthy=min_healthy, token_hash=tokens.hash_token(token), created_at=iso(now))
    # The marker first: a runner never exists while its account says it has none.
    repos.accounts.mark_has_runners(caller.account_id)
    repos.runners.add(runner)
    return runner, token


def may_have_runners(account) -> bool:
    """Whether the account may have runners (so Auto must read them): no only
    when it keeps the marker and never registered one."""
    return account is None or not account.markers or bool(account.has_runners)


def authenticate(runner_id: str, headers) -> Runner:
    """The runner whose own token the request carries, or 401 (one answer for
    a wrong token, another runner's token and an unknown runner)."""
    return tokens.bearer_item(headers, tokens.RUNNER_TOKEN_PREFIX,
                              lambda: repos.runners.by_id(runner_id),
                              lambda found: found.token_hash,
                              Unauthorized("Missing or wrong runner token, or unknown runner."))


def heartbeat(runner_id: str, headers, body: dict, now) -> Runner:
    """POST /runners/{id}/heartbeat with the runner's own token; `{"state":
    "offline"}` says it is stopping, so Auto stops picking it at once."""
    runner = authenticate(runner_id, headers)
    state = body.get("state", "online")
    if state not in ("online", "offline"):
        raise Invalid(f"state must be online or offline; got {state!r}", field="state")
    repos.runners.set_heartbeat(runner, iso(now) if state == "online" else None)
    return runner


def touch(runner: Runner, now) -> None:
    """A claim counts as a heartbeat: written when the last one is 15 s old or more."""
    if not runner.last_heartbeat or (now - parse_iso(runner.last_heartbeat)).total_seconds() >= 15:
        repos.runners.set_heartbeat(runner, iso(now))


def is_healthy(runner: Runner, now) -> bool:
    """Heard from within RUNNER_HEALTH_SECONDS."""
    cutoff = now - timedelta(seconds=settings.current().runner_health_seconds)
    return bool(runner.last_heartbeat) and parse_iso(runner.last_heartbeat) >= cutoff


def rotate_token(caller, runner_id: str, now) -> tuple[Runner, str]:
    """POST /runners/{id}/token/rotate (owner, admin): a new token; the old one stops at once."""
    runner = find_runner(caller.account_id, runner_id)
    if runner is None:
        raise NotFound(f"No runner {runner_id!r} in this account.")
    token = tokens.new_runner_token(runner.id)
    repos.runners.set_token_hash(runner, tokens.hash_token(token))
    return runner, token


def visible_runners(caller) -> list[Runner]:
    """Runners the caller can pick: all for admins; global and own teams' otherwise."""
    runners = repos.runners.of_account(caller.account_id)
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
    return repos.runners.get(account_id, runner_id)
