"""A week of operations data for the benchmarks: alert events over many
distinct alerts (with flapping, quick self-resolving and duplicate alerts),
incidents paged to a few responders, and deploys.

The arrivals go through the service's own ingestion code (chalicelib.ops.apply,
the same plans and aggregates as POST /hooks) on the in-memory repositories,
then the resulting items are filed into DynamoDB in batches: loading 100,000
alert events one transaction at a time would take the benchmark most of an hour
on moto, and the analysis reads the same items either way."""
import random
from datetime import timedelta

from chalicelib.clock import iso
from chalicelib.ops.arrivals import AlertArrival, ChangeArrival, IncidentArrival

SERVICES = [f"svc-{n:02d}" for n in range(25)]
RESPONDERS = ["Alice", "Bob", "Chen", "Dana", "Eve"]


def week(now, alerts: int = 500, events: int = 100_000, seed: int = 7) -> dict:
    """Arrivals over the 7 days before `now`: about `events` alert events
    (each firing is two: it fires, it resolves) over `alerts` distinct alerts,
    most of them from a noisy few; 40 incidents and 60 deploys."""
    rng = random.Random(seed)
    start = now - timedelta(days=7)
    names = [(f"alert-{n:04d}", SERVICES[n % len(SERVICES)], rng.choice(["critical", "warning", "info"]))
             for n in range(alerts)]
    firings = events // 2
    noisy = max(1, alerts // 20)  # a twentieth of the alerts make most of the noise, as in real rotations
    weights = [40 if n < noisy else 1 for n in range(alerts)]
    counts = [0] * alerts
    for n in rng.choices(range(alerts), weights=weights, k=firings):
        counts[n] += 1
    arrivals = []
    for n, count in enumerate(counts):
        name, service, severity = names[n]
        at = start + timedelta(seconds=rng.randrange(3600))
        gap = (7 * 86400 - 3600) / max(count, 1)
        for _ in range(count):
            length = rng.choice([60, 120, 240, 900, 3600]) if n < noisy else rng.randrange(120, 7200)
            length = min(length, int(gap * 0.8) or 1)
            begin, end = at, at + timedelta(seconds=length)
            common = dict(source="bench", fingerprint=f"{n:016x}", name=name, starts_at=iso(begin), service=service,
                          severity=severity, labels={"alertname": name, "service": service})
            arrivals.append(AlertArrival(status="firing", **common))
            arrivals.append(AlertArrival(status="resolved", ends_at=iso(end), **common))
            at += timedelta(seconds=gap * rng.uniform(0.9, 1.1))
    arrivals.sort(key=lambda a: a.ends_at or a.starts_at)
    incidents = []
    for n in range(40):
        opened = start + timedelta(hours=rng.uniform(1, 160))
        service, who = rng.choice(SERVICES), rng.choice(RESPONDERS)
        acked, resolved = opened + timedelta(minutes=rng.uniform(1, 30)), opened + timedelta(hours=rng.uniform(0.5, 5))
        for what, at in (("triggered", opened), ("acknowledged", acked), ("resolved", resolved)):
            incidents.append(IncidentArrival(source="bench", id=f"INC{n:03d}", title=f"{service} degraded",
                                             status=what, what=what, at=iso(at), service=service,
                                             who=who if what != "triggered" else "monitoring", assignees=[who],
                                             urgency="high", event_id=f"INC{n:03d}-{what}"))
    changes = [ChangeArrival(source="bench", id=f"deploy-{n}", kind="deploy",
                             at=iso(start + timedelta(hours=rng.uniform(0, 167))), service=rng.choice(SERVICES),
                             who=rng.choice(RESPONDERS), outcome=rng.choice(["success"] * 9 + ["failure"]))
               for n in range(60)]
    return {"alerts": arrivals, "incidents": incidents, "changes": changes}


def load(account_id: str, data: dict, now) -> dict:
    """Ingest the arrivals with the service's own code on the in-memory
    repositories, then file the items into the DynamoDB tables; the counts."""
    from chalicelib import store
    from chalicelib.ops import apply

    dynamo = store.active()
    memory = store.memory_repositories()
    before = store.use(memory)
    try:
        chunk = 500  # as deliveries of 500 alerts: one read of their alerts' states each
        for i in range(0, len(data["alerts"]), chunk):
            apply.apply_all(account_id, data["alerts"][i:i + chunk], [], [], now, make_events=False)
        apply.apply_all(account_id, [], data["incidents"], data["changes"], now, make_events=False)
    finally:
        store.use(before)
    ops = memory.operations
    records = [*ops.alerts_by_key.values(), *ops.firings_by_key.values(), *ops.days.values(),
               *ops.incidents.values(), *ops.changes.values()]
    dynamo.operations.put_many(records)
    return {"alert_events": len(data["alerts"]), "alerts": len(ops.alerts_by_key), "firings": len(ops.firings_by_key),
            "alert_days": len(ops.days), "incidents": len(ops.incidents), "changes": len(ops.changes)}
