"""Benchmark of saving and listing automations on the local stack, as the
account grows.

    .venv/bin/python bench/saves.py [--automations 1000] [--step 250]

It starts its own local stack (temporary STACK_DIR, free ports on 127.0.0.1,
the engine off so only the API works) and creates `--automations` rules one
after another through `POST /automations`, as the console does. Printed, every
`--step` rules: the median and worst save time seen by the client, the stack
processes' CPU time so far, and the time of a `GET /automations` whose filter
only one rule passes (the oldest one, disabled), which reads the whole account.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_e2e_stack import Stack  # noqa: E402

RULE = {"name": "nightly check", "task_prompt": "Check the service's error budget.",
        "triggers": [{"type": "schedule", "mode": "custom", "cron": "0 * * *"}, {"type": "api"}]}


def stack_cpu_seconds(pid: int) -> float:
    """User + system CPU of the stack process and its children (the API server, the sandbox)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1] is the parent pid
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--automations", type=int, default=1000)
    parser.add_argument("--step", type=int, default=250)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state_dir:
        stack = Stack(Path(state_dir), STACK_ENGINE="0")
        info = stack.start()
        try:
            api, session = info["api_url"], requests.Session()
            session.headers["Authorization"] = f"Bearer {info['api_key']}"
            oldest = session.post(f"{api}/automations", json=RULE, timeout=30).json()["automation"]["id"]
            session.post(f"{api}/automations/{oldest}/disable", timeout=30).raise_for_status()
            times = []
            print(f"{'rules':>6} {'save median':>12} {'save worst':>11} {'stack CPU':>10} {'sparse list':>12}")
            for made in range(2, args.automations + 1):
                started = time.perf_counter()
                answer = session.post(f"{api}/automations", json=RULE, timeout=30)
                times.append(time.perf_counter() - started)
                answer.raise_for_status()
                if made % args.step == 0 or made == args.automations:
                    started = time.perf_counter()
                    listed = session.get(f"{api}/automations?status=disabled&limit=10", timeout=60).json()
                    sparse = time.perf_counter() - started
                    assert [a["id"] for a in listed["automations"]] == [oldest], listed
                    print(f"{made:>6} {statistics.median(times) * 1000:>9.0f} ms {max(times) * 1000:>8.0f} ms "
                          f"{stack_cpu_seconds(stack.proc.pid):>8.1f} s {sparse * 1000:>9.0f} ms", flush=True)
                    times = []
        finally:
            stack.stop()


if __name__ == "__main__":
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    main()
