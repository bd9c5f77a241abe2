"""A self-hosted runner against the local stack: what an idle runner costs,
how fast a run reaches it, and how fast its session streams back.

    .venv/bin/python bench/runner.py [--idle-seconds 60] [--runs 10] [--messages 2000] [--message-bytes 2000]

Starts the local stack (`python -m devstack`, as `make run` does, on free
ports and a temporary state folder), registers a runner and runs it in this
process (`sre_client.runner.Runner`, the code `sre runner start` runs), then:

1. idle: the runner long-polls for `--idle-seconds` with no work; prints its
   requests per minute (every request it makes is counted);
2. latency: `--runs` runs triggered one after another through the trigger
   URL; for each, the time from the trigger's answer until GET /runs/{id}
   first shows it `running` on the runner (polled every 10 ms);
3. streaming: one run whose agent writes `--messages` messages of
   `--message-bytes` each; prints the session bytes the runner sent per
   second (JSON request bodies, batches of up to 25 items / 200 KB).
"""
import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sre_agent.agents.base import AgentOutcome  # noqa: E402
from sre_client.runner import Runner  # noqa: E402
from tests.test_e2e_stack import Stack  # noqa: E402


class BulkAgent:
    """Writes many messages: a session to stream."""

    def __init__(self, count: int, size: int):
        self.count, self.text = count, "x" * size

    def run(self, task, session, toolbox):
        for i in range(self.count):
            session.message("assistant", f"{i}: {self.text}")
        return AgentOutcome(summary="streamed")


class TimedRunner(Runner):
    def work(self, work):
        started = time.perf_counter()
        result = super().work(work)
        result["seconds"] = time.perf_counter() - started
        self.last = result
        return result


def _start_runner(url, token, runner_id, agent=None):
    runner = TimedRunner(url, token, runner_id, agent=agent)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    return runner, thread


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--message-bytes", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as state:
        stack = Stack(Path(state))
        info = stack.start()
        url, owner = info["api_url"], {"Authorization": f"Bearer {info['api_key']}"}
        try:
            made = requests.post(f"{url}/runners", headers=owner, json={"name": "bench", "pool": "bench"},
                                 timeout=5).json()
            rid, token = made["runner"]["id"], made["token"]
            rule = requests.post(f"{url}/automations", headers=owner, timeout=5, json={
                "name": "runner bench", "team_id": 0, "task_prompt": "Summarise.", "overlap": "allow",
                "environment": {"type": "runner", "runner_id": rid}, "triggers": [{"type": "api"}]}).json()
            trigger = rule["api_trigger"]

            runner, thread = _start_runner(url, token, rid)
            time.sleep(2)  # its first claim is under way
            before, t0 = runner.api.requests, time.perf_counter()
            time.sleep(args.idle_seconds)
            idle = (runner.api.requests - before) / ((time.perf_counter() - t0) / 60)
            print(f"idle runner: {runner.api.requests - before} requests in {args.idle_seconds:.0f} s "
                  f"-> {idle:.1f} requests/minute (long-poll of {runner.poll} s)", flush=True)

            latencies = []
            for i in range(args.runs):
                fired = requests.post(trigger["url"], json={"text": f"bench {i}"}, timeout=5,
                                      headers={"Authorization": f"Bearer {trigger['token']}"})
                t0 = time.perf_counter()
                status_url = fired.json()["status_url"]
                while True:
                    run = requests.get(status_url, headers=owner, timeout=5).json()["run"]
                    if run["status"] != "queued":
                        latencies.append(time.perf_counter() - t0)
                        break
                    time.sleep(0.01)
                while run["status"] in ("queued", "running"):
                    time.sleep(0.05)
                    run = requests.get(status_url, headers=owner, timeout=5).json()["run"]
                time.sleep(0.5)  # the runner is idle in its long poll again
            print(f"trigger -> running on the runner: p50 {statistics.median(latencies) * 1000:.0f} ms, "
                  f"max {max(latencies) * 1000:.0f} ms over {len(latencies)} runs", flush=True)
            runner.stopping.set()
            thread.join(30)

            bulk, thread = _start_runner(url, token, rid, agent=BulkAgent(args.messages, args.message_bytes))
            time.sleep(1)
            fired = requests.post(trigger["url"], json={"text": "stream"}, timeout=5,
                                  headers={"Authorization": f"Bearer {trigger['token']}"}).json()
            deadline = time.monotonic() + 600
            while getattr(bulk, "last", None) is None and time.monotonic() < deadline:
                time.sleep(0.1)
            result = bulk.last
            bulk.stopping.set()
            streamed = result["streamed"]
            session = requests.get(f"{url}/runs/{fired['run_id']}", headers=owner, timeout=5).json()["run"]
            print(f"session streamed: {streamed['items']} items, {streamed['bytes'] / 1e6:.1f} MB in "
                  f"{result['seconds']:.1f} s -> {streamed['bytes'] / result['seconds'] / 1e6:.2f} MB/s "
                  f"({streamed['bytes'] / result['seconds'] / 1e3:.0f} KB/s); run {session['status']}", flush=True)
            thread.join(30)
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    sys.exit(main())
