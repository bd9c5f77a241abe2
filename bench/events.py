"""Events per second through ingestion and matching, with 10 and with 10,000
automations whose triggers expect other event names: the work per event must
not change, because an event reads only the index buckets of its own name.

    .venv/bin/python bench/events.py [--events 500] [--sizes 10,10000]

In-process moto. Prints events/s and, per event, the DynamoDB requests and the
items they read. One more automation expects the benchmark's event name (with
a filter that never holds), so each event has one real candidate to evaluate.
Note: moto answers a Query by passing over the whole table, so on moto the
wall-clock rate falls with the table's size even when the items read do not;
on DynamoDB a Query costs what it returns.
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
                  AWS_DEFAULT_REGION="us-east-1", TABLE_PREFIX="bench-events",
                  POWERTOOLS_METRICS_DISABLED="true")  # EMF documents would drown the figures
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws  # noqa: E402

BUCKETS = 50  # the first name segments of the other automations' events


def _fill(account_id: str, count: int) -> None:
    from chalicelib.store import repos
    from chalicelib.store.records import TriggerEntry
    entries = []
    for i in range(count):
        name = f"deploy{i % BUCKETS}.finished"  # other event names, spread over 50 first segments
        trigger = {"type": "event", "posture": "reactive", "expect": [name], "after": [], "match": {},
                   "threshold": 1, "within": 0, "for_each": []}
        entries.append(TriggerEntry(f"{account_id}|{name.split('.')[0]}", f"aut_{i:06d}", trigger=trigger))
    repos.events.put_triggers(entries)


class DynamoReads:
    """Every DynamoDB request while open, and the items Query, GetItem and Scan
    read: a wrapper around botocore's `_make_api_call`, whichever client calls."""

    def __init__(self):
        self.items = self.requests = 0

    def __enter__(self):
        from botocore.client import BaseClient
        self.original, meter = BaseClient._make_api_call, self

        def metered(client, operation, params):
            if client.meta.service_model.service_name != "dynamodb":
                return meter.original(client, operation, params)
            meter.requests += 1  # counted whatever the answer, as an after-call hook counts it
            parsed = meter.original(client, operation, params)
            if operation in ("Query", "GetItem", "Scan"):
                meter.items += parsed.get("ScannedCount", parsed.get("Count", 1 if parsed.get("Item") else 0))
            return parsed
        BaseClient._make_api_call = metered
        return self

    def __exit__(self, *exc):
        from botocore.client import BaseClient
        BaseClient._make_api_call = self.original


def _measure(count: int, events: int) -> dict:
    with mock_aws():
        from chalicelib import settings
        from chalicelib.runs import fire
        from chalicelib.store import repos, tables
        from chalicelib.store.records import TriggerEntry
        settings.current()  # read from the environment set above: the bench's table names
        tables.ensure_tables()
        settings.install(replace(settings.current(), runs_queue_url=tables.ensure_queues()["runs"]))
        account = "acct-bench"
        _fill(account, count)
        candidate = {"type": "event", "posture": "reactive", "expect": ["incident.*"], "after": [],
                     "match": {"resource.id": "never-this"}, "threshold": 1, "within": 0, "for_each": []}
        repos.events.put_triggers([TriggerEntry(f"{account}|incident", "aut_candidate", trigger=candidate)])
        filed = sum(len(repos.events.triggers_in(f"{account}|{bucket}"))
                    for bucket in ["incident", *(f"deploy{j}" for j in range(BUCKETS))])
        assert filed == count + 1, filed
        now = datetime(2026, 11, 23, 10, tzinfo=UTC)
        batch = [{"event": "incident.triggered", "resource": {"id": f"svc-{i % 7}"}} for i in range(100)]
        fire.receive(account, batch[:10], now)  # warm-up
        with DynamoReads() as read:
            start, sent = time.perf_counter(), 0
            while sent < events:
                result = fire.receive(account, batch[: min(100, events - sent)], now)  # POST /events
                assert not result["rejected"] and not result["runs"]
                sent += len(result["accepted"])
            elapsed = time.perf_counter() - start
        return {"automations": count, "events": sent, "seconds": round(elapsed, 2),
                "events_per_second": round(sent / elapsed, 1), "items_read_per_event": read.items / sent,
                "requests_per_event": read.requests / sent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--sizes", default="10,10000")
    args = parser.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"filling {size} automations expecting other event names…", flush=True)
        rows.append(_measure(size, args.events))
        row = rows[-1]
        print(f"  {row['automations']:>6} automations: {row['events']} events in {row['seconds']} s = "
              f"{row['events_per_second']} events/s; per event {row['requests_per_event']:.2f} DynamoDB requests "
              f"reading {row['items_read_per_event']:.2f} items")
    if len(rows) > 1:
        print(f"items read per event, largest/smallest: {rows[-1]['items_read_per_event']:.2f} / "
              f"{rows[0]['items_read_per_event']:.2f}; wall-clock rate ratio on moto: "
              f"{rows[-1]['events_per_second'] / rows[0]['events_per_second']:.2f} (moto's Query is a full pass)")


if __name__ == "__main__":
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    main()
