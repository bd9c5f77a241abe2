"""Benchmark of the scheduler tick: DynamoDB items read and Queries per tick.

    .venv/bin/python bench/tick.py [--sizes 100000] [--due 1000] [--zones 50] [--slow-moto]

Everything runs in this process against moto (`mock_aws`): no network. For each
size it saves that many scheduled rules spread over `--zones` IANA time zones
(daily and weekly rules at a local hour, hourly rules and custom UTC crons),
each turned into its stored trigger by `rules.schedule.parse` and filed where
the app files it (`rules.schedule_index`). Exactly `--due` rules are due at the
ticked time (Monday 2026-11-23 10:00 UTC); the others are spread over hours,
weekdays and zones that are not due then. Rule ids are deterministic.

It then measures one whole tick as the Lambdas would do it: level 1 (the
scheduler tick) and all of level 2 (every fan-out job through
`tick.handle_jobs`, follow-up pages included), with the SQS work in the timing;
and a scan of the whole index on the same data, for comparison.

Items read are summed from DynamoDB's own answers (`ScannedCount` of every
Query/Scan of the schedule index and of the scheduler's own table, read by a
wrapper around botocore's `_make_api_call`). The tick must make no Scan, and the
run messages it sends must name exactly the due rules.

moto answers a Query by sorting every item of the table (about 4.6 s per
Query at 100,000 items), so on moto a tick's seconds grow with the table even
though its items read do not; on DynamoDB a Query costs what it reads. So
that the bench ends in minutes, `--fast-moto` (the default) has moto's Query
look at the asked-for partition only, as DynamoDB does (a change to moto's
table search in this process, not to our code; every answer is the same).
The items read and Queries are what carry over to AWS.
"""
import argparse
import os
import random
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Before boto3/pynamodb/chalicelib are imported: fake credentials, no real
# endpoint, and the bench's settings (read once, on first use: its own table names).
os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench",
                   "AWS_DEFAULT_REGION": "us-east-1", "TABLE_PREFIX": "bench-tick", "JITTER_SECONDS": "0",
                   "POWERTOOLS_METRICS_DISABLED": "true"})  # EMF documents would drown the figures
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_PROFILE"):
    os.environ.pop(_name, None)

import json  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from moto import mock_aws  # noqa: E402

from bench.aws_calls import CallMeter  # noqa: E402
from chalicelib import settings  # noqa: E402
from chalicelib.clock import iso_ms  # noqa: E402
from chalicelib.rules import cron, schedule, schedule_index  # noqa: E402
from chalicelib.runs import tick  # noqa: E402
from chalicelib.store import repos, tables  # noqa: E402

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday: hour 10, dom 23, month 11, dow 1
SAVED = AT - timedelta(days=3)  # no zone changes its offset between saving and the tick
ACCOUNTS = [f"acc_bench{i}" for i in range(5)]
SEED = 20261123
PROGRESS_EVERY = 20_000
ZONES = [
    "UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome", "Europe/Warsaw",
    "Europe/Helsinki", "Europe/Athens", "Europe/Istanbul", "Europe/Moscow", "Europe/Lisbon", "Atlantic/Reykjavik",
    "Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi", "Asia/Dubai", "Asia/Tehran",
    "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Yangon", "Asia/Bangkok", "Asia/Shanghai",
    "Asia/Singapore", "Asia/Tokyo", "Asia/Seoul", "Australia/Perth", "Australia/Eucla", "Australia/Darwin",
    "Australia/Adelaide", "Australia/Brisbane", "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Auckland",
    "Pacific/Chatham", "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Phoenix", "America/Chicago", "America/New_York", "America/Halifax", "America/St_Johns",
    "America/Sao_Paulo", "America/Santiago", "America/Mexico_City"]
DUE_CRONS = ["* * * *", "10 * * *", "10 * * 1", "* * * 1", "10 23 * *", "10 23 11 *", "10 23 11 3", "10 5 11 1"]


class BenchError(RuntimeError):
    """A failure that ends the benchmark with a clear message."""


def say(*lines: str) -> None:
    for line in lines:
        print(line, flush=True)


# --- data -----------------------------------------------------------------------

def _local(zone: str) -> datetime:
    return AT.astimezone(ZoneInfo(zone))


def due_at_tick(item: dict) -> bool:
    """Whether a schedule (as sent) is due at AT, computed here on its own:
    a local-time rule when AT is its local hour (and weekday) in its zone (no
    zone changes offset near AT), a UTC cron when it matches AT."""
    if item["mode"] in ("daily", "weekly"):
        local = _local(item["timezone"])
        weekday_ok = item["mode"] == "daily" or item["weekday"] == local.isoweekday() % 7
        return local.minute == 0 and local.hour == item["hour"] and weekday_ok
    expr = "* * * *" if item["mode"] == "hourly" else item["cron"]
    return cron.is_due(expr, AT)


def due_item(rng: random.Random, zones: list[str]) -> dict:
    """A schedule due at AT: local rules in zones where AT is a whole local hour, or a UTC cron."""
    whole = [z for z in zones if _local(z).minute == 0]
    kind = rng.random()
    if kind < 0.10:
        return {"mode": "hourly"}
    if kind < 0.25:
        return {"mode": "custom", "cron": rng.choice(DUE_CRONS)}
    zone = rng.choice(whole)
    local = _local(zone)
    if kind < 0.65:
        return {"mode": "daily", "hour": local.hour, "timezone": zone}
    return {"mode": "weekly", "hour": local.hour, "weekday": local.isoweekday() % 7, "timezone": zone}


def not_due_item(rng: random.Random, zones: list[str]) -> dict:
    """A schedule not due at AT, whether its time is read as local time or as the UTC cron saved."""
    for _ in range(1_000):
        kind = rng.random()
        hour, dow, zone = rng.randrange(24), rng.randrange(7), rng.choice(zones)
        if kind < 0.45:
            item = {"mode": "daily", "hour": hour, "timezone": zone}
        elif kind < 0.80:
            item = {"mode": "weekly", "hour": hour, "weekday": dow, "timezone": zone}
        else:
            dom, month = rng.randint(1, 28), rng.randint(1, 12)
            item = {"mode": "custom", "cron": rng.choice([f"{hour} * * *", f"{hour} * * {dow}", f"{hour} {dom} * *",
                                                          f"{hour} {dom} {month} *", f"* * * {dow}",
                                                          f"{hour} {dom} {month} {dow}"])}
        if not due_at_tick(item) and not cron.is_due(stored(item)["cron"], AT):
            return item
    raise BenchError("could not draw a not-due schedule")


def stored(item: dict) -> dict:
    """The trigger as the app stores it."""
    return schedule.parse({"type": "schedule", **item}, "triggers[0]", SAVED)


def rules(total: int, due: int, zones: list[str]) -> list[tuple[SimpleNamespace, bool]]:
    """(rule, is due) for `total` rules of which exactly `due` are due at AT."""
    if not 0 < due <= total:
        raise BenchError(f"--due must be between 1 and the size; got {due} of {total}")
    rng, out = random.Random(SEED), []
    for i in range(total):
        item = due_item(rng, zones) if i < due else not_due_item(rng, zones)
        if due_at_tick(item) != (i < due):
            raise BenchError(f"rule {i} ({item}) is not what it was drawn to be")
        rule = SimpleNamespace(id=f"aut_bench{i:07d}", account_id=ACCOUNTS[i % len(ACCOUNTS)], enabled=True,
                               deleted_at=None, triggers=[stored(item)], scheduled_since=iso_ms(SAVED))
        out.append((rule, i < due))
    return out


def write_index(all_rules) -> int:
    """The index entries (and the zones-in-use registry, where the app keeps one); returns items written."""
    written, started, pending = 0, time.perf_counter(), []
    register = getattr(schedule_index, "register_all", None)
    for n, (rule, _) in enumerate(all_rules, 1):
        pending += schedule_index.entries_for(rule)
        if n % PROGRESS_EVERY == 0 or n == len(all_rules):
            repos.schedule.replace_entries([], pending)  # batch writes
            written, pending = written + len(pending), []
            elapsed = time.perf_counter() - started
            say(f"  wrote {n:>7,} rules / {written:>7,} index items  ({elapsed:6.1f} s)")
    if register:
        written += register([rule for rule, _ in all_rules])
    return written


# --- measuring ----------------------------------------------------------------------

class DynamoMeter:
    """Items read (ScannedCount) and calls on the schedule index and the
    scheduler's table: a wrapper around botocore's `_make_api_call` that
    reads the answers of the calls about those tables, whichever client makes them."""

    TABLES = ("schedule-index", "scheduler")

    def __init__(self):
        named = {f"{settings.current().table_prefix}-{t}" for t in self.TABLES}
        if not named <= set(tables.table_names()):
            raise BenchError(f"the tables {sorted(named)} are not among {tables.table_names()}")
        self.reset()

    def reset(self):
        self.items = self.returned = 0
        self.calls: dict[str, int] = {}

    def _after(self, operation: str, parsed: dict):
        self.calls[operation] = self.calls.get(operation, 0) + 1
        if operation in ("Query", "Scan"):
            self.items += int(parsed.get("ScannedCount", 0))
            self.returned += int(parsed.get("Count", 0))

    def __enter__(self):
        from botocore.client import BaseClient
        self.reset()
        self.original, meter = BaseClient._make_api_call, self

        def metered(client, operation, params):
            parsed = meter.original(client, operation, params)
            if client.meta.service_model.service_name == "dynamodb" and \
                    set(CallMeter.target(params).split("+")) <= set(meter.TABLES):
                meter._after(operation, parsed)
            return parsed
        BaseClient._make_api_call = metered
        return self

    def __exit__(self, *exc):
        from botocore.client import BaseClient
        BaseClient._make_api_call = self.original


class RunMessages:
    """The run messages the tick sends (a `before-parameter-build` hook on the SQS client)."""

    def __init__(self, runs_url: str):
        self.runs_url, self.bodies = runs_url, []
        self.events = repos.queues.client().meta.events

    def _capture(self, params, model, **_):
        if model.name == "SendMessageBatch" and params.get("QueueUrl") == self.runs_url:
            self.bodies += [json.loads(e["MessageBody"]) for e in params["Entries"]]

    def __enter__(self):
        self.events.register("before-parameter-build.sqs.SendMessageBatch", self._capture,
                             unique_id="bench.tick.runs")
        return self

    def __exit__(self, *exc):
        self.events.unregister("before-parameter-build.sqs.SendMessageBatch", unique_id="bench.tick.runs")


def level_one() -> int:
    """The scheduler tick itself; returns the fan-out jobs it queued."""
    return tick.scheduler_tick(AT)["jobs"]


def fast_moto_queries() -> None:
    """Let moto's base-table Query search only the asked-for partition (moto
    otherwise sorts the whole table per Query). Single-threaded use only."""
    from moto.dynamodb.models.table import Table

    original = Table.query

    def query(self, hash_key, *args, **kwargs):
        if kwargs.get("index_name") or hash_key is None:
            return original(self, hash_key, *args, **kwargs)
        everything = self.items
        partition = everything.get(hash_key)
        self.items = {hash_key: partition} if partition is not None else {}
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            self.items = everything

    Table.query = query


def whole_tick(fanout_url: str, deadline: float) -> dict:
    """Level 1 and all of level 2, as the Lambdas would do them."""
    sqs = repos.queues.client()
    jobs = level_one()
    handled = follow_ups = 0
    while True:
        if time.monotonic() > deadline:
            raise BenchError("the tick ran past --max-seconds")
        got = sqs.receive_message(QueueUrl=fanout_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            break
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
                   for m in got]
        failures = tick.handle_jobs(records)["batchItemFailures"]
        if failures:
            raise BenchError(f"{len(failures)} fan-out job(s) failed; see the log above")
        sqs.delete_message_batch(QueueUrl=fanout_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
        handled += len(got)
        follow_ups += sum(1 for m in got if "cursor" in json.loads(m["Body"]))
    return {"jobs": jobs, "handled": handled, "follow_ups": follow_ups}


def bench_size(mock, total: int, due: int, zones: list[str], deadline: float) -> dict:
    mock.reset()
    settings.current()  # read from the environment set above: the bench's table names
    tables.ensure_tables()
    queues = tables.ensure_queues()
    settings.install(replace(settings.current(), runs_queue_url=queues["runs"], fanout_queue_url=queues["fanout"],
                             runs_dlq_url=queues["runs_dlq"], sandbox_queue_url=queues["sandbox"]))
    say(f"\n== {total:,} rules over {len(zones)} time zones, {due:,} due at {AT:%Y-%m-%d %H:%M} UTC "
        f"(SCHEDULE_SHARDS={settings.current().schedule_shards}, PAGE={tick.PAGE})")
    started = time.perf_counter()
    all_rules = rules(total, due, zones)
    expected = {rule.id for rule, is_due in all_rules if is_due}
    say(f"  drew {total:,} rules in {time.perf_counter() - started:.1f} s")
    items = write_index(all_rules)
    say(f"  index written: {items:,} items in {time.perf_counter() - started:.1f} s")
    if time.monotonic() > deadline:
        raise BenchError("writing the index ran past --max-seconds")

    meter = DynamoMeter()
    with meter, RunMessages(queues["runs"]) as runs:
        started = time.perf_counter()
        level = whole_tick(queues["fanout"], deadline)
        seconds = time.perf_counter() - started
    ticked = {"items": meter.items, "calls": dict(meter.calls), "seconds": seconds, **level}
    sent = {b["automation_id"] for b in runs.bodies}
    problems = []
    if sent != expected:
        problems.append(f"run messages name {len(sent - expected)} rule(s) not due and miss "
                        f"{len(expected - sent)} due rule(s)")
    if "Scan" in meter.calls:
        problems.append(f"the tick scanned: {meter.calls}")

    with meter:
        started = time.perf_counter()
        scanned_items = len(repos.schedule.every_entry())
        scan_seconds = time.perf_counter() - started
    say(f"  tick: {ticked['items']:>7,} items read in {ticked['calls'].get('Query', 0)} Queries "
        f"(DynamoDB calls: {ticked['calls']}), {seconds:.1f} s on moto; {ticked['jobs']} fan-out jobs + "
        f"{ticked['follow_ups']} follow-up(s); {len(runs.bodies):,} run messages for {len(sent):,} rules",
        f"  scan: {meter.items:>7,} items read ({scanned_items:,} index items), {scan_seconds:.1f} s on moto")
    for problem in problems:
        say(f"  PROBLEM: {problem}")
    return {"total": total, "index_items": items, "tick": ticked, "scan_items": meter.items, "problems": problems,
            "messages": len(runs.bodies)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000", help="rule counts, comma-separated (default 100000)")
    parser.add_argument("--due", type=int, default=1000, help="rules due at the ticked time (default 1000)")
    parser.add_argument("--zones", type=int, default=50, help=f"time zones the rules use (1-{len(ZONES)}, default 50)")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="give up after this long (default 3600)")
    parser.add_argument("--slow-moto", action="store_true",
                        help="leave moto's Query as it is (it sorts the whole table per Query: much slower)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers; got {args.sizes!r}")
    if not sizes or any(s < args.due or s <= 0 for s in sizes) or args.due <= 0:
        parser.error("every size must be at least --due, and --due at least 1")
    if not 1 <= args.zones <= len(ZONES):
        parser.error(f"--zones must be 1-{len(ZONES)}")
    zones = ZONES[:args.zones]
    if not args.slow_moto:
        fast_moto_queries()
    deadline, began = time.monotonic() + args.max_seconds, time.monotonic()
    results = []
    try:
        with mock_aws() as mock:
            for total in sizes:
                results.append(bench_size(mock, total, args.due, zones, deadline))
    except BenchError as exc:
        say(f"\nbench failed: {exc}")
        return 1
    say("", f"== Summary (tick of {AT:%Y-%m-%d %H:%M} UTC, {args.due:,} due rules, {len(zones)} zones)",
        f"{'rules':>9} {'index items':>12} | {'items read':>10} {'Queries':>8} {'messages':>8} {'seconds':>8} | "
        f"{'scan: items read':>16}")
    for r in results:
        say(f"{r['total']:>9,} {r['index_items']:>12,} | {r['tick']['items']:>10,} "
            f"{r['tick']['calls'].get('Query', 0):>8,} {r['messages']:>8,} {r['tick']['seconds']:>8.1f} | "
            f"{r['scan_items']:>16,}")
    ok = not any(r["problems"] for r in results)
    say(f"bench took {time.monotonic() - began:.0f} s", "all checks passed" if ok else "some checks FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    sys.exit(main())
