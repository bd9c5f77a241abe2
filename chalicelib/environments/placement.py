"""Placing a run: the cloud sandbox, or a pool of self-hosted runners.

- `cloud_sandbox`: the sandbox function.
- `runner` (a runner id): that runner's pool; any runner of the pool that fits
  the rule's scope (account-global, or of the rule's team) may claim it, since
  the runners of a pool are interchangeable (a runner that should take a rule
  alone gets a pool of its own).
- `auto`: a healthy runner of the rule's scope if one is online (the rule's
  team's runners before account-global ones), else the cloud sandbox. Only
  runners of the chosen kind (that team, or global) may then claim it.

A run placed on a pool waits in `queued` with a reason that says so (and
whether any runner of the pool is healthy), marked with `pool` so that the
sweeper of lost queue messages leaves it alone, in the sparse `work` index a
runner's claim reads."""
from dataclasses import dataclass
from datetime import datetime

from chalicelib import settings
from chalicelib.clock import iso_ms
from chalicelib.identity.runners import is_healthy, may_have_runners
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import Rule, Run


@dataclass
class Placement:
    """Where a run goes: a pool (with the runner teams that may claim it), the sandbox (no pool), or an error."""
    pool: str | None = None
    runner_teams: list | None = None
    healthy: int = 0
    error: str | None = None


def place(rule: Rule, now: datetime, account=None) -> Placement:
    """Where this run of the rule executes (one Query of the account's runners
    unless Cloud Sandbox, or Auto in an `account` that never had a runner)."""
    env = rule.environment or {"type": "auto"}
    if env["type"] == "cloud_sandbox" or (env["type"] == "auto" and not may_have_runners(account)):
        return Placement()
    team = int(rule.team_id)
    runners = repos.runners.of_account(rule.account_id)
    if env["type"] == "runner":
        chosen = next((r for r in runners if r.id == env.get("runner_id")), None)
        if chosen is None:
            return Placement(error=f"The automation's runner {env.get('runner_id')!r} no longer exists; "
                                   "pick another environment.")
        teams = sorted({0, team})
        healthy = [r for r in runners if r.pool == chosen.pool and int(r.team_id) in teams and is_healthy(r, now)]
        return Placement(chosen.pool, teams, len(healthy))
    for kind in ([team, 0] if team else [0]):  # auto: the team's runners first, then account-global ones
        healthy = [r for r in runners if int(r.team_id) == kind and is_healthy(r, now)]
        if healthy:
            best = max(healthy, key=lambda r: r.last_heartbeat)
            return Placement(best.pool, [kind], sum(1 for r in healthy if r.pool == best.pool))
    return Placement()


def queue_limit_text() -> str:
    seconds = settings.current().runner_queue_seconds
    return f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"


def wait_for_runner(run: Run, where: Placement, now: datetime) -> bool:
    """Leave the run queued for a runner of the pool, with a reason a user can read."""
    reason = f"Waiting for a runner of pool {where.pool!r}"
    if not where.healthy:
        reason += (f": none is healthy now (no heartbeat in the last {settings.current().runner_health_seconds} s)"
                   f"; the run fails if none takes it within {queue_limit_text()}")
    if run.reason and not run.reason.startswith("Waiting for a runner"):  # why it came back: a retry, a lost runner
        reason = f"{run.reason.rstrip('.')}. {reason}"
    try:
        repos.runs.wait_for_pool(run, pool=where.pool, runner_teams=where.runner_teams, reason=reason,
                                 environment={"type": "runner", "pool": where.pool}, since=iso_ms(now))
    except ConditionFailed:
        return False
    return True
