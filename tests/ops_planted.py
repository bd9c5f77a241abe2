"""A week of operations data with planted patterns whose answers the tests
know: a flapping alert, quick self-resolving ones, a pair of duplicates, an
alert that preceded an incident (noisy, yet never to be silenced), severity
that does not match the response, a deploy followed by an incident, a failed
change followed by alerts, an overloaded responder, and open incidents at
handover. Everything else is quiet background.

NOW is Tuesday 2026-12-08 12:00 UTC; the account's time zone is
Europe/Berlin (UTC+1 in December), business hours Mon-Fri 09:00-18:00."""
from datetime import UTC, datetime, timedelta

from tests.ops_tools import Alert, Change, Firing, Incident, OpsTools

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


def at(days_ago: int, hhmm: str) -> datetime:
    """The UTC time `hhmm` on the day `days_ago` days before NOW's."""
    hour, minute = map(int, hhmm.split(":"))
    return (NOW - timedelta(days=days_ago)).replace(hour=hour, minute=minute)


def firing(start: datetime, minutes: int | None, acked_by: str | None = None) -> Firing:
    """A firing lasting `minutes` (None: still firing), acknowledged a minute in when `acked_by`."""
    return Firing(start, None if minutes is None else start + timedelta(minutes=minutes), acked_by,
                  start + timedelta(minutes=1) if acked_by else None)


def alerts() -> list[Alert]:
    flap_starts = [at(3, "02:00") + timedelta(minutes=28 * n) for n in range(14)]  # 8 min on, 20 min off
    spike_starts = [at(d, t) for d in (6, 5, 4) for t in ("03:10", "09:10", "15:10", "21:10")]
    pair = [at(6, "14:00")] + [at(d, t) for d in (5, 4, 3, 2) for t in ("14:00", "20:00")]
    token_starts = [at(d, t) for d in (6, 5, 4, 3) for t in ("03:00", "18:00")] + [at(1, "04:00"), at(1, "10:00")]
    queue = [at(6, "01:00"), at(6, "08:00"), at(6, "15:00"), at(6, "22:00"), at(5, "05:00"), at(5, "12:00"),
             at(5, "19:00"), at(4, "02:00")]
    restarts = [at(0, "03:00"), at(0, "03:20"), at(0, "03:40"), at(0, "04:00")]
    return [
        # flapping: 14 firings, each back within 20 min of resolving -> 13 flaps
        Alert("CheckoutLatencyFlap", "checkout", "warning", [firing(s, 8) for s in flap_starts]),
        # quick self-resolving: 12 firings of 2 minutes, nobody acknowledged
        Alert("SearchDiskIOSpike", "search", "warning", [firing(s, 2) for s in spike_starts]),
        # duplicates: 5xx starts 3 minutes after the error-rate alert, 8 of its 9 times
        Alert("PaymentsErrorRate", "payments", "warning",
              [firing(s, 20, "Carol" if n % 2 else None) for n, s in enumerate(pair)]),
        Alert("Payments5xx", "payments", "warning",
              [firing(s + timedelta(minutes=3), 20, None if n % 2 else "Carol") for n, s in enumerate(pair[1:])]),
        # noisy (1-minute, unacknowledged), but one firing came 30 min before the auth incident: keep it
        Alert("AuthTokenErrors", "auth", "warning", [firing(s, 1) for s in token_starts]),
        # critical, never acknowledged, mostly quick-resolved: downgrade
        Alert("QueueDepthCritical", "orders", "critical", [firing(s, 2 if n < 6 else 30) for n, s in enumerate(queue)]),
        # warning, acknowledged every time: raise
        Alert("CertExpirySoon", "edge", "warning", [firing(at(d, "09:00"), 120, "Erin") for d in (6, 5, 4, 3)]),
        # mostly quick-resolved, yet acknowledged once: a human must say
        Alert("EdgeCacheMiss", "edge", "warning",
              [firing(at(d, "16:00"), 3 if d > 2 else 30, "Erin" if d == 2 else None) for d in (6, 5, 4, 3, 2, 1)]),
        # the deploy's alert, linked to the checkout incident
        Alert("CheckoutErrors", "checkout", "critical", [firing(at(0, "06:20"), 70, "Alice")]),
        # still firing, linked to the open payments incident
        Alert("PaymentsLatencyHigh", "payments", "critical", [firing(at(0, "08:50"), None)]),
        # active before and after the payments deploy's window, not in it
        Alert("PaymentsQueueLag", "payments", "warning", [firing(at(1, "13:00"), 15), firing(at(1, "21:00"), 15)]),
        # after the search deploy
        Alert("SearchLatency", "search", "warning", [firing(at(0, "02:30"), 15)]),
        # still firing, not critical
        Alert("SearchIndexLag", "search", "warning", [firing(at(0, "11:20"), None)]),
        # after the failed auth config change
        Alert("AuthLoginFailures", "auth", "warning", [firing(at(1, "22:20"), 10)]),
        # flapping during the on-call shift, no incident after: safe to ignore
        Alert("CheckoutPodRestart", "checkout", "info", [firing(s, 3) for s in restarts]),
        # quiet background
        Alert("InventoryHighMem", "inventory", "warning",
              [firing(at(5, "10:00"), 40, "Bob"), firing(at(2, "10:00"), 40)]),
    ]


def incidents() -> list[Incident]:
    out = [
        Incident("PCHK0D1", "Checkout errors after deploy", "checkout", at(0, "06:40"), at(0, "06:50"), "Alice",
                 at(0, "08:00"), ["Alice"], alert_keys=["alertmanager#checkouterrors"], priority="P1"),
        Incident("PAUTH01", "Auth token failures", "auth", at(1, "10:30"), at(1, "10:35"), "Bob", at(1, "11:15"),
                 ["Bob"]),
        Incident("PAUTH02", "Auth latency", "auth", at(5, "13:00"), at(5, "13:05"), "Bob", at(5, "14:00"), ["Bob"]),
        Incident("PAUTH03", "Auth latency", "auth", at(4, "13:00"), at(4, "13:05"), "Bob", at(4, "14:00"), ["Bob"]),
        # open at handover: one triggered, nobody acknowledged; one acknowledged
        Incident("PPAY001", "Payments latency", "payments", at(0, "09:00"), None, None, None, ["Carol"],
                 alert_keys=["alertmanager#paymentslatencyhigh"], priority="P2"),
        Incident("PSRCH01", "Search degraded", "search", at(0, "11:00"), at(0, "11:05"), "Dave", None, ["Dave"]),
        # the window before: two business-hours pages
        Incident("POLD001", "Batch job failed", "batch", at(12, "10:00"), at(12, "10:05"), "Bob", at(12, "11:00")),
        Incident("POLD002", "Batch job failed", "batch", at(11, "10:00"), at(11, "10:05"), "Bob", at(11, "11:00")),
    ]
    # Alice: 16 night pages (01:00-04:00 Berlin) over 5 nights, acknowledged after 20 minutes
    night = 0
    for days_ago in (5, 4, 3, 2, 1):
        for hhmm in ("00:00", "01:30", "02:30") + (("03:00",) if days_ago == 3 else ()):
            opened = at(days_ago, hhmm)
            night += 1
            out.append(Incident(f"PBAT{night:03d}", "Batch job failed", "batch", opened, opened + timedelta(minutes=20),
                                "Alice", opened + timedelta(minutes=50), ["Alice"], urgency="low",
                                escalated_at=opened + timedelta(minutes=15) if night == 1 else None))
    for n, incident in enumerate(out, 1):
        incident.number = n
    return out


def changes() -> list[Change]:
    return [
        Change("1001", "checkout", at(0, "06:00"), description="checkout v2.3.0", link="https://gh.example/pull/1001"),
        Change("1002", "search", at(0, "02:00"), description="search ranking tweak", link="https://gh.example/pull/1002"),
        Change("1003", "payments", at(1, "16:00"), description="payments v9", link="https://gh.example/pull/1003"),
        Change("cfg-9", None, at(1, "20:00"), kind="config", source="events", who="ops", link=None,
               description="feature flag flip"),
        Change("1004", "auth", at(1, "22:00"), kind="config", outcome="failure", description="auth token TTL",
               link="https://gh.example/pull/1004"),
        Change("1005", "checkout", at(0, "07:50"), kind="rollback", description="Rollback of checkout v2.3.0",
               link="https://gh.example/pull/1005"),
        Change("1006", "edge", at(0, "11:00"), description="edge cache config", link="https://gh.example/pull/1006"),
    ]


def planted(page: int = 7) -> OpsTools:
    """The tools over the planted week, answering `page` rows per call at most."""
    return OpsTools(NOW, alerts(), incidents(), changes(), timezone="Europe/Berlin", page=page)
