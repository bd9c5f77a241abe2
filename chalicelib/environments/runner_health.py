"""The runners' SLA (minute tick): a runner is healthy while its last heartbeat
is within RUNNER_HEALTH_SECONDS; when fewer than `min_healthy` runners of a
pool are healthy, `runner.unhealthy` is emitted (at most once an hour per pool
while the pool stays short)."""
from collections import defaultdict

from chalicelib.clock import iso, iso_ms
from chalicelib.identity.runners import is_healthy
from chalicelib.runs import fire
from chalicelib.store import repos


def check(now) -> list[dict]:
    """Emit runner.unhealthy for every short pool; returns the events emitted."""
    pools = defaultdict(list)
    for runner in repos.runners.every():  # runners are few: one small table, once a minute
        pools[(runner.account_id, runner.pool)].append(runner)
    emitted = []
    for (account_id, pool), runners in sorted(pools.items()):
        healthy = [r for r in runners if is_healthy(r, now)]
        needed = max(int(r.min_healthy) for r in runners)
        if len(healthy) >= needed:
            continue
        hour = now.replace(minute=0, second=0, microsecond=0)
        event = {"id": f"runner-pool.{pool}.unhealthy.{iso(hour)}", "event": "runner.unhealthy",
                 "occurred": iso_ms(now), "received": iso_ms(now),
                 "resource": {"id": f"runner-pool:{pool}", "kind": "runner-pool", "pool": pool},
                 "related": [{"id": r.id, "kind": "runner", "name": r.name} for r in runners if r not in healthy],
                 "payload": {"healthy": len(healthy), "min_healthy": needed, "runners": len(runners),
                             "reason": f"{len(healthy)} of {len(runners)} runner(s) of pool {pool} healthy; "
                                       f"at least {needed} needed"}}
        if fire.record(account_id, event, now)[0]:
            emitted.append(event)
    return emitted
