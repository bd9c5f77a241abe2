"""Benchmark of the worker: runs per second through `worker.handle_batch` with
the builtin agent and no URLs to check.

    .venv/bin/python bench/worker.py [--runs 500] [--batch 10] [--max-seconds 1200]

Everything runs in this process against moto (`mock_aws`): no network. It
creates an account and one automation with an api trigger (overlap "allow", so
runs do not skip each other while one is still running), queues `--runs` runs
as the trigger URL does (`records.new_queued` + `queue.enqueue`), then works the
runs queue like the worker Lambda: receive up to `--batch` messages, hand them
to `worker.handle_batch` as Lambda-shaped records, delete the handled ones.
It prints runs/second (whole loop, and time inside handle_batch alone), the
rate per window of runs as the history grows, the DynamoDB items the runs table
answered per run (`ScannedCount` of its Query calls, read from the answers by a
wrapper around botocore's `_make_api_call`), the AWS calls made inside
`handle_batch` per run (every client: a wrapper around botocore's
`_make_api_call`, by operation and table or queue), and the runs counted by
final status (all should be `succeeded`).
"""
import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Before boto3/pynamodb/chalicelib are imported: fake credentials, no real
# endpoint, and the bench's settings (read once, on first use: its own table names).
os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench",
                   "AWS_DEFAULT_REGION": "us-east-1", "TABLE_PREFIX": "bench-worker", "AGENT_BACKEND": "builtin",
                   "CLOUD_SANDBOX": "inline",  # the session worked in the worker (bench/cloud_run.py: the sandbox)
                   "PUBLIC_BASE_URL": "http://bench.invalid",
                   "POWERTOOLS_METRICS_DISABLED": "true",  # EMF documents would drown the figures
                   "LOG_LEVEL": "WARNING"})  # and so would two log lines per run
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_PROFILE"):
    os.environ.pop(_name, None)

from moto import mock_aws  # noqa: E402

from bench.aws_calls import CallMeter  # noqa: E402
from chalicelib import settings, worker  # noqa: E402
from chalicelib.clock import utcnow  # noqa: E402
from chalicelib.identity import directory  # noqa: E402
from chalicelib.identity.caller import Caller  # noqa: E402
from chalicelib.rules import automations  # noqa: E402
from chalicelib.runs import queue, records  # noqa: E402
from chalicelib.store import repos, tables  # noqa: E402
from chalicelib.store.records import Rule  # noqa: E402

PROMPT = "Summarise how this automation's recent runs went."  # no URL: nothing to fetch
EMPTY_RECEIVES = 3  # consecutive empty receives before the queue counts as drained
WINDOW = 100  # runs per progress line


class RunTableMeter:
    """Query calls on the runs table (and its indexes) and the items they read
    (ScannedCount): a wrapper around botocore's `_make_api_call` that reads the
    answers to Queries of that table, whichever client makes them."""

    def __init__(self):
        self.table = f"{settings.current().table_prefix}-runs"
        if self.table not in tables.table_names():
            raise BenchError(f"no runs table named {self.table} among {tables.table_names()}")
        self.queries = self.items = 0

    def __enter__(self):
        from botocore.client import BaseClient
        self.original, meter = BaseClient._make_api_call, self

        def metered(client, operation, params):
            answer = meter.original(client, operation, params)
            if operation == "Query" and params.get("TableName") == meter.table:
                meter.queries += 1
                meter.items += int(answer.get("ScannedCount", 0))
            return answer
        BaseClient._make_api_call = metered
        return self

    def __exit__(self, *exc):
        from botocore.client import BaseClient
        BaseClient._make_api_call = self.original


class BenchError(RuntimeError):
    """A failure that ends the benchmark with a clear message."""


def say(*lines: str) -> None:
    for line in lines:
        print(line, flush=True)


def setup() -> tuple[Rule, dict]:
    """Tables, queues, an account and one rule with overlap 'allow'."""
    settings.current()  # read from the environment set above: the bench's table names
    tables.ensure_tables()
    queues = tables.ensure_queues()
    settings.install(replace(settings.current(), runs_queue_url=queues["runs"], fanout_queue_url=queues["fanout"],
                             runs_dlq_url=queues["runs_dlq"], sandbox_queue_url=queues["sandbox"]))
    now = utcnow()
    owner, _ = directory.create_account("Bench account", "bench@example.com", now)
    caller = Caller(user_id=owner.id, account_id=owner.account_id, role="owner", email=owner.email)
    created, _ = automations.create(caller, {"name": "worker bench", "task_prompt": PROMPT,
                                             "triggers": [{"type": "api"}]},
                                    now, settings.current().base_url, "en-US")
    rule = repos.rules.get(created["id"])
    rule.overlap = "allow"
    repos.rules.put_many([rule])  # the rule item alone, as it is
    return rule, queues


def enqueue(rule: Rule, count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        run = records.new_queued(rule.id, rule.account_id, "api", utcnow(), text=f"bench run {i}")
        queue.enqueue(run)
    return time.perf_counter() - started


class Loop:
    """The worker loop's counters."""

    def __init__(self):
        self.handled = self.failed_items = self.batches = self.empty = 0
        self.handler_seconds = 0.0


def one_batch(sqs, runs_url: str, batch: int, loop: Loop, calls: CallMeter) -> None:
    """Receive one batch, hand it to the worker as Lambda records, delete what it handled."""
    got = sqs.receive_message(QueueUrl=runs_url, MaxNumberOfMessages=batch, WaitTimeSeconds=0,
                              VisibilityTimeout=960).get("Messages", [])
    if not got:
        loop.empty += 1
        return
    loop.empty = 0
    lambda_records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
                      for m in got]
    t0 = time.perf_counter()
    with calls.counting():
        result = worker.handle_batch(lambda_records)
    loop.handler_seconds += time.perf_counter() - t0
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    done = [m for m in got if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(QueueUrl=runs_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
    loop.handled += len(done)
    loop.failed_items += len(failed)
    loop.batches += 1


def work(runs_url: str, expected: int, batch: int, deadline: float) -> dict:
    """The worker loop, with a progress line per WINDOW runs; returns counts and timings."""
    sqs, loop, meter, calls = repos.queues.client(), Loop(), RunTableMeter(), CallMeter()
    started = time.perf_counter()
    window = {"start": started, "runs": 0, "queries": 0, "items": 0}
    with meter, calls:
        while loop.handled < expected and loop.empty < EMPTY_RECEIVES:
            if time.monotonic() > deadline:
                raise BenchError(f"the worker loop ran past --max-seconds after {loop.handled} of {expected} runs")
            one_batch(sqs, runs_url, batch, loop, calls)
            n = loop.handled - window["runs"]
            if n and (n >= WINDOW or loop.handled >= expected):
                now = time.perf_counter()
                say(f"  runs {window['runs'] + 1:>5}-{loop.handled:<5} {n / (now - window['start']):6.1f} runs/s; "
                    f"runs-table Query per run: {(meter.queries - window['queries']) / n:.1f} calls, "
                    f"{(meter.items - window['items']) / n:,.0f} items read")
                window = {"start": now, "runs": loop.handled, "queries": meter.queries, "items": meter.items}
    return {"handled": loop.handled, "failed_items": loop.failed_items, "batches": loop.batches,
            "seconds": time.perf_counter() - started, "handler_seconds": loop.handler_seconds,
            "queries": meter.queries, "items": meter.items, "calls": calls.summary(loop.handled)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=500, help="runs to queue and work (default 500)")
    parser.add_argument("--batch", type=int, default=10, choices=range(1, 11), metavar="1-10",
                        help="messages per receive / handle_batch call (default 10)")
    parser.add_argument("--max-seconds", type=float, default=1200.0, help="give up after this long (default 1200)")
    args = parser.parse_args(argv)
    if args.runs <= 0:
        parser.error("--runs must be at least 1")
    deadline = time.monotonic() + args.max_seconds
    try:
        with mock_aws():
            rule, queues = setup()
            say(f"automation {rule.id} (overlap={rule.overlap}, agent=builtin, no URLs); queuing {args.runs} runs")
            enqueue_seconds = enqueue(rule, args.runs)
            say(f"queued {args.runs} runs in {enqueue_seconds:.2f} s "
                f"({args.runs / enqueue_seconds:.1f} runs/s through records.new_queued + queue.enqueue)")
            stats = work(queues["runs"], args.runs, args.batch, deadline)
            runs = [r for r in repos.runs.every() if r.automation_id == rule.id]
            statuses = Counter(r.status for r in runs)
            reasons = Counter(r.reason for r in runs if r.status != "succeeded")
    except BenchError as exc:
        say(f"bench failed: {exc}")
        return 1

    rps = stats["handled"] / stats["seconds"] if stats["seconds"] else float("nan")
    handler_rps = stats["handled"] / stats["handler_seconds"] if stats["handler_seconds"] else float("nan")
    say("", "== Worker (builtin agent, no URLs, in-process moto)",
        f"runs worked:            {stats['handled']} of {args.runs} in {stats['batches']} batches of up to "
        f"{args.batch}",
        f"worker loop:            {stats['seconds']:.2f} s  ->  {rps:.1f} runs/s "
        "(receive + handle_batch + delete)",
        f"inside handle_batch:    {stats['handler_seconds']:.2f} s  ->  {handler_rps:.1f} runs/s",
        f"per run:                {1000 * stats['seconds'] / max(stats['handled'], 1):.1f} ms",
        f"runs-table Query:       {stats['queries'] / max(stats['handled'], 1):.1f} calls and "
        f"{stats['items'] / max(stats['handled'], 1):,.0f} items read per run (ScannedCount)",
        f"AWS calls per run:      {stats['calls']}",
        f"batch item failures:    {stats['failed_items']}",
        "final status:           " + ", ".join(f"{k}={v}" for k, v in sorted(statuses.items())))
    for reason, n in reasons.most_common(5):
        say(f"  not succeeded x{n}: {reason}")
    ok = statuses == Counter({"succeeded": args.runs}) and stats["failed_items"] == 0
    say("all runs succeeded" if ok else "PROBLEM: not every run succeeded")
    return 0 if ok else 1


if __name__ == "__main__":
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    sys.exit(main())
