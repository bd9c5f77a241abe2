"""Benchmark of the hourly tick: DynamoDB items read and time, indexed vs scan.

    .venv/bin/python bench/tick.py [--sizes 10000,100000] [--due 1000] [--max-seconds 3600]

Everything runs in this process against moto (`mock_aws`): no network. For each
size it fills the schedule index with that many rules, written straight into
ScheduleEntry with batch writes under the keys and shards the app would use
(`schedule_index.index_keys` / `shard_of`). Exactly `--due` rules are due at the
ticked hour (Monday 2026-11-23 10:00 UTC); the others are spread over realistic
keys that are not due then (other hours, weekdays, days of the month, months).
Rule ids are deterministic, so every size has the same due rules.

It then measures:

- the indexed tick: level 1 (`tick.hourly`) and all of level 2 (every fan-out
  job through `tick.handle_jobs`, follow-up pages included), as the Lambdas
  would, with the SQS work in the timing;
- a scan-based tick on the same data: one Scan of the whole ScheduleEntry table
  (all pages), filtered with `cron.is_due` (reads and filter only, no sends).

Items read are summed from DynamoDB's own answers (`ScannedCount` of every
Query/Scan, via a botocore `after-call` hook on the ScheduleEntry client). The
indexed tick must read the same number of items at every size, and the run
messages it sends must name exactly the due rules.

On timing: moto answers a Query by sorting every item of the table and then
picking the partition, so in moto the indexed tick's seconds grow with the
table size even though its items read do not. On DynamoDB a Query costs what
it reads. The items-read figures are the ones that carry over to AWS; the
"in DynamoDB" seconds are printed apart so the moto cost is visible.
"""
import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Before boto3/pynamodb/chalicelib are imported: fake credentials, no real
# endpoint, the bench's own table names (pynamodb fixes them at import).
os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench",
                   "AWS_DEFAULT_REGION": "us-east-1", "TABLE_PREFIX": "bench-tick",
                   "POWERTOOLS_METRICS_DISABLED": "true"})  # EMF documents would drown the figures
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_PROFILE"):
    os.environ.pop(_name, None)

import json  # noqa: E402

from moto import mock_aws  # noqa: E402

from chalicelib import settings  # noqa: E402
from chalicelib.rules import cron, schedule_index  # noqa: E402
from chalicelib.runs import queue, tick  # noqa: E402
from chalicelib.store import tables  # noqa: E402
from chalicelib.store.models import ScheduleEntry  # noqa: E402

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday: hour 10, dom 23, month 11, dow 1
ACCOUNT = "acc_bench"
SEED = 20261123
PROGRESS_EVERY = 10_000

# The due rules: shares of --due per cron (each due at AT through its own key).
DUE_MIX = [
    ("* * * *", 0.10),      # hourly
    ("10 * * *", 0.40),     # daily at 10:00 UTC
    ("10 * * 1", 0.20),     # weekly, Monday 10:00
    ("* * * 1", 0.05),      # every hour on Mondays
    ("10 23 * *", 0.10),    # monthly on the 23rd
    ("10 23 11 *", 0.05),   # yearly
    ("* 23 * *", 0.03),
    ("* * 11 *", 0.02),
    ("10 * 11 *", 0.03),
    ("10 23 11 3", 0.01),   # dom and dow: due through the day of the month only
    ("10 5 11 1", 0.01),    # dom and dow: due through the day of the week only
]


class BenchError(RuntimeError):
    """A failure that ends the benchmark with a clear message."""


def say(*lines: str) -> None:
    for line in lines:
        print(line, flush=True)


# --- data -----------------------------------------------------------------------

def due_crons(count: int) -> list[str]:
    """`count` crons due at AT, in the shares of DUE_MIX (the remainder to the first)."""
    out = []
    for expr, share in DUE_MIX:
        out += [expr] * int(count * share)
    out += [DUE_MIX[0][0]] * (count - len(out))
    assert all(cron.is_due(c, AT) for c in out)
    return out


def not_due_cron(rng: random.Random) -> str:
    """A realistic cron that is not due at AT."""
    for _ in range(1_000):
        kind = rng.random()
        hour, dom, month, dow = rng.randrange(24), rng.randint(1, 28), rng.randint(1, 12), rng.randrange(7)
        if kind < 0.45:
            expr = f"{hour} * * *"                 # daily
        elif kind < 0.70:
            expr = f"{hour} * * {dow}"             # weekly
        elif kind < 0.82:
            expr = f"{hour} {dom} * *"             # monthly
        elif kind < 0.88:
            expr = f"{hour} {dom} {month} *"       # yearly
        elif kind < 0.93:
            expr = f"* * * {dow}"                  # hourly on one weekday
        elif kind < 0.97:
            expr = f"{hour} * {month} *"           # daily in one month
        else:
            expr = f"{hour} {dom} {month} {dow}"   # dom and dow (filed under two keys)
        if not cron.is_due(expr, AT):
            return cron.normalise(expr)
    raise BenchError("could not draw a not-due cron")


def rule_crons(total: int, due: int) -> list[tuple[str, str]]:
    """(rule id, cron) for `total` rules of which exactly `due` are due at AT.
    Deterministic: the first `due` ids are the due rules at every size."""
    if not 0 < due <= total:
        raise BenchError(f"--due must be between 1 and the size; got {due} of {total}")
    rng = random.Random(SEED)
    rules = [(f"aut_bench{i:07d}", c) for i, c in enumerate(due_crons(due))]
    rules += [(f"aut_bench{i:07d}", not_due_cron(rng)) for i in range(due, total)]
    return rules


def write_index(rules: list[tuple[str, str]]) -> int:
    """The index entries, where the app would file them; returns how many."""
    shards, written, started = settings.schedule_shards(), 0, time.perf_counter()
    with ScheduleEntry.batch_write() as batch:
        for n, (rule_id, expr) in enumerate(rules, 1):
            shard = schedule_index.shard_of(rule_id, shards)
            for key in schedule_index.index_keys(expr):
                batch.save(ScheduleEntry(f"{key}#{shard}", rule_id, account_id=ACCOUNT, cron=expr))
                written += 1
            if n % PROGRESS_EVERY == 0 or n == len(rules):
                elapsed = time.perf_counter() - started
                say(f"  wrote {n:>7,} rules / {written:>7,} index items  ({elapsed:6.1f} s, "
                    f"{written / elapsed:,.0f} items/s)")
    return written


# --- measuring ----------------------------------------------------------------------

class DynamoMeter:
    """Items read (ScannedCount), calls and time of the ScheduleEntry client's
    Query/Scan calls, from botocore hooks on that client."""

    def __init__(self):
        self.events = ScheduleEntry._get_connection().connection.client.meta.events
        self.reset()

    def reset(self):
        self.items = self.returned = 0
        self.calls: dict[str, int] = {}
        self.seconds = 0.0
        self._started = None

    def _before(self, model, **_):
        self._started = time.perf_counter()

    def _after(self, parsed, model, **_):
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None
        self.calls[model.name] = self.calls.get(model.name, 0) + 1
        if model.name in ("Query", "Scan"):
            self.items += int(parsed.get("ScannedCount", 0))
            self.returned += int(parsed.get("Count", 0))

    def __enter__(self):
        self.reset()
        self.events.register("before-call", self._before, unique_id="bench.tick.before")
        self.events.register("after-call", self._after, unique_id="bench.tick.after")
        return self

    def __exit__(self, *exc):
        self.events.unregister("before-call", unique_id="bench.tick.before")
        self.events.unregister("after-call", unique_id="bench.tick.after")


class RunMessages:
    """The run messages the tick sends (a `before-parameter-build` hook on the SQS client)."""

    def __init__(self, runs_url: str):
        self.runs_url, self.bodies = runs_url, []
        self.events = queue.sqs().meta.events

    def _capture(self, params, model, **_):
        if model.name == "SendMessageBatch" and params.get("QueueUrl") == self.runs_url:
            self.bodies += [json.loads(e["MessageBody"]) for e in params["Entries"]]

    def __enter__(self):
        self.events.register("before-parameter-build.sqs.SendMessageBatch", self._capture,
                             unique_id="bench.tick.runs")
        return self

    def __exit__(self, *exc):
        self.events.unregister("before-parameter-build.sqs.SendMessageBatch", unique_id="bench.tick.runs")


def indexed_tick(fanout_url: str, deadline: float) -> dict:
    """Level 1 and all of level 2, as the Lambdas would do them."""
    sqs = queue.sqs()
    jobs = tick.hourly(AT)
    handled = follow_ups = 0
    while True:
        if time.monotonic() > deadline:
            raise BenchError("the indexed tick ran past --max-seconds")
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


def scan_tick() -> set[str]:
    """The naive tick: read every index item and keep the due rules."""
    return {e.automation_id for e in ScheduleEntry.scan() if cron.is_due(e.cron, AT)}


def queued_messages(runs_url: str) -> int:
    attrs = queue.sqs().get_queue_attributes(QueueUrl=runs_url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesDelayed"])


def bench_size(mock, total: int, due: int, deadline: float) -> dict:
    mock.reset()
    tables.ensure_tables()
    queues = tables.ensure_queues()
    os.environ.update(RUNS_QUEUE_URL=queues["runs"], FANOUT_QUEUE_URL=queues["fanout"],
                      RUNS_DLQ_URL=queues["runs_dlq"])
    rules = rule_crons(total, due)
    expected = {rule_id for rule_id, expr in rules if cron.is_due(expr, AT)}
    if len(expected) != due:
        raise BenchError(f"the data has {len(expected)} due rules, not {due}")
    say(f"\n== {total:,} rules, {due:,} due at {AT:%Y-%m-%d %H:%M} UTC "
        f"(SCHEDULE_SHARDS={settings.schedule_shards()}, PAGE={tick.PAGE}, "
        f"JITTER_SECONDS={settings.get('JITTER_SECONDS')})")
    started = time.perf_counter()
    items = write_index(rules)
    say(f"  index written: {items:,} items in {time.perf_counter() - started:.1f} s")
    if time.monotonic() > deadline:
        raise BenchError("writing the index ran past --max-seconds")

    meter = DynamoMeter()
    with meter, RunMessages(queues["runs"]) as runs:
        started = time.perf_counter()
        level = indexed_tick(queues["fanout"], deadline)
        indexed_seconds = time.perf_counter() - started
    indexed = {"items": meter.items, "returned": meter.returned, "calls": dict(meter.calls),
               "dynamo_seconds": meter.seconds, "seconds": indexed_seconds, **level}
    sent_ids = [b["automation_id"] for b in runs.bodies]
    problems = []
    if len(sent_ids) != due:
        problems.append(f"{len(sent_ids)} run messages sent, expected {due}")
    if set(sent_ids) != expected:
        problems.append(f"run messages name {len(set(sent_ids) - expected)} rule(s) not due and miss "
                        f"{len(expected - set(sent_ids))} due rule(s)")
    in_queue = queued_messages(queues["runs"])
    if in_queue != due:
        problems.append(f"{in_queue} messages in the runs queue, expected {due}")
    if set(meter.calls) != {"Query"}:
        problems.append(f"the indexed tick made DynamoDB calls other than Query: {meter.calls}")

    with meter:
        started = time.perf_counter()
        scan_due = scan_tick()
        scan_seconds = time.perf_counter() - started
    scanned = {"items": meter.items, "returned": meter.returned, "calls": dict(meter.calls),
               "dynamo_seconds": meter.seconds, "seconds": scan_seconds, "due": len(scan_due)}
    if scan_due != expected:
        problems.append(f"the scan found {len(scan_due)} due rules, expected {due}")

    say(f"  indexed tick: {indexed['items']:>7,} items read in {indexed['calls'].get('Query', 0)} Query calls, "
        f"{indexed['seconds']:.3f} s ({indexed['dynamo_seconds']:.3f} s in DynamoDB); "
        f"{indexed['jobs']} jobs + {indexed['follow_ups']} follow-up(s), {len(sent_ids):,} run messages "
        f"({len(set(sent_ids)):,} rules)",
        f"  scan tick:    {scanned['items']:>7,} items read in {scanned['calls'].get('Scan', 0)} Scan call(s), "
        f"{scanned['seconds']:.3f} s ({scanned['dynamo_seconds']:.3f} s in DynamoDB); {len(scan_due):,} due "
        "(no messages sent)")
    for problem in problems:
        say(f"  PROBLEM: {problem}")
    return {"total": total, "index_items": items, "indexed": indexed, "scan": scanned, "problems": problems,
            "messages": len(sent_ids)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="rule counts, comma-separated (default 10000,100000)")
    parser.add_argument("--due", type=int, default=1000, help="rules due at the ticked hour (default 1000)")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="give up after this long (default 3600)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers; got {args.sizes!r}")
    if not sizes or any(s < args.due or s <= 0 for s in sizes) or args.due <= 0:
        parser.error("every size must be at least --due, and --due at least 1")
    deadline = time.monotonic() + args.max_seconds
    results = []
    try:
        with mock_aws() as mock:
            for total in sizes:
                results.append(bench_size(mock, total, args.due, deadline))
    except BenchError as exc:
        say(f"\nbench failed: {exc}")
        return 1

    say("", f"== Summary (tick of {AT:%Y-%m-%d %H:%M} UTC, {args.due:,} due rules)",
        f"{'rules':>9} {'index items':>12} | {'indexed: items read':>19} {'seconds':>8} {'messages':>8} | "
        f"{'scan: items read':>16} {'seconds':>8}")
    for r in results:
        say(f"{r['total']:>9,} {r['index_items']:>12,} | {r['indexed']['items']:>19,} "
            f"{r['indexed']['seconds']:>8.3f} {r['messages']:>8,} | {r['scan']['items']:>16,} "
            f"{r['scan']['seconds']:>8.3f}")
    reads = {r["indexed"]["items"] for r in results}
    ok = len(reads) == 1 and not any(r["problems"] for r in results)
    if len(reads) == 1:
        say(f"indexed tick reads the same {reads.pop():,} items at every size")
    else:
        say(f"PROBLEM: the indexed tick read different item counts across sizes: {sorted(reads)}")
    say("(moto's Query sorts the whole table on every call, so the indexed tick's seconds here grow with the "
        "table; on DynamoDB a Query costs the items it reads)")
    say("all checks passed" if ok else "some checks FAILED (see PROBLEM lines)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
