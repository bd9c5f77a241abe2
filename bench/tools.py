"""DynamoDB requests and items read per agent tool call, on a small and on a
ten times larger account: what a call costs must follow its page size, not
the account's data.

    .venv/bin/python bench/tools.py [--sizes 50:10000,500:100000]

In-process moto. Each size is `alerts:alert events` over a week (bench/opsdata.py,
with 40 incidents and 60 deploys); every tool is called once with its default
page size (and `alert_days` with limit 100), and its DynamoDB requests and
the items they read are counted (bench/events.py's meter).
"""
import argparse
import os
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_SESSION_TOKEN="bench",
                  AWS_DEFAULT_REGION="us-east-1", TABLE_PREFIX="bench-tools", POWERTOOLS_METRICS_DISABLED="true")
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws  # noqa: E402

from bench import opsdata  # noqa: E402
from bench.events import DynamoReads  # noqa: E402

NOW = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
CALLS = [("query_alerts", {}), ("query_alerts", {"service": "svc-03", "group_by": "name"}),
         ("alert_days", {"limit": 100}), ("alert_history", {"key": "bench#0000000000000000"}),
         ("query_incidents", {}), ("incident_timeline", {"latest_resolved": True}),
         ("query_changes", {}), ("oncall_load", {})]


def measure(alerts: int, events: int) -> dict:
    with mock_aws():
        from chalicelib import settings
        from chalicelib.ops import tools
        from chalicelib.store import tables
        settings.current()
        tables.ensure_tables()
        settings.install(replace(settings.current()))
        from chalicelib.store import repos
        from chalicelib.store.records import Account
        repos.accounts.create(Account(id="acct-bench", name="bench", created_at=NOW.isoformat()))
        started = time.perf_counter()
        loaded = opsdata.load("acct-bench", opsdata.week(NOW, alerts, events), NOW)
        loading = time.perf_counter() - started
        rows = []
        for name, args in CALLS:
            with DynamoReads() as read:
                answer = tools.call("acct-bench", name, args, NOW)
            assert answer.get("ok") is not False, answer
            rows.append({"tool": name, "args": args, "requests": read.requests, "items": read.items})
        return {"alerts": alerts, "events": events, "loaded": loaded, "load_seconds": round(loading, 1), "calls": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50:10000,500:100000")
    args = parser.parse_args()
    results = []
    for size in args.sizes.split(","):
        alerts, events = (int(x) for x in size.split(":"))
        print(f"loading {events} alert events over {alerts} alerts …", flush=True)
        results.append(measure(alerts, events))
        print(f"  loaded {results[-1]['loaded']} in {results[-1]['load_seconds']} s", flush=True)
    print("", "=" * 78, "SUMMARY  DynamoDB requests / items read per tool call, by account size", sep="\n")
    header = " | ".join(f"{r['alerts']} alerts, {r['events']} events" for r in results)
    print(f"  {'tool':<58} {header}")
    for i, (name, call_args) in enumerate(CALLS):
        label = f"{name} {call_args or ''}".strip()
        cells = " | ".join(f"{r['calls'][i]['requests']:>3} requests, {r['calls'][i]['items']:>5} items"
                           for r in results)
        print(f"  {label:<58} {cells}")
    print("=" * 78)


if __name__ == "__main__":
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    main()
