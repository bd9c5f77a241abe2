"""Benchmark of `POST /events` on the local stack when the event fires actions
at slow receivers.

    .venv/bin/python bench/events_send.py [--events 20] [--delay 1.0] [--calls 10] [--json]

It starts its own local stack (`python -m devstack`, engine on, in a temporary
STACK_DIR on free ports of 127.0.0.1), starts three webhook receivers on
127.0.0.1 that each answer only after `--delay` seconds, and creates an
automation whose event trigger fires on `bench.*` with three webhook actions
(`on: ["triggered"]`), one per receiver. Then it measures:

- `POST /events` over real HTTP, one new event per request, sequentially:
  p50/p99/max latency and the answers other than 202;
- whether every action still reached its receiver (3 per event), and how long
  after the last POST the last one arrived;
- the AWS calls one such event costs, counted by wrapping botocore's
  `BaseClient._make_api_call` while calling `fire.receive` (what
  `POST /events` runs: ingestion, matching, the runs fired) in-process
  against the stack's moto (the HTTP sends to the receivers are not AWS calls).

Everything stays on 127.0.0.1; every loop is bounded in count and time.
"""
import argparse
import http.server
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # EMF documents would drown the figures

from bench.trigger import (  # noqa: E402
    HTTP_TIMEOUT,
    AllClientsCounter,
    BenchError,
    Stack,
    configure_aws_env,
    percentile,
)

RECEIVERS = 3


class SlowReceiver:
    """A webhook receiver on 127.0.0.1 that answers 200 after `delay` seconds."""

    def __init__(self, delay: float):
        self.times: list[float] = []
        lock, outer = threading.Lock(), self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(delay)
                with lock:
                    outer.times.append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def create_automation(api_url: str, key: str, receivers: list[SlowReceiver]) -> str:
    body = {"name": "bench events", "team_id": 0, "task_prompt": "Look at the event.",
            "triggers": [{"type": "event", "expect": ["bench.*"]}],
            "actions": [{"type": "webhook", "url": r.url, "on": ["triggered"], "retries": 0} for r in receivers]}
    resp = requests.post(f"{api_url}/automations", json=body, headers={"Authorization": f"Bearer {key}"},
                         timeout=HTTP_TIMEOUT)
    if resp.status_code != 201:
        raise BenchError(f"POST /automations answered {resp.status_code}: {resp.text[:500]}")
    return resp.json()["automation"]["id"]


def http_phase(api_url: str, key: str, count: int, timeout: float, max_seconds: float) -> dict:
    """`count` sequential POST /events, each a new event matching the trigger."""
    latencies, statuses = [], Counter()
    deadline = time.monotonic() + max_seconds
    with requests.Session() as session:
        for i in range(count):
            if time.monotonic() > deadline:
                break
            event = {"id": f"bench-{uuid.uuid4().hex[:12]}", "event": "bench.fired", "resource": {"id": f"r{i}"}}
            start = time.perf_counter()
            try:
                resp = session.post(f"{api_url}/events", json=event, timeout=timeout,
                                    headers={"Authorization": f"Bearer {key}"})
                statuses[resp.status_code] += 1
            except requests.RequestException as exc:
                statuses[type(exc).__name__] += 1
            latencies.append(time.perf_counter() - start)
    latencies.sort()

    def ms(value):
        return round(value * 1000, 1) if value is not None else None
    return {"requests": len(latencies), "planned": count, "p50_ms": ms(percentile(latencies, 50)),
            "p99_ms": ms(percentile(latencies, 99)), "max_ms": ms(latencies[-1] if latencies else None),
            "non_202": len(latencies) - statuses.get(202, 0),
            "statuses": {str(k): v for k, v in statuses.items()}, "ended": time.monotonic()}


def wait_delivered(receivers: list[SlowReceiver], expected: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sum(len(r.times) for r in receivers) >= expected:
            break
        time.sleep(0.2)
    return sum(len(r.times) for r in receivers)


def aws_calls_phase(aws_endpoint: str, api_key: str, calls: int) -> dict:
    """fire.receive (POST /events) in-process against the stack's moto, every botocore call counted."""
    # as in the stack: the receivers are on 127.0.0.1 (set before the settings are read, in configure_aws_env)
    os.environ.setdefault("ALLOW_LOOPBACK", "true")
    configure_aws_env(aws_endpoint)
    from chalicelib.clock import utcnow
    from chalicelib.identity.caller import authenticate
    from chalicelib.runs import fire

    account_id = authenticate({"authorization": f"Bearer {api_key}"}).account_id
    counter = AllClientsCounter()
    try:
        fire.receive(account_id, {"event": "bench.warm", "resource": {"id": "warm"}}, utcnow())  # warm clients
        counter.reset()
        start = time.perf_counter()
        for i in range(calls):
            fire.receive(account_id, {"id": f"bench-aws-{uuid.uuid4().hex[:10]}", "event": "bench.fired",
                                      "resource": {"id": f"aws{i}"}}, utcnow())
        elapsed = time.perf_counter() - start
    finally:
        counter.close()
    return {"events": calls, "per_event": round(counter.count / calls, 2),
            "by_operation_per_event": {k: round(v / calls, 2) for k, v in sorted(counter.names.items())},
            "in_process_ms_per_event": round(elapsed / calls * 1000, 1)}


def run(args) -> dict:
    receivers = [SlowReceiver(args.delay) for _ in range(RECEIVERS)]
    with tempfile.TemporaryDirectory(prefix="bench-events-send-") as tmp:
        stack = Stack(Path(tmp), engine=True)
        print(f"starting the local stack (API port {stack.api_port}, moto port {stack.moto_port}) …", flush=True)
        try:
            info = stack.start()
            create_automation(info["api_url"], info["api_key"], receivers)
            print(f"POST /events x{args.events}, each firing {RECEIVERS} webhook actions at receivers that answer "
                  f"after {args.delay} s …", flush=True)
            timeout = max(HTTP_TIMEOUT, RECEIVERS * args.delay * 3)
            http = http_phase(info["api_url"], info["api_key"], args.events, timeout, args.max_seconds)
            expected = http["requests"] * RECEIVERS
            # the local stack's engine works the queue with two pollers, so allow for a backlog
            delivered = wait_delivered(receivers, expected, min(900.0, args.delay * expected / 4 + 60))
            last = max((t for r in receivers for t in r.times), default=http["ended"])
            print(f"counting AWS calls over {args.calls} in-process ingest() calls …", flush=True)
            aws = aws_calls_phase(info["aws_endpoint"], info["api_key"], args.calls)
        finally:
            code = stack.stop()
            for receiver in receivers:
                receiver.close()
            print(f"stack stopped (exit code {code})", flush=True)
    ended = http.pop("ended")
    return {"params": {"events": args.events, "delay_s": args.delay, "actions_per_event": RECEIVERS},
            "http": http, "delivered": {"expected": expected, "received": delivered,
                                        "last_after_last_post_s": round(max(0.0, last - ended), 1)},
            "aws_calls": aws}


def report(fig: dict) -> None:
    h, d, a = fig["http"], fig["delivered"], fig["aws_calls"]
    print("", "=" * 78, f"SUMMARY  POST /events with {fig['params']['actions_per_event']} actions at receivers "
          f"answering after {fig['params']['delay_s']} s (local stack)", sep="\n")
    print(f"  POST /events   : {h['requests']} requests, p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, "
          f"max {h['max_ms']} ms, non-202 {h['non_202']}")
    print(f"  delivered      : {d['received']} of {d['expected']} action sends reached their receivers, the last "
          f"{d['last_after_last_post_s']} s after the last POST")
    print(f"  AWS calls      : {a['per_event']} per event "
          f"({', '.join(f'{k} {v:g}' for k, v in a['by_operation_per_event'].items())}); "
          f"{a['in_process_ms_per_event']} ms per in-process ingest")
    print("=" * 78)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20, help="POST /events requests (default 20)")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds each receiver waits (default 1.0)")
    parser.add_argument("--calls", type=int, default=10, help="in-process ingest() calls counted (default 10)")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="time limit of the HTTP phase")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    if args.events < 1 or args.calls < 1 or args.delay < 0:
        parser.error("--events and --calls must be at least 1, --delay at least 0")
    try:
        fig = run(args)
    except BenchError as exc:
        print(f"bench/events_send.py: {exc}", file=sys.stderr)
        return 1
    report(fig)
    if args.json:
        print(json.dumps(fig, indent=2))
    return 0 if fig["http"]["non_202"] == 0 and fig["delivered"]["received"] >= fig["delivered"]["expected"] else 2


if __name__ == "__main__":
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    sys.exit(main())
