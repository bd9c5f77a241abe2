"""Benchmark of the trigger URL (`POST /trigger/{trigger_id}`) on the local stack.

    .venv/bin/python bench/trigger.py [--requests 300] [--concurrency 8] [--calls 50] [--json]

It starts its own local stack (`python -m devstack`, in a temporary STACK_DIR on
free ports of 127.0.0.1), creates an automation with an api trigger as the
account owner, and measures:

- the trigger URL over real HTTP: sequentially, then from several client
  threads (requests/second, p50/p99 latency, answers other than 202);
- the AWS calls one trigger costs, counted with botocore `before-call` hooks on
  every client the trigger path uses while calling `trigger_url.trigger`
  in-process against the stack's moto (expected: GetItem, PutItem, SendMessage),
  plus the cost of a repeated call with the same Idempotency-Key.

Everything stays on 127.0.0.1; every loop is bounded in count and time. The
stack is stopped with SIGINT at the end, as Ctrl-C would.
"""
import argparse
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
LOCALHOST = "127.0.0.1"
HTTP_TIMEOUT = 10.0  # seconds, per request
STACK_START_SECONDS = 120.0
STACK_STOP_SECONDS = 20.0
TAIL_LINES = 40


class BenchError(RuntimeError):
    """A failure that ends the benchmark with a clear message."""


# --- output -----------------------------------------------------------------

_out = sys.stdout  # the human report; stderr when --json owns stdout


def say(*lines: str) -> None:
    for line in lines:
        print(line, file=_out, flush=True)


# --- the local stack ----------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no output captured)"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"


class Stack:
    """`python -m devstack` as a subprocess, as a user would run it."""

    def __init__(self, stack_dir: Path, engine: bool = False):
        self.dir, self.engine = stack_dir, "1" if engine else "0"
        self.log_path = stack_dir / "stack.log"
        self.api_port = free_port()
        self.moto_port = free_port()
        while self.moto_port == self.api_port:
            self.moto_port = free_port()
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> dict:
        # The engine (queue pollers working every run) shares the stack's process
        # with moto; without it the figures are the trigger URL's alone.
        env = dict(os.environ, STACK_DIR=str(self.dir), PORT=str(self.api_port),
                   MOTO_PORT=str(self.moto_port), PYTHONUNBUFFERED="1", STACK_ENGINE=self.engine)
        env.pop("AWS_PROFILE", None)
        self._log = open(self.log_path, "wb")  # closed in stop()
        # Own session: a Ctrl-C on the benchmark does not reach the stack
        # directly; stop() sends it SIGINT itself.
        self.proc = subprocess.Popen([sys.executable, "-m", "devstack"], cwd=ROOT, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        stack_file = self.dir / "stack.json"
        deadline = time.monotonic() + STACK_START_SECONDS
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"the local stack exited with code {self.proc.returncode} before it was ready; "
                                 f"its output (last {TAIL_LINES} lines):\n{_tail(self.log_path)}")
            if stack_file.exists():
                try:
                    info = json.loads(stack_file.read_text())
                    if all(info.get(k) for k in ("api_url", "api_key", "aws_endpoint")):
                        return info
                except ValueError:
                    pass  # being written
            if time.monotonic() > deadline:
                raise BenchError(f"the local stack did not write {stack_file} within {STACK_START_SECONDS:.0f}s; "
                                 f"its output (last {TAIL_LINES} lines):\n{_tail(self.log_path)}")
            time.sleep(0.2)

    def stop(self) -> int | None:
        """SIGINT, then wait; SIGKILL (its own process group) after STACK_STOP_SECONDS."""
        proc, code = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGINT)
                    code = proc.wait(STACK_STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    say(f"the stack did not stop within {STACK_STOP_SECONDS:.0f}s after SIGINT; killing it")
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)  # the group start_new_session made for it
                    except ProcessLookupError:
                        pass
                    code = proc.wait(5)
            else:
                code = proc.returncode
        if self._log is not None:
            self._log.close()
        return code


# --- HTTP ---------------------------------------------------------------------

def create_automation(api_url: str, api_key: str) -> tuple[str, str]:
    """POST /automations with an api trigger; the trigger URL and its token."""
    body = {"name": "bench", "team_id": 0, "task_prompt": "bench", "triggers": [{"type": "api"}]}
    resp = requests.post(f"{api_url}/automations", json=body, timeout=HTTP_TIMEOUT,
                         headers={"Authorization": f"Bearer {api_key}"})
    if resp.status_code != 201:
        raise BenchError(f"POST /automations answered {resp.status_code}: {resp.text[:500]}")
    trigger = resp.json().get("api_trigger") or {}
    if not trigger.get("url") or not trigger.get("token"):
        raise BenchError(f"POST /automations answered without api_trigger.url/token: {resp.text[:500]}")
    if urlparse(trigger["url"]).hostname != LOCALHOST:
        raise BenchError(f"the trigger URL {trigger['url']} is not on {LOCALHOST}; refusing to send traffic there")
    return trigger["url"], trigger["token"]


def baseline_phase(api_url: str, count: int, max_seconds: float) -> dict:
    """GET /health (no AWS call): the floor of one request through chalice local."""
    latencies, deadline = [], time.monotonic() + max_seconds
    with requests.Session() as session:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            start = time.perf_counter()
            session.get(f"{api_url}/health", timeout=HTTP_TIMEOUT).raise_for_status()
            latencies.append(time.perf_counter() - start)
    latencies.sort()
    return {"requests": len(latencies), "p50_ms": round(percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(latencies, 99) * 1000, 2)}


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _client(url: str, headers: dict, body: bytes, count: int, deadline: float) -> tuple[list[float], Counter]:
    """One client thread: its own Session, up to `count` requests before `deadline`."""
    latencies, statuses = [], Counter()
    with requests.Session() as session:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            start = time.perf_counter()
            try:
                resp = session.post(url, data=body, headers=headers, timeout=HTTP_TIMEOUT)
                resp.content  # noqa: B018 - read the whole answer inside the timing
                statuses[resp.status_code] += 1
            except requests.RequestException as exc:
                statuses[type(exc).__name__] += 1
            latencies.append(time.perf_counter() - start)
    return latencies, statuses


def http_phase(url: str, token: str, total: int, concurrency: int, max_seconds: float) -> dict:
    """`total` POSTs to the trigger URL split over `concurrency` client threads."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"text": "bench"}).encode()
    shares = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]
    shares = [s for s in shares if s]
    deadline = time.monotonic() + max_seconds
    start = time.perf_counter()
    if len(shares) == 1:
        results = [_client(url, headers, body, shares[0], deadline)]
    else:
        barrier = threading.Barrier(len(shares))

        def run(share):
            barrier.wait(30)
            return _client(url, headers, body, share, deadline)

        with ThreadPoolExecutor(len(shares)) as pool:
            results = list(pool.map(run, shares))
        # The barrier makes the threads start together; the clock already runs.
    elapsed = time.perf_counter() - start
    latencies = sorted(lat for lats, _ in results for lat in lats)
    statuses = Counter()
    for _, st in results:
        statuses.update(st)
    done = len(latencies)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return {
        "clients": len(shares), "requests": done, "planned": total, "seconds": round(elapsed, 3),
        "rps": round(done / elapsed, 1) if elapsed > 0 else None,
        "p50_ms": round(p50 * 1000, 2) if p50 is not None else None,
        "p99_ms": round(p99 * 1000, 2) if p99 is not None else None,
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "non_202": done - statuses.get(202, 0),
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
        "timed_out": done < total,
    }


# --- AWS calls per trigger ----------------------------------------------------

def configure_aws_env(aws_endpoint: str) -> str:
    """Point this process at the stack's moto (the AWS SDK reads the
    environment; chalicelib's settings are read from it once, here, on first
    use), and give the settings the stack's runs queue; returns its URL."""
    if urlparse(aws_endpoint).hostname != LOCALHOST:
        raise BenchError(f"aws_endpoint {aws_endpoint} is not on {LOCALHOST}; refusing to use it")
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update({
        "AWS_ENDPOINT_URL": aws_endpoint, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local", "AWS_DEFAULT_REGION": "us-east-1",
    })
    import boto3

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from chalicelib import settings

    queue_name = f"{settings.current().table_prefix}-runs"
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    settings.install(replace(settings.current(), runs_queue_url=queue_url))
    return queue_url


class CallCounter:
    """A botocore `before-call` handler counting (service, operation) pairs."""

    def __init__(self):
        self.calls: Counter = Counter()
        self.events: Counter = Counter()
        self._lock = threading.Lock()

    def __call__(self, model=None, event_name=None, **_):
        with self._lock:
            self.calls[f"{model.service_model.service_name}:{model.name}"] += 1
            self.events[event_name] += 1

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.events.clear()

    def total(self) -> int:
        return sum(self.calls.values())

    def snapshot(self) -> dict:
        return dict(sorted(self.calls.items()))


class AllClientsCounter:
    """Counts every botocore API call made in this process, hooked or not, by
    wrapping BaseClient._make_api_call: a check that the hooks saw everything."""

    def __init__(self):
        import botocore.client

        self.count = 0
        self.names: Counter = Counter()
        self._cls = botocore.client.BaseClient
        self._orig = self._cls._make_api_call
        counter = self

        def counting(client, operation_name, api_params):
            counter.count += 1
            counter.names[operation_name] += 1
            return counter._orig(client, operation_name, api_params)

        self._cls._make_api_call = counting

    def reset(self) -> None:
        self.count = 0
        self.names.clear()

    def close(self) -> None:
        self._cls._make_api_call = self._orig


def aws_calls_phase(trigger_url_str: str, token: str, calls: int, max_seconds: float) -> dict:
    """Call `trigger_url.trigger` in-process and count the AWS calls per trigger."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    # The hooks go on the clients themselves (and a wrapper of every client
    # checks that they saw every call): the store's pynamodb models (private to
    # the store) are the only way to reach its DynamoDB clients, one per table.
    from chalicelib.clock import utcnow
    from chalicelib.runs import trigger_url
    from chalicelib.store import repos
    from chalicelib.store.models import ALL_MODELS

    trigger_id = urlparse(trigger_url_str).path.rstrip("/").rsplit("/", 1)[-1]
    counter = CallCounter()
    clients = {}
    for model in ALL_MODELS:
        client = model._get_connection().connection.client
        clients[id(client)] = (f"{model.__name__} ({model.Meta.table_name})", client)
    sqs_client = repos.queues.client()
    clients[id(sqs_client)] = ("runs queue (SQS)", sqs_client)
    for _, client in clients.values():
        client.meta.events.register("before-call", counter)
    everything = AllClientsCounter()
    try:
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        body = json.dumps({"text": "bench"}).encode()

        # The first call in this process (cold clients), counted on its own.
        counter.reset()
        everything.reset()
        trigger_url.trigger(trigger_id, headers, body, utcnow())
        cold = {"total": counter.total(), "by_operation": counter.snapshot()}

        counter.reset()
        everything.reset()
        deadline = time.monotonic() + max_seconds
        done, start = 0, time.perf_counter()
        for _ in range(calls):
            if time.monotonic() > deadline:
                break
            run = trigger_url.trigger(trigger_id, headers, body, utcnow())
            if run.status != "queued":
                raise BenchError(f"trigger() returned a run in status {run.status!r}, not 'queued'")
            done += 1
        elapsed = time.perf_counter() - start
        steady = {
            "triggers": done, "total": counter.total(),
            "per_trigger": round(counter.total() / done, 3) if done else None,
            "by_operation": counter.snapshot(),
            "by_operation_per_trigger": {k: round(v / done, 3) for k, v in counter.snapshot().items()} if done else {},
            "events": dict(sorted(counter.events.items())),
            "unhooked_calls": everything.count - counter.total(),
            "in_process_ms_per_trigger": round(elapsed / done * 1000, 2) if done else None,
        }

        # Idempotency-Key: the first call makes the run, the repeat finds it.
        key = f"bench-{secrets.token_hex(8)}"
        idem_headers = dict(headers, **{"idempotency-key": key})
        idem = {}
        run_ids = []
        for label in ("first", "repeat"):
            counter.reset()
            everything.reset()
            run = trigger_url.trigger(trigger_id, idem_headers, body, utcnow())
            run_ids.append(run.id)
            idem[label] = {"total": counter.total(), "by_operation": counter.snapshot(),
                           "unhooked_calls": everything.count - counter.total()}
        idem["same_run"] = run_ids[0] == run_ids[1]
    finally:
        everything.close()
        for _, client in clients.values():
            client.meta.events.unregister("before-call", counter)
    return {"cold_first_call": cold, "steady": steady, "idempotency_key": idem,
            "clients_hooked": sorted(name for name, _ in clients.values())}


def queue_depth(queue_url: str) -> int | None:
    import boto3

    attrs = boto3.client("sqs", region_name="us-east-1").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    a = attrs.get("Attributes", {})
    return int(a.get("ApproximateNumberOfMessages", 0)) + int(a.get("ApproximateNumberOfMessagesNotVisible", 0))


# --- report -------------------------------------------------------------------

def _http_line(name: str, r: dict) -> str:
    extra = " (stopped at the time limit)" if r["timed_out"] else ""
    return (f"  {name:<22} {r['requests']:>5} req in {r['seconds']:>7.2f}s  {r['rps']:>8.1f} req/s  "
            f"p50 {r['p50_ms']:>7.2f} ms  p99 {r['p99_ms']:>7.2f} ms  non-202: {r['non_202']}{extra}")


def _ops(by_operation: dict) -> str:
    return ", ".join(f"{op.split(':', 1)[-1]} {n:g}" for op, n in by_operation.items())


def report(fig: dict) -> None:
    seq, conc, aws = fig["http"]["sequential"], fig["http"]["concurrent"], fig["aws_calls"]
    say("", "trigger URL over HTTP (statuses: sequential "
        f"{seq['statuses']}, concurrent {conc['statuses']})")
    say(_http_line("sequential", seq), _http_line(f"{conc['clients']} client threads", conc))
    h = fig["http"]["health_baseline"]
    say(f"  floor: GET /health (no AWS call), {h['requests']} sequential requests: "
        f"p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms")
    st = aws["steady"]
    say("", f"AWS calls per trigger (trigger_url.trigger in-process, {st['triggers']} calls, "
        f"{st['in_process_ms_per_trigger']} ms each against moto)")
    say(f"  cold first call: {aws['cold_first_call']['total']} calls {aws['cold_first_call']['by_operation']}")
    say(f"  steady: {st['total']} calls / {st['triggers']} triggers = {st['per_trigger']} per trigger")
    for op, per in st["by_operation_per_trigger"].items():
        say(f"    {op:<24} {per}")
    say(f"  calls made by clients without the hook: {st['unhooked_calls']}")
    idem = aws["idempotency_key"]
    say(f"  Idempotency-Key first call:  {idem['first']['total']} calls {idem['first']['by_operation']}",
        f"  Idempotency-Key repeat call: {idem['repeat']['total']} calls {idem['repeat']['by_operation']}"
        f" (same run: {idem['same_run']})")
    if fig.get("queue") is not None:
        q = fig["queue"]
        say("", f"runs queue: {q['messages']} messages for {q['accepted']} accepted triggers")

    say("", "=" * 78, "SUMMARY  trigger URL benchmark (local stack: chalice local + moto, 127.0.0.1)")
    say(f"  sequential     : {seq['rps']} req/s, p50 {seq['p50_ms']} ms, p99 {seq['p99_ms']} ms, "
        f"non-202 {seq['non_202']}/{seq['requests']}")
    say(f"  concurrent x{conc['clients']:<2}: {conc['rps']} req/s, p50 {conc['p50_ms']} ms, p99 {conc['p99_ms']} ms, "
        f"non-202 {conc['non_202']}/{conc['requests']}")
    say(f"  GET /health    : p50 {fig['http']['health_baseline']['p50_ms']} ms (chalice local floor, no AWS call)")
    say(f"  AWS calls      : {st['per_trigger']} per trigger ({_ops(st['by_operation_per_trigger'])})")
    say(f"  idempotent rpt : {idem['repeat']['total']} calls ({_ops(idem['repeat']['by_operation'])})")
    say("=" * 78)


# --- main ---------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=300, help="requests per HTTP phase (default 300)")
    p.add_argument("--concurrency", type=int, default=8, help="client threads of the concurrent phase (default 8)")
    p.add_argument("--warmup", type=int, default=20, help="warm-up requests before measuring (default 20)")
    p.add_argument("--calls", type=int, default=50, help="in-process trigger() calls counted (default 50)")
    p.add_argument("--max-seconds", type=float, default=120.0, help="time limit of each phase (default 120)")
    p.add_argument("--with-engine", action="store_true",
                   help="also work every queued run in the stack meanwhile (default: the trigger URL alone)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON on stdout (report on stderr)")
    args = p.parse_args(argv)
    for name in ("requests", "concurrency", "calls"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    if args.warmup < 0 or args.max_seconds <= 0:
        p.error("--warmup must be >= 0 and --max-seconds > 0")
    args.requests = min(args.requests, 100_000)
    args.calls = min(args.calls, 10_000)
    args.concurrency = min(args.concurrency, 256)
    return args


def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-trigger-") as tmp:
        stack = Stack(Path(tmp), engine=args.with_engine)
        say(f"starting the local stack (API port {stack.api_port}, moto port {stack.moto_port}, STACK_DIR {tmp}) …")
        try:
            started = time.perf_counter()
            info = stack.start()
            say(f"stack ready in {time.perf_counter() - started:.1f}s: {info['api_url']}")
            url, token = create_automation(info["api_url"], info["api_key"])
            say(f"automation created; trigger URL {url}")

            warm = None
            if args.warmup:
                warm = http_phase(url, token, args.warmup, 1, args.max_seconds)
                say(f"warm-up: {warm['requests']} requests, statuses {warm['statuses']}")
                if warm["non_202"] == warm["requests"]:
                    raise BenchError(f"every warm-up request failed: {warm['statuses']}")
            health = baseline_phase(info["api_url"], 50, args.max_seconds)
            say(f"sequential: {args.requests} requests …")
            seq = http_phase(url, token, args.requests, 1, args.max_seconds)
            say(f"concurrent: {args.requests} requests from {args.concurrency} client threads …")
            conc = http_phase(url, token, args.requests, args.concurrency, args.max_seconds)

            say(f"counting AWS calls over {args.calls} in-process trigger() calls …")
            queue_url = configure_aws_env(info["aws_endpoint"])
            aws = aws_calls_phase(url, token, args.calls, args.max_seconds)

            accepted = sum(p["statuses"].get("202", 0) for p in (warm, seq, conc) if p) \
                + 1 + aws["steady"]["triggers"] + 1  # the cold call, the steady ones, the idempotent first
            fig = {
                "params": {"requests": args.requests, "concurrency": args.concurrency, "warmup": args.warmup,
                           "calls": args.calls},
                "http": {"sequential": seq, "concurrent": conc, "health_baseline": health},
                "aws_calls": aws,
                "queue": {"messages": queue_depth(queue_url), "accepted": accepted},
            }
        finally:
            code = stack.stop()
            say(f"stack stopped (exit code {code})")
    return fig


def main(argv=None) -> int:
    global _out
    args = parse_args(argv)
    if args.json:
        _out = sys.stderr
    try:
        fig = run(args)
    except BenchError as exc:
        print(f"bench/trigger.py: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench/trigger.py: interrupted", file=sys.stderr)
        return 130
    report(fig)
    if args.json:
        print(json.dumps(fig, indent=2))
    ok = fig["http"]["sequential"]["non_202"] == 0 and fig["http"]["concurrent"]["non_202"] == 0
    return 0 if ok else 2


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    sys.exit(main())
