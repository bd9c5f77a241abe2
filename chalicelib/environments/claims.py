"""A runner's claim: `POST /runners/{id}/claim` with its own token.

The claim is a long poll: the API looks for a run waiting in the runner's
pool (one Query of the sparse `work` index, oldest first) once a second for
up to `wait` seconds (at most RUNNER_POLL_SECONDS, 20) and answers as soon as
it has one, so an idle runner makes 3 requests a minute and a new run starts
within about a second. Taking a run is a conditional write (still queued,
still in this pool): of two runners racing for one run exactly one gets it.
A claim counts as the runner's heartbeat. A runner sees only its own
account's pool, and only runs whose rule its team may serve."""
import time
from datetime import datetime, timedelta

from chalicelib import settings
from chalicelib.agents import work as agent_work
from chalicelib.environments.placement import queue_limit_text
from chalicelib.errors import Invalid
from chalicelib.identity import runners
from chalicelib.runs import lifecycle, records
from chalicelib.runs.lifecycle import Guard
from chalicelib.store import repos
from chalicelib.store.records import Runner
from chalicelib.store.runs import pool_key

PAGE = 25


def claim_once(runner: Runner, now: datetime, own_agent: bool = False) -> dict | None:
    """Take the oldest waiting run this runner may work; its work, or None.
    The run's agent profile is resolved as it starts (a profile whose key
    secret is not set fails the run, and the next is looked at); `own_agent`:
    the runner works with its own model and key, so the account's is not sent."""
    key = pool_key(runner.account_id, runner.pool)
    for run in repos.runs.in_pool(runner.account_id, runner.pool, PAGE):
        if int(runner.team_id) not in (run.runner_teams or [0]):
            continue  # a run of a team this runner does not serve
        rule = lifecycle.rule_of(run)
        reason = lifecycle.skip_reason(run, rule)
        if reason:
            lifecycle.finish(run, "skipped", reason, now, only_from=("queued",), rule=rule, guard=Guard(from_pool=key))
            continue
        try:
            profile = agent_work.for_run(rule, None if rule.agent_id else repos.accounts.get(run.account_id),
                                         own_agent)
        except agent_work.ProfileUnusable as exc:
            lifecycle.finish(run, "failed", str(exc), now, only_from=("queued",), rule=rule, guard=Guard(from_pool=key))
            continue
        environment = {"type": "runner", "pool": runner.pool, "runner_id": runner.id, "runner_name": runner.name}
        token = lifecycle.start(run, rule, environment, now, from_pool=key)
        if token:
            return lifecycle.work_for(run, rule, token, now, lifecycle.recent_runs(rule, now), agent=profile)
    return None


def claim(runner_id: str, headers, body: dict, clock, sleep=time.sleep) -> dict:
    """The long poll: {"run": work} as soon as there is one, else {"run": null} after `wait` seconds."""
    runner = runners.authenticate(runner_id, headers)
    own_agent = body.get("own_agent", False)
    if not isinstance(own_agent, bool):
        raise Invalid("own_agent must be true or false", field="own_agent")
    wait = body.get("wait", 0)
    if isinstance(wait, bool) or not isinstance(wait, int | float) or wait < 0:
        raise Invalid("wait must be a number of seconds >= 0", field="wait")
    poll = settings.current().runner_poll_seconds
    wait = min(float(wait), poll)
    runners.touch(runner, clock())
    deadline = time.monotonic() + wait
    while True:
        work = claim_once(runner, clock(), own_agent)
        if work or time.monotonic() + 1 > deadline:
            return {"run": work, "poll_seconds": poll}
        sleep(1)


def expire_waiting(now: datetime) -> list[str]:
    """Minute tick: runs that waited for a runner past RUNNER_QUEUE_SECONDS end
    failed with a reason that says so (read from the `waiting` index)."""
    cutoff = now - timedelta(seconds=settings.current().runner_queue_seconds)
    ended = []
    for run in records.waiting_runs(cutoff):
        if run.status != "queued" or not run.pool:
            continue  # waiting for the queue's worker (the sweeper's business), not for a runner
        healthy = sum(1 for r in repos.runners.of_account(run.account_id)
                      if r.pool == run.pool and runners.is_healthy(r, now))
        reason = (f"No runner of pool {run.pool!r} took this run within {queue_limit_text()} "
                  f"({healthy} of its runners healthy now); start a runner of the pool or pick another environment.")
        if lifecycle.finish(run, "failed", reason, now, only_from=("queued",), guard=Guard(pool=run.pool)):
            ended.append(run.id)
    return ended
