"""What the journal (devstack/journal.py) costs a write on the local stack.

    .venv/bin/python bench/journal.py [--writes 300] [--concurrency 8] [--json]

It starts the local stack twice (`python -m devstack`, in a temporary
STACK_DIR on free ports of 127.0.0.1, the engine off so the figures are the
writes' own): with the journal, and without it (`STACK_JOURNAL=0`: a crash
loses what was written since the last snapshot, as before the journal). In
each it measures:

- a durable write: PutItem sent straight to the stack's moto over HTTP, one
  at a time (with the journal, moto answers after the record's fsync);
- the same from `--concurrency` threads (group commit: one fsync covers every
  record appended while the one before it ran);
- the trigger URL (`POST /trigger/{id}`: GetItem, then PutItem and
  SendMessage, two journaled writes), one at a time.

And, for reference, this disk's append + fdatasync alone. Everything stays on
127.0.0.1; every loop is bounded.
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.crash import Stack  # noqa: E402

TABLE_SUFFIX = "-events"  # a table with string keys; the items written are the benchmark's own


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def figures(latencies: list[float], seconds: float) -> dict:
    return {"count": len(latencies), "per_second": round(len(latencies) / seconds, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 2), "p99_ms": round(percentile(latencies, 99) * 1000, 2)}


def disk_fsync(directory: Path, count: int) -> dict:
    """Append 300 bytes and fdatasync, `count` times: the floor of a durable write here."""
    path, sync = directory / "fsync-probe", getattr(os, "fdatasync", os.fsync)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    latencies, began = [], time.perf_counter()
    try:
        for _ in range(count):
            start = time.perf_counter()
            os.write(fd, b"x" * 299 + b"\n")
            sync(fd)
            latencies.append(time.perf_counter() - start)
    finally:
        os.close(fd)
        path.unlink()
    return figures(latencies, time.perf_counter() - began)


def _dynamodb(endpoint: str):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="local",
                        aws_secret_access_key="local", aws_session_token="local")


def _table(client) -> tuple[str, list[str]]:
    name = next(t for t in client.list_tables()["TableNames"] if t.endswith(TABLE_SUFFIX))
    schema = client.describe_table(TableName=name)["Table"]
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["AttributeDefinitions"]}
    keys = [k["AttributeName"] for k in schema["KeySchema"]]
    assert all(types[k] == "S" for k in keys), types
    return name, keys


def put_items(endpoint: str, count: int, threads: int, tag: str) -> dict:
    """PutItem `count` items from `threads` threads (one client each); their latencies."""
    table, keys = _table(_dynamodb(endpoint))
    latencies, lock = [], threading.Lock()

    def writer(worker: int) -> None:
        client = _dynamodb(endpoint)
        for n in range(worker, count, threads):
            item = {k: {"S": f"bench-{tag}-{n}"} for k in keys} | {"payload": {"S": "x" * 200}}
            start = time.perf_counter()
            client.put_item(TableName=table, Item=item)
            with lock:
                latencies.append(time.perf_counter() - start)

    pool = [threading.Thread(target=writer, args=(w,)) for w in range(threads)]
    began = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(300)
    return figures(latencies, time.perf_counter() - began)


def triggers(api_url: str, key: str, count: int) -> dict:
    """The trigger URL, `count` times one at a time."""
    created = requests.post(f"{api_url}/automations", headers={"Authorization": f"Bearer {key}"}, timeout=10,
                            json={"name": "journal bench", "team_id": 0, "task_prompt": "Summarise.",
                                  "overlap": "allow", "triggers": [{"type": "api"}]})
    created.raise_for_status()
    trigger = created.json()["api_trigger"]
    latencies, began = [], time.perf_counter()
    with requests.Session() as http:
        for _ in range(count):
            start = time.perf_counter()
            answer = http.post(trigger["url"], json={}, timeout=10,
                               headers={"Authorization": f"Bearer {trigger['token']}"})
            latencies.append(time.perf_counter() - start)
            assert answer.status_code == 202, answer.text
    return figures(latencies, time.perf_counter() - began)


def measure(journal: bool, writes: int, concurrency: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="journal-bench-") as state_dir:
        stack = Stack(Path(state_dir), STACK_ENGINE="0", **({} if journal else {"STACK_JOURNAL": "0"}))
        try:
            info = stack.start()
            put_items(info["aws_endpoint"], 20, 1, "warm")  # connections and code paths warm
            result = {"put_item": put_items(info["aws_endpoint"], writes, 1, "seq"),
                      f"put_item_x{concurrency}": put_items(info["aws_endpoint"], writes, concurrency, "conc"),
                      "trigger_url": triggers(info["api_url"], info["api_key"], writes)}
            stack.stop()
        finally:
            stack.kill_if_running()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    args = parser.parse_args()
    out = sys.stderr if args.json else sys.stdout
    with tempfile.TemporaryDirectory(prefix="journal-bench-") as probe:
        result = {"disk_fdatasync": disk_fsync(Path(probe), args.writes)}
    for journal in (True, False):
        result["journal" if journal else "no_journal"] = measure(journal, args.writes, args.concurrency)
    floor = result["disk_fdatasync"]
    print(f"this disk: append + fdatasync p50 {floor['p50_ms']} ms, p99 {floor['p99_ms']} ms", file=out)
    for mode in ("journal", "no_journal"):
        print(f"{'with the journal' if mode == 'journal' else 'without (STACK_JOURNAL=0)'}:", file=out)
        for name, got in result[mode].items():
            print(f"  {name:<14} {got['count']:4} writes  {got['per_second']:7.1f}/s  p50 {got['p50_ms']:7.2f} ms"
                  f"  p99 {got['p99_ms']:7.2f} ms", file=out)
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
