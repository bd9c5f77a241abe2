"""End to end: the local stack started as `make run` starts it, driven over real
HTTP like a new user would, then restarted to show the rules survive."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bench.crash import gone

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, state_dir: Path, **env):
        self.state_dir, self.log = state_dir, state_dir / "stack.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in (
            "TABLE_PREFIX", "RUNS_QUEUE_URL", "PUBLIC_BASE_URL")}
        self.env.update(STACK_DIR=str(state_dir), PORT=str(_free_port()), MOTO_PORT=str(_free_port()), **env)
        self.proc = None

    def start(self) -> dict:
        stack_file = self.state_dir / "stack.json"
        before = stack_file.stat().st_mtime_ns if stack_file.exists() else 0
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "devstack"], cwd=ROOT, env=self.env,
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while not stack_file.exists() or stack_file.stat().st_mtime_ns == before:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "stack did not start in 90s"
            time.sleep(0.2)
        return json.loads(stack_file.read_text())

    def crash(self) -> None:
        """Kill the stack and its API server at once, as a power cut would: no shutdown snapshot."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        gone(self.proc.pid)  # its children too: chalice local holds the port a restart binds

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def _wait_for(probe, seconds=15):
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _wait_for_end(status_url, headers):
    ended = ("succeeded", "partial", "failed", "skipped", "abandoned")
    return _wait_for(lambda: (lambda r: r if r["status"] in ended else None)(
        requests.get(status_url, headers=headers, timeout=5).json()["run"])) or \
        requests.get(status_url, headers=headers, timeout=5).json()["run"]


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path)
    yield s
    if s.proc and s.proc.poll() is None:
        os.killpg(s.proc.pid, signal.SIGKILL)


def test_new_user_flow_over_http_and_restart(stack):
    info = stack.start()
    url, owner = info["api_url"], {"Authorization": f"Bearer {info['api_key']}"}
    assert url.startswith("http://127.0.0.1:") and info["aws_endpoint"].startswith("http://127.0.0.1:")
    assert requests.get(f"{url}/health", timeout=5).json() == {"status": "ok"}

    user = requests.post(f"{url}/users", json={"email": "sre@example.com", "role": "member"}, headers=owner,
                         timeout=5)
    assert user.status_code == 201
    member = {"Authorization": f"Bearer {user.json()['api_key']}"}
    team = requests.post(f"{url}/teams", json={"name": "platform"}, headers=owner, timeout=5).json()["team"]
    assert requests.put(f"{url}/teams/{team['id']}/members/{user.json()['user']['id']}", headers=owner,
                        timeout=5).status_code == 200

    created = requests.post(f"{url}/automations", headers=member, timeout=5, json={
        "name": "Nightly checks", "team_id": team["id"], "task_prompt": "Check the API and report.",
        "triggers": [{"type": "schedule", "mode": "weekly", "hour": 2, "weekday": 1, "timezone": "Asia/Shanghai"},
                     {"type": "api"}]})
    assert created.status_code == 201, created.text
    rule, trigger = created.json()["automation"], created.json()["api_trigger"]
    assert rule["triggers"][0]["cron"] == "18 * * 0"
    assert trigger["url"].startswith(url + "/trigger/")

    # the trigger URL, as the curl example sends it
    fired = requests.post(trigger["url"], headers={"Authorization": f"Bearer {trigger['token']}"},
                          data=json.dumps({"text": "deploy 42 finished"}), timeout=5)
    assert fired.status_code == 202 and fired.json()["status"] == "queued"
    run = requests.get(fired.json()["status_url"], headers=member, timeout=5).json()["run"]
    assert run["status"] in ("queued", "running", "succeeded") and run["context"] == {"text": "deploy 42 finished"}
    # the stack's worker picks it up: succeeded within seconds, with its session
    run = _wait_for_end(fired.json()["status_url"], member)
    assert run["status"] == "succeeded", run
    session = requests.get(f"{url}/sessions/{run['session_id']}", headers=member, timeout=5).json()["session"]
    assert "deploy 42 finished" in session["messages"][0]["content"]
    assert session["artifacts"][0]["name"] == "report.md"
    history = requests.get(f"{url}/automations/{rule['id']}/runs", headers=member, timeout=5).json()
    assert [r["id"] for r in history["runs"]] == [run["id"]]

    # make tick for the rule's hour (Sunday 18:00 UTC): one scheduled run, even when ticked twice
    for _ in range(2):
        ticked = subprocess.run([sys.executable, "-m", "devstack.tick", "2026-11-29T18:00:00Z"], cwd=ROOT,
                                env=stack.env, capture_output=True, text=True, timeout=60)
        assert ticked.returncode == 0 and "fan-out jobs queued" in ticked.stdout, ticked.stderr
    scheduled = _wait_for(lambda: [r for r in requests.get(f"{url}/automations/{rule['id']}/runs?status=succeeded",
                                                           headers=member, timeout=5).json()["runs"]
                                   if r["trigger"] == "schedule"])
    assert [r["scheduled_for"] for r in scheduled] == ["2026-11-29T18:00:00Z"]

    rotated = requests.post(f"{url}/automations/{rule['id']}/api-trigger/rotate", headers=member, timeout=5).json()
    old = requests.post(trigger["url"], headers={"Authorization": f"Bearer {trigger['token']}"}, json={}, timeout=5)
    assert old.status_code == 401
    # the member who rotated is the rule's owner, so the new token works
    assert requests.post(rotated["url"], headers={"Authorization": f"Bearer {rotated['token']}"}, json={},
                         timeout=5).status_code == 202

    assert stack.stop() == 0
    log = stack.log.read_text()
    assert trigger["token"][-40:] not in log and rotated["token"][-40:] not in log

    # restart: same data, the saved owner key still works
    again = stack.start()
    assert again["api_key"] == info["api_key"]
    url = again["api_url"]
    names = [a["name"] for a in requests.get(f"{url}/automations", headers=owner, timeout=5).json()["automations"]]
    assert names == ["Nightly checks"]
    assert requests.post(f"{url}/trigger/{rotated['url'].rsplit('/', 1)[1]}",
                         headers={"Authorization": f"Bearer {rotated['token']}"}, json={}, timeout=5).status_code == 202
    assert stack.stop() == 0


def test_an_automation_reacts_to_another_automations_failed_run(tmp_path):
    """The watched automation's agent backend refuses the request (HTTP 400),
    so its run fails; the watcher's event trigger starts a run and its
    `triggered` webhook reaches a local server."""
    from tests.servers import serve
    hooks = []
    with serve(lambda *_: (400, "model not found"), record=[]) as model, \
            serve(lambda *_: 200, record=hooks) as hook:
        stack = Stack(tmp_path, AGENT_BACKEND="openai", OPENAI_BASE_URL=f"{model}/v1")
        try:
            info = stack.start()
            url, owner = info["api_url"], {"Authorization": f"Bearer {info['api_key']}"}
            watched = requests.post(f"{url}/automations", headers=owner, timeout=5, json={
                "name": "daily check", "team_id": 0, "task_prompt": "Check things.", "triggers": [{"type": "api"}]})
            watched_id = watched.json()["automation"]["id"]
            watcher = requests.post(f"{url}/automations", headers=owner, timeout=5, json={
                "name": "tell us", "team_id": 0, "task_prompt": "Explain the failure.",
                "triggers": [{"type": "event", "expect": ["automation.run.failed"],
                              "match": {"resource.id": watched_id}}],
                "actions": [{"type": "webhook", "url": f"{hook}/notify", "on": ["triggered"]}]})
            assert watcher.status_code == 201, watcher.text
            token = watched.json()["api_trigger"]["token"]
            fired = requests.post(watched.json()["api_trigger"]["url"], headers={"Authorization": f"Bearer {token}"},
                                  json={"text": "go"}, timeout=5).json()
            run = _wait_for_end(fired["status_url"], owner)
            assert run["status"] == "failed" and "HTTP 400" in run["reason"]
            assert _wait_for(lambda: hooks, seconds=15), "the watcher's webhook was never called"
            event = json.loads(hooks[0]["body"])
            assert event["event"] == "automation.run.failed" and event["related"][0]["id"] == run["id"]
            reactions = requests.get(f"{url}/automations/{watcher.json()['automation']['id']}/runs", headers=owner,
                                     timeout=5).json()["runs"]
            assert [r["trigger"] for r in reactions] == ["event"]
        finally:
            assert stack.stop() == 0


def test_the_stacks_own_minute_tick_reaps_a_run_left_running_by_a_restart(tmp_path):
    """No `make tick`: a run that a restart left `running` is ended `abandoned`
    by the stack's own minute tick once it is past MAX_RUN_SECONDS; Ctrl-C
    removes stack.json, and `make tick` then says there is no running stack."""
    import threading

    from tests.servers import serve
    release = threading.Event()

    def hang(*_):
        release.wait(60)  # the check that keeps the run running until the stack stops
        return 200

    with serve(hang) as slow:
        # Long enough that the first stack cannot reap the run before it stops (even on a loaded
        # machine), with a lease that outlives the reaper so it is the reaper that ends the run.
        stack = Stack(tmp_path, MAX_RUN_SECONDS="45", ABANDON_GRACE_SECONDS="0", AGENT_HTTP_TIMEOUT="60",
                      LEASE_SECONDS="600")
        try:
            info = stack.start()
            url, owner = info["api_url"], {"Authorization": f"Bearer {info['api_key']}"}
            created = requests.post(f"{url}/automations", headers=owner, timeout=5, json={
                "name": "slow check", "team_id": 0, "task_prompt": f"Check {slow}/hang and report.",
                "triggers": [{"type": "api"}]}).json()
            fired = requests.post(created["api_trigger"]["url"], timeout=5, json={},
                                  headers={"Authorization": f"Bearer {created['api_trigger']['token']}"}).json()
            running = _wait_for(lambda: requests.get(fired["status_url"], headers=owner, timeout=5)
                                .json()["run"]["status"] == "running")
            assert running, "the run never started"
            time.sleep(6)  # past the 5-second snapshot: the saved state has the run running
            assert stack.stop() == 0
        finally:
            release.set()
    assert not (tmp_path / "stack.json").exists(), "Ctrl-C left stack.json behind"
    ticked = subprocess.run([sys.executable, "-m", "devstack.tick", "2026-11-29T18:00:00Z"], cwd=ROOT,
                            env=stack.env, capture_output=True, text=True, timeout=60)
    assert ticked.returncode == 1 and "no running stack" in ticked.stderr, (ticked.stdout, ticked.stderr)
    assert "Traceback" not in ticked.stderr

    info = stack.start()
    url, owner = info["api_url"], {"Authorization": f"Bearer {info['api_key']}"}
    try:
        status_url = f"{url}/runs/{fired['run_id']}"
        assert requests.get(status_url, headers=owner, timeout=5).json()["run"]["status"] == "running"
        run = _wait_for(lambda: (lambda r: r if r["status"] == "abandoned" else None)(
            requests.get(status_url, headers=owner, timeout=5).json()["run"]), seconds=130)
        assert run, "the stack's own minute tick never reaped the run"
        assert "45-second limit" in run["reason"], run
    finally:
        assert stack.stop() == 0
    log = stack.log.read_text()
    assert "Traceback" not in log and "tick at" not in log, log[-3000:]


def _run_status(url, headers, run_id):
    return requests.get(f"{url}/runs/{run_id}", headers=headers, timeout=5).json()["run"]


def _all_ended(url, headers, run_ids, seconds):
    ended = ("succeeded", "partial", "failed", "skipped", "abandoned")
    done = _wait_for(lambda: all(_run_status(url, headers, r)["status"] in ended for r in run_ids), seconds)
    return done, {r: _run_status(url, headers, r) for r in run_ids}


def _make_tick(stack, at):
    ticked = subprocess.run([sys.executable, "-m", "devstack.tick", at], cwd=ROOT, env=stack.env,
                            capture_output=True, text=True, timeout=60)
    assert ticked.returncode == 0 and "fan-out jobs queued" in ticked.stdout, (ticked.stdout, ticked.stderr)
    return ticked.stdout


def test_a_restart_with_runs_in_the_queue_ends_every_run_and_keeps_secrets(tmp_path):
    """Runs queued while no engine works them, and a tick's fan-out jobs not yet
    worked, are still there after Ctrl-C and a restart: each run ends in a
    final status. A secret written before the restart is still there after it."""
    stack = Stack(tmp_path, STACK_ENGINE="0")
    info = stack.start()
    url, owner = info["api_url"], {"Authorization": f"Bearer {info['api_key']}"}
    assert requests.put(f"{url}/secrets/hook", json={"value": "https://hooks.example.com/x"}, headers=owner,
                        timeout=5).status_code == 201
    created = requests.post(f"{url}/automations", headers=owner, timeout=5, json={
        "name": "queued ones", "team_id": 0, "task_prompt": "Summarise the fleet.",
        "triggers": [{"type": "schedule", "mode": "daily", "hour": 9, "timezone": "Europe/Berlin"},
                     {"type": "api"}]}).json()
    token = {"Authorization": f"Bearer {created['api_trigger']['token']}"}
    run_ids = [requests.post(created["api_trigger"]["url"], headers=token, json={"text": f"n{i}"},
                             timeout=5).json()["run_id"] for i in range(3)]
    # 09:00 in Berlin is 08:00 UTC in November: the tick queues fan-out jobs nobody works yet
    assert "Europe/Berlin 9 *" in _make_tick(stack, "2026-11-24T09:00:00+01:00")
    assert all(_run_status(url, owner, r)["status"] == "queued" for r in run_ids)
    assert stack.stop() == 0
    saved = json.loads((tmp_path / "queues.json").read_text())
    assert len(saved["runs"]) == 3 and saved["fanout"]  # the run messages and the tick's fan-out jobs

    stack.env.pop("STACK_ENGINE")
    info = stack.start()
    url = info["api_url"]
    try:
        done, runs = _all_ended(url, owner, run_ids, 30)
        assert done and {r["status"] for r in runs.values()} == {"succeeded"}, runs
        history = f"{url}/automations/{created['automation']['id']}/runs?status=succeeded"
        scheduled = _wait_for(lambda: [r for r in requests.get(history, headers=owner, timeout=5).json()["runs"]
                                       if r["trigger"] == "schedule"], seconds=30)
        assert [r["scheduled_for"] for r in scheduled] == ["2026-11-24T08:00:00Z"], scheduled
        again = requests.put(f"{url}/secrets/hook", json={"value": "https://hooks.example.com/y"}, headers=owner,
                             timeout=5)
        assert again.status_code == 200 and again.json()["created"] is False  # it survived the restart
    finally:
        assert stack.stop() == 0
    assert "Traceback" not in stack.log.read_text()
    assert oct((tmp_path / "secrets.json").stat().st_mode & 0o777) == "0o600"


def test_runs_accepted_just_before_a_sigkill_are_there_after_the_restart_and_worked(tmp_path):
    """Eight runs accepted with 202 by POST /automations/{id}/runs, then the
    stack killed with SIGKILL at once, before any snapshot could hold them:
    the runs and their queue messages were journaled before the 202s, so
    after the restart each run is there and is worked at once (the sweeper,
    which sends a lost message again, would wait SWEEP_AFTER_SECONDS, 600)."""
    stack = Stack(tmp_path, STACK_ENGINE="0")
    info = stack.start()
    url, owner = info["api_url"], {"Authorization": f"Bearer {info['api_key']}"}
    created = requests.post(f"{url}/automations", headers=owner, timeout=5, json={
        "name": "kept ones", "team_id": 0, "task_prompt": "Summarise the fleet.", "overlap": "allow",
        "triggers": [{"type": "api"}]}).json()
    started = [requests.post(f"{url}/automations/{created['automation']['id']}/runs", headers=owner,
                             json={"text": f"n{n}"}, timeout=5) for n in range(8)]
    assert [r.status_code for r in started] == [202] * 8
    stack.crash()

    stack.env.pop("STACK_ENGINE")
    info = stack.start()
    url = info["api_url"]
    try:
        run_ids = [r.json()["run"]["id"] for r in started]
        done, runs = _all_ended(url, owner, run_ids, 90)
        assert done and {r["status"] for r in runs.values()} == {"succeeded"}, runs
        assert all(r["attempt"] == 1 for r in runs.values()), runs  # worked once
    finally:
        assert stack.stop() == 0
    assert "Traceback" not in stack.log.read_text()
