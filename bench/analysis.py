"""Benchmark of the noise analysis over a week of 100,000 alert events on 500
distinct alerts, on the local stack.

    .venv/bin/python bench/analysis.py [--alerts 500] [--events 100000] [--json]

It starts its own local stack (`python -m devstack`, engine and cloud sandbox
on, in a temporary STACK_DIR on free ports of 127.0.0.1), loads the week into
the stack's tables (bench/opsdata.py: the service's own ingestion code on the
in-memory repositories, then the items filed in batches), makes an automation
from the "noise-reduction" preset over HTTP, starts a run and waits for it.
It reports:

- the run's time from start to end, as the stack recorded it (the sandbox
  process runs the analysis; every tool call goes to the API with the run's
  lease token, and the API reads the stack's DynamoDB);
- the sandbox process's peak memory (VmHWM) and the API process's;
- the items the analysis read: the same analysis in this process against the
  stack's DynamoDB, every request counted (bench/events.py's meter), with
  items read per distinct alert per day (the goal is at most 10).

Everything stays on 127.0.0.1; every wait is bounded.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

from bench.trigger import HTTP_TIMEOUT, BenchError, Stack, configure_aws_env  # noqa: E402

RUN_WAIT = 300.0


def peak_kib(pid: int) -> int | None:
    """A process's peak resident memory (VmHWM), in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def processes_of(root_pid: int) -> dict[int, str]:
    """The stack's process tree: pid -> command line."""
    children, out = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    todo = [root_pid]
    while todo:
        pid = todo.pop()
        try:
            out[pid] = (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
        todo += children.get(pid, [])
    return out


def run_noise(api_url: str, key: str) -> dict:
    headers = {"Authorization": f"Bearer {key}"}
    made = requests.post(f"{api_url}/automations", headers=headers, timeout=HTTP_TIMEOUT,
                         json={"template_id": "noise-reduction", "locale": "en-US", "triggers": [{"type": "api"}]})
    if made.status_code != 201:
        raise BenchError(f"POST /automations answered {made.status_code}: {made.text[:300]}")
    rule_id = made.json()["automation"]["id"]
    started = requests.post(f"{api_url}/automations/{rule_id}/runs", headers=headers, json={}, timeout=HTTP_TIMEOUT)
    run_id = started.json()["run"]["id"]
    deadline = time.monotonic() + RUN_WAIT
    while time.monotonic() < deadline:
        run = requests.get(f"{api_url}/runs/{run_id}", headers=headers, timeout=HTTP_TIMEOUT).json()["run"]
        if run["status"] not in ("queued", "running", "retrying"):
            break
        time.sleep(0.5)
    else:
        raise BenchError(f"the run did not end within {RUN_WAIT:.0f} s")
    session = requests.get(f"{api_url}/sessions/{run['session_id']}", headers=headers,
                           timeout=HTTP_TIMEOUT).json()["session"]
    return {"run": run, "session": session}


def in_process(account_id: str, now) -> dict:
    """The same analysis here, its tool calls answered by the service's code against the stack's DynamoDB."""
    from bench.events import DynamoReads
    from chalicelib.ops import tools
    from sre_agent.agents.base import Task
    from sre_agent.analyses import for_template

    calls = []

    def call(name, args):
        calls.append(name)
        return tools.call(account_id, name, args, now)
    task = Task(prompt="", automation_id="aut_bench", run_id="run_bench", template_id="noise-reduction")
    with DynamoReads() as read:
        start = time.perf_counter()
        result = for_template("noise-reduction")(call, task, now, "en-US")
        seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "requests": read.requests, "items": read.items, "tool_calls": len(calls),
            "summary": result.summary}


def run(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-analysis-") as tmp:
        stack = Stack(Path(tmp), engine=True)
        print(f"starting the local stack (API port {stack.api_port}, moto port {stack.moto_port}) …", flush=True)
        try:
            info = stack.start()
            configure_aws_env(info["aws_endpoint"])
            from bench import opsdata
            from chalicelib.clock import utcnow
            from chalicelib.identity.caller import authenticate
            account_id = authenticate({"authorization": f"Bearer {info['api_key']}"}).account_id
            now = utcnow()
            print(f"loading {args.events} alert events over {args.alerts} alerts into the stack's tables …",
                  flush=True)
            started = time.perf_counter()
            loaded = opsdata.load(account_id, opsdata.week(now - timedelta(minutes=5), args.alerts, args.events), now)
            print(f"  loaded {loaded} in {time.perf_counter() - started:.0f} s", flush=True)
            tree = processes_of(stack.proc.pid)
            sandbox = next((pid for pid, cmd in tree.items() if "devstack.sandbox" in cmd), None)
            api = next((pid for pid, cmd in tree.items() if "chalice" in cmd and "local" in cmd), stack.proc.pid)
            before = {"sandbox": peak_kib(sandbox) if sandbox else None, "api": peak_kib(api)}
            print("running the noise-reduction preset on the stack …", flush=True)
            out = run_noise(info["api_url"], info["api_key"])
            after = {"sandbox": peak_kib(sandbox) if sandbox else None, "api": peak_kib(api)}
            print("the same analysis in-process, its DynamoDB requests counted …", flush=True)
            here = in_process(account_id, utcnow())
        finally:
            code = stack.stop()
            print(f"stack stopped (exit code {code})", flush=True)
    run_ = out["run"]
    from chalicelib.clock import parse_iso
    seconds = (parse_iso(run_["finished_at"]) - parse_iso(run_["started_at"])).total_seconds() \
        if run_.get("finished_at") and run_.get("started_at") else None
    days = 8  # the UTC days a 7-day window touches
    return {"loaded": loaded, "run": {"status": run_["status"], "reason": run_.get("reason"),
                                      "seconds": seconds, "tool_calls": len(out["session"]["tool_calls"])},
            "memory_kib": {"before": before, "after": after}, "in_process": here,
            "items_per_alert_day": round(here["items"] / (loaded["alerts"] * days), 2)}


def report(fig: dict) -> None:
    r, m, h = fig["run"], fig["memory_kib"], fig["in_process"]
    print("", "=" * 78, f"SUMMARY  noise analysis over {fig['loaded']['alert_events']} alert events, "
          f"{fig['loaded']['alerts']} alerts, one week (local stack)", sep="\n")
    print(f"  run on the stack : {r['status']} in {r['seconds']} s (start to end), {r['tool_calls']} tool calls"
          + (f"; reason: {r['reason']}" if r["reason"] else ""))
    print(f"  peak memory      : sandbox {_mib(m['after']['sandbox'])} "
          f"(before the run {_mib(m['before']['sandbox'])}), API and moto {_mib(m['after']['api'])} "
          f"(before the run {_mib(m['before']['api'])}: moto holds every table in it)")
    print(f"  reads            : {h['requests']} DynamoDB requests reading {h['items']} items for "
          f"{fig['loaded']['alert_days']} alert-days of {fig['loaded']['firings']} firings = "
          f"{fig['items_per_alert_day']} items per alert per day; in-process {h['seconds']} s")
    print(f"  summary          : {h['summary']}")
    print("=" * 78)


def _mib(kib):
    return "?" if kib is None else f"{kib / 1024:.0f} MiB"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = run(args)
    report(figures)
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    sys.exit(main())
