"""The local stack killed with SIGKILL under load, again and again: is every
acknowledged write still there after each restart?

    .venv/bin/python bench/crash.py [--kills 10] [--seed N] [--json]

It starts the local stack (`python -m devstack`, in a temporary STACK_DIR on
free ports of 127.0.0.1, the engine working the runs), creates an automation
with an api trigger, then `--kills` times:

1. puts a steady load on it from client threads: the trigger URL (two
   threads), `POST /events` (one), and `POST /automations` then `PATCH
   /automations/{id}` in turn (one);
2. once each kind of write was acknowledged at least once in this round,
   waits a random 0-6 s (the journal is compacted into the snapshot every
   5 s, so some kills land after a compaction, some during one), then kills
   the whole process group (the stack with moto, chalice local, the sandbox)
   with SIGKILL;
3. starts it again on the same STACK_DIR and looks for every item
   acknowledged since the start: each 202's run answers `GET /runs/{id}`,
   each 201's automation is in `GET /automations` with the name of its
   last acknowledged PATCH (or of the one in flight at the kill, which may
   have landed), each accepted event id is in `GET /events`.

It prints, per round and in total, what was acknowledged, found and lost, and
exits 1 when anything acknowledged was lost. Everything stays on 127.0.0.1;
every loop is bounded in count and time. tests/test_e2e_durability.py runs
three rounds of it.
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
HTTP_TIMEOUT = 10.0
START_SECONDS = 120.0
KILL_WITHIN = 6.0  # seconds: the kill comes at a random moment this long after each kind was acknowledged once
FIRST_ACK_SECONDS = 60.0
EVENT_NAME = "deploy.finished"
EVENTS_RESOURCE = "crash-loop"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gone(group: int, seconds: float = 30.0) -> None:
    """Wait until every process of a killed process group has exited: the
    stack's children (chalice local, the sandbox) may outlive it by a moment,
    holding the API's port that a restart binds again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


class Stack:
    """`python -m devstack` in its own process group, as `make run` starts it."""

    def __init__(self, state_dir: Path, **env):
        self.state_dir, self.log = Path(state_dir), Path(state_dir) / "stack.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in (
            "TABLE_PREFIX", "RUNS_QUEUE_URL", "PUBLIC_BASE_URL")}
        api_port = free_port()
        moto_port = free_port()
        while moto_port == api_port:
            moto_port = free_port()
        self.env.update(STACK_DIR=str(state_dir), PORT=str(api_port), MOTO_PORT=str(moto_port),
                        PYTHONUNBUFFERED="1", **env)
        self.proc = None

    def start(self) -> dict:
        """Start it and wait until it wrote a new stack.json; returns its content."""
        stack_file = self.state_dir / "stack.json"
        before = stack_file.stat().st_mtime_ns if stack_file.exists() else 0
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "devstack"], cwd=ROOT, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + START_SECONDS
        while not stack_file.exists() or stack_file.stat().st_mtime_ns == before:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the stack exited with {self.proc.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not start in {START_SECONDS:.0f}s:\n{self.tail()}")
            time.sleep(0.1)
        return json.loads(stack_file.read_text())

    def crash(self) -> None:
        """SIGKILL the stack and every process it started, at once: no shutdown, no last snapshot."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        gone(self.proc.pid)

    def stop(self) -> int:
        """Ctrl-C, as a user stops it."""
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.crash()
            raise

    def kill_if_running(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.crash()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class Acknowledged:
    """What the stack answered 2xx for, across every round (appended by the load threads)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.runs: list[str] = []
        self.events: list[str] = []
        self.automations: dict[str, dict] = {}  # id -> {"acked": name, "pending": name in flight or None}
        self.errors: list[str] = []  # answers that are neither an acknowledgement nor a dead connection

    def counts(self) -> dict:
        return {"runs": len(self.runs), "events": len(self.events), "automations": len(self.automations)}


class Load:
    """Client threads that write as fast as the stack answers, until stopped."""

    def __init__(self, url: str, key: str, trigger: dict, acked: Acknowledged, round_no: int):
        self.url, self.owner, self.trigger, self.acked = url, {"Authorization": f"Bearer {key}"}, trigger, acked
        self.round, self.stopping = round_no, threading.Event()
        self.threads = [threading.Thread(target=self._guarded, args=(work,), daemon=True)
                        for work in (self._triggers, self._triggers, self._events, self._saves)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(HTTP_TIMEOUT + 5)

    def _guarded(self, work) -> None:
        with requests.Session() as http:
            while not self.stopping.is_set():
                try:
                    work(http)
                except requests.RequestException:
                    time.sleep(0.05)  # the stack is gone (killed): nothing was acknowledged
                except Exception as exc:  # noqa: BLE001 - reported, not fatal to the loop
                    with self.acked.lock:
                        self.acked.errors.append(repr(exc))
                    time.sleep(0.05)

    def _unexpected(self, answer) -> None:
        with self.acked.lock:
            self.acked.errors.append(f"{answer.request.method} {answer.request.path_url}: "
                                     f"{answer.status_code} {answer.text[:200]}")

    def _triggers(self, http) -> None:
        answer = http.post(self.trigger["url"], json={"text": "crash loop"}, timeout=HTTP_TIMEOUT,
                           headers={"Authorization": f"Bearer {self.trigger['token']}"})
        if answer.status_code != 202:
            return self._unexpected(answer)
        with self.acked.lock:
            self.acked.runs.append(answer.json()["run_id"])

    def _events(self, http) -> None:
        event_id = f"ev-{self.round}-{random.getrandbits(48):012x}"
        answer = http.post(f"{self.url}/events", headers=self.owner, timeout=HTTP_TIMEOUT, json=[
            {"event": EVENT_NAME, "id": event_id, "resource": {"id": EVENTS_RESOURCE}}])
        if answer.status_code != 202:
            return self._unexpected(answer)
        with self.acked.lock:
            self.acked.events += answer.json()["accepted"]

    def _saves(self, http) -> None:
        name = f"crash {self.round} {random.getrandbits(32):08x}"
        answer = http.post(f"{self.url}/automations", headers=self.owner, timeout=HTTP_TIMEOUT, json={
            "name": name, "team_id": 0, "task_prompt": "Check the fleet.", "triggers": [{"type": "api"}]})
        if answer.status_code != 201:
            return self._unexpected(answer)
        automation_id = answer.json()["automation"]["id"]
        with self.acked.lock:
            self.acked.automations[automation_id] = {"acked": name, "pending": None}
        for _ in range(3):
            if self.stopping.is_set():
                return
            renamed = f"{name} v{random.getrandbits(16):04x}"
            with self.acked.lock:
                self.acked.automations[automation_id]["pending"] = renamed
            answer = http.patch(f"{self.url}/automations/{automation_id}", headers=self.owner,
                                timeout=HTTP_TIMEOUT, json={"name": renamed})
            if answer.status_code != 200:
                return self._unexpected(answer)
            with self.acked.lock:
                self.acked.automations[automation_id] = {"acked": renamed, "pending": None}


def _pages(http, url: str, headers: dict, field: str) -> list[dict]:
    """Every item of a paginated list."""
    items, cursor = [], None
    for _ in range(10_000):
        answer = http.get(url, headers=headers, timeout=HTTP_TIMEOUT,
                          params={"limit": 200, **({"cursor": cursor} if cursor else {})})
        answer.raise_for_status()
        items += answer.json()[field]
        cursor = answer.json().get("next_cursor")
        if not cursor:
            return items
    raise RuntimeError(f"{url}: more pages than expected")


def find(url: str, key: str, acked: Acknowledged) -> dict:
    """Look for every acknowledged item; returns {kind: {"acknowledged", "found", "lost": [ids]}}."""
    owner = {"Authorization": f"Bearer {key}"}

    def run_status(run_id: str) -> int:
        with requests.Session() as http:
            return http.get(f"{url}/runs/{run_id}", headers=owner, timeout=HTTP_TIMEOUT).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = dict(zip(acked.runs, pool.map(run_status, acked.runs), strict=True))
    unexpected = {run_id: status for run_id, status in statuses.items() if status not in (200, 404)}
    if unexpected:
        raise RuntimeError(f"GET /runs/{{id}} answered neither 200 nor 404: {unexpected}")
    with requests.Session() as http:
        events = {e["id"] for e in _pages(http, f"{url}/events?resource_id={EVENTS_RESOURCE}", owner, "events")}
        names = {a["id"]: a["name"] for a in _pages(http, f"{url}/automations", owner, "automations")}
    lost_automations = [a for a, n in acked.automations.items() if names.get(a) not in (n["acked"], n["pending"])]
    found = {
        "runs": [r for r, status in statuses.items() if status == 200],
        "events": [e for e in acked.events if e in events],
        "automations": [a for a in acked.automations if a not in lost_automations],
    }
    lost = {"runs": [r for r, status in statuses.items() if status == 404],
            "events": [e for e in acked.events if e not in events], "automations": lost_automations}
    return {kind: {"acknowledged": len(found[kind]) + len(lost[kind]), "found": len(found[kind]),
                   "lost": lost[kind]} for kind in found}


def crash_loop(state_dir: Path, kills: int, seed: int | None = None, say=print, **env) -> dict:
    """Run the loop; returns {"rounds": [...], "total": {...}, "errors": [...]}."""
    rng = random.Random(seed)
    stack = Stack(state_dir, **env)
    acked, rounds = Acknowledged(), []
    try:
        info = stack.start()
        url, key = info["api_url"], info["api_key"]
        created = requests.post(f"{url}/automations", headers={"Authorization": f"Bearer {key}"},
                                timeout=HTTP_TIMEOUT, json={"name": "crash loop", "team_id": 0, "overlap": "allow",
                                                            "task_prompt": "Summarise the fleet.",
                                                            "triggers": [{"type": "api"}]})
        created.raise_for_status()
        trigger = created.json()["api_trigger"]
        for round_no in range(1, kills + 1):
            load = Load(url, key, trigger, acked, round_no)
            before = acked.counts()
            began = time.monotonic()
            load.start()
            while not all(acked.counts()[kind] > before[kind] for kind in before):
                if time.monotonic() - began > FIRST_ACK_SECONDS:
                    raise RuntimeError(f"round {round_no}: not every kind of write was acknowledged within "
                                       f"{FIRST_ACK_SECONDS:.0f}s: {acked.errors[-5:]}\n{stack.tail()}")
                time.sleep(0.02)
            time.sleep(rng.uniform(0, KILL_WITHIN))
            wait = time.monotonic() - began
            stack.crash()
            load.stop()
            began = time.monotonic()
            info = stack.start()
            started = time.monotonic() - began
            url, key = info["api_url"], info["api_key"]
            result = find(url, key, acked)
            written = {kind: acked.counts()[kind] - before[kind] for kind in before}
            rounds.append({"round": round_no, "killed_after_s": round(wait, 2), "restart_s": round(started, 1),
                           "acknowledged_this_round": written, "found": result})
            lost = sum(len(r["lost"]) for r in result.values())
            say(f"round {round_no:2}: killed after {wait:4.1f}s, restarted in {started:4.1f}s; "
                f"acknowledged this round {written}; so far "
                + ", ".join(f"{kind} {r['found']}/{r['acknowledged']}" for kind, r in result.items())
                + f" found; lost {lost}")
        stack.stop()
    finally:
        stack.kill_if_running()
    last = rounds[-1]["found"] if rounds else {}
    total = {"acknowledged": sum(r["acknowledged"] for r in last.values()),
             "found": sum(r["found"] for r in last.values()),
             "lost": sum(len(r["lost"]) for rnd in rounds for r in rnd["found"].values())}
    return {"rounds": rounds, "total": total, "errors": acked.errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    args = parser.parse_args()
    out = sys.stderr if args.json else sys.stdout
    with tempfile.TemporaryDirectory(prefix="crash-loop-") as state_dir:
        result = crash_loop(Path(state_dir), args.kills, args.seed, say=lambda line: print(line, file=out,
                                                                                          flush=True))
    total = result["total"]
    print(f"\n{args.kills} kills: {total['acknowledged']} items acknowledged, {total['found']} found after the "
          f"last restart, {total['lost']} lost over all rounds; {len(result['errors'])} unexpected answers",
          file=out)
    for error in result["errors"][:10]:
        print(f"  unexpected: {error}", file=out)
    if args.json:
        print(json.dumps(result, indent=2))
    return 1 if total["lost"] or result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
