"""End to end through the local stack with real runner processes (`sre runner
start`) and the stack's own sandbox process: the guard, a killed runner, two
runners and one run, Auto, the runner token's scope over HTTP, and the `sre`
command line. The stack refuses loopback (ALLOW_LOOPBACK=false) as the cloud
refuses internal addresses; a runner allows them by default."""
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.servers import serve
from tests.test_e2e_stack import ROOT, Stack, _wait_for, _wait_for_end
from tests.test_environments import _public_routes

SRE = str(Path(sys.executable).parent / "sre")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("stack"), ALLOW_LOOPBACK="false", LEASE_SECONDS="3", MAX_ATTEMPTS="2")
    info = s.start()
    s.url, s.owner = info["api_url"], {"Authorization": f"Bearer {info['api_key']}"}
    s.key = info["api_key"]
    yield s
    code = s.stop()
    log = s.log.read_text()
    assert code == 0 and "Traceback" not in log, log[-4000:]


class RunnerProcess:
    """`sre runner start` in a process of its own, with no AWS settings."""

    def __init__(self, stack, tmp_path, name="box", pool="lab", token=None):
        if token is None:
            made = requests.post(f"{stack.url}/runners", headers=stack.owner, timeout=5,
                                 json={"name": name, "team_id": 0, "pool": pool}).json()
            self.id, token = made["runner"]["id"], made["token"]
        self.token, self.log = token, tmp_path / f"runner-{name}-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_", "ALLOW_"))}
        env.update(SRE_CONFIG_DIR=str(tmp_path / "runner-config"))
        self.proc = subprocess.Popen([SRE, "runner", "start", "--token", token, "--url", stack.url], env=env,
                                     stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log.read_text()

    def wait_polling(self, stack):
        """Until its first claim has counted as a heartbeat."""
        assert _wait_for(lambda: any(r["id"] == self.id and r["last_heartbeat"] for r in requests.get(
            f"{stack.url}/runners", headers=stack.owner, timeout=5).json()["runners"])), self.text()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(30)

    def offline(self, stack):
        """What a killed runner never said: it is gone (so later tests' Auto does not pick it)."""
        requests.post(f"{stack.url}/runners/{self.id}/heartbeat", json={"state": "offline"}, timeout=5,
                      headers={"Authorization": f"Bearer {self.token}"})


def _automation(stack, prompt, environment, **over):
    body = {"name": over.pop("name", "check"), "team_id": 0, "task_prompt": prompt, "environment": environment,
            "overlap": "allow", "triggers": [{"type": "api"}], **over}
    made = requests.post(f"{stack.url}/automations", headers=stack.owner, json=body, timeout=5)
    assert made.status_code == 201, made.text
    return made.json()


def _start(stack, automation, text="go"):
    fired = requests.post(automation["api_trigger"]["url"], json={"text": text}, timeout=5,
                          headers={"Authorization": f"Bearer {automation['api_trigger']['token']}"})
    assert fired.status_code == 202, fired.text
    return fired.json()["status_url"]


def _run(stack, status_url):
    return requests.get(status_url, headers=stack.owner, timeout=5).json()["run"]


def _session(stack, run):
    return requests.get(f"{stack.url}/sessions/{run['session_id']}", headers=stack.owner, timeout=5).json()["session"]


def _minute_tick(stack):
    ticked = subprocess.run([sys.executable, "-m", "devstack.tick", "--minute"], cwd=ROOT, env=stack.env,
                            capture_output=True, text=True, timeout=60)
    assert ticked.returncode == 0, ticked.stderr
    return json.loads(ticked.stdout.strip().splitlines()[-1])


def test_a_private_url_is_reached_through_the_runner_and_refused_by_the_sandbox(stack, tmp_path):
    with serve(lambda *_: 200) as private:
        runner = RunnerProcess(stack, tmp_path, pool="private")
        try:
            prompt = f"Check {private}/health and report."
            via_runner = _automation(stack, prompt, {"type": "runner", "runner_id": runner.id})
            via_sandbox = _automation(stack, prompt, {"type": "cloud_sandbox"})
            on_runner = _wait_for_end(_start(stack, via_runner), stack.owner)
            in_sandbox = _wait_for_end(_start(stack, via_sandbox), stack.owner)
        finally:
            assert runner.stop() == 0
    assert on_runner["status"] == "succeeded", on_runner
    assert on_runner["environment"] == {"type": "runner", "pool": "private", "runner_id": runner.id,
                                        "runner_name": "box"}
    check = next(c for c in _session(stack, on_runner)["tool_calls"] if c["tool"] == "http_check")
    assert check["output"]["ok"] is True and check["output"]["status"] == 200
    guard = "127.0.0.1 resolves to 127.0.0.1, an internal address (loopback); refused"
    assert in_sandbox["status"] == "partial" and guard in in_sandbox["reason"], in_sandbox
    assert in_sandbox["environment"] == {"type": "cloud_sandbox"}
    session = _session(stack, in_sandbox)
    assert session["environment"] == {"type": "cloud_sandbox"} and guard in session["artifacts"][0]["content"]
    assert "claimed" in runner.text() and f"{on_runner['id']} succeeded" in runner.text()


def _tick_until(stack, status_url, wanted, seconds=60):
    """Fire the minute tick until the run is as wanted (the stack's own tick may get there first)."""
    deadline = time.monotonic() + seconds
    while True:
        _minute_tick(stack)
        run = _run(stack, status_url)
        if wanted(run) or time.monotonic() > deadline:
            return run
        time.sleep(1)


def test_a_killed_runner_loses_its_lease_the_run_goes_back_then_ends_saying_the_runner_was_lost(stack, tmp_path):
    release = threading.Event()
    with serve(lambda *_: (release.wait(60), 200)[1]) as slow:
        first = RunnerProcess(stack, tmp_path, name="first", pool="fragile")
        try:
            status_url = _start(stack, _automation(stack, f"Check {slow}/hang", {"type": "runner",
                                                                                 "runner_id": first.id}))
            assert _wait_for(lambda: _run(stack, status_url)["status"] == "running"), first.text()
            first.kill()
            time.sleep(4)  # past the 3-second lease
            back = _tick_until(stack, status_url, lambda r: r["status"] == "queued")
            assert back["status"] == "queued" and back["attempt"] == 1, back
            assert f"The runner first ({first.id}) was lost mid-run" in back["reason"]
            second = RunnerProcess(stack, tmp_path, token=first.token, name="second")
            second.id = first.id  # the same runner, restarted
            assert _wait_for(lambda: _run(stack, status_url)["attempt"] == 2), second.text()
            second.kill()
            time.sleep(4)
            _tick_until(stack, status_url, lambda r: r["status"] == "failed")
        finally:
            release.set()
            first.offline(stack)
    ended = _run(stack, status_url)
    assert ended["status"] == "failed", ended
    assert "was lost mid-run: its lease expired" in ended["reason"] and "gave up after 2 attempt(s)" in ended["reason"]


def test_two_runners_one_run(stack, tmp_path):
    a = RunnerProcess(stack, tmp_path, name="a", pool="pair")
    b = RunnerProcess(stack, tmp_path, name="b", pool="pair")
    try:
        a.wait_polling(stack)
        b.wait_polling(stack)
        run = _wait_for_end(_start(stack, _automation(stack, "Summarise.", {"type": "runner", "runner_id": a.id})),
                            stack.owner)
    finally:
        assert a.stop() == 0 and b.stop() == 0
    assert run["status"] == "succeeded" and run["attempt"] == 1
    claimed = [r for r in (a, b) if f"claimed {run['id']}" in r.text()]
    assert len(claimed) == 1 and run["environment"]["runner_id"] == claimed[0].id


def test_auto_picks_the_runner_when_it_is_up_and_the_sandbox_when_it_is_down(stack, tmp_path):
    runner = RunnerProcess(stack, tmp_path, name="auto", pool="auto")
    automation = _automation(stack, "Summarise.", {"type": "auto"})
    try:
        runner.wait_polling(stack)
        up = _wait_for_end(_start(stack, automation), stack.owner)
    finally:
        assert runner.stop() == 0  # Ctrl-C: it says it is offline on its way out
    down = _wait_for_end(_start(stack, automation), stack.owner)
    assert up["status"] == "succeeded" and up["environment"]["runner_id"] == runner.id, up
    assert down["status"] == "succeeded" and down["environment"] == {"type": "cloud_sandbox"}, down


def test_the_runner_token_is_refused_over_http_on_every_route_but_its_own(stack):
    from app import app
    made = requests.post(f"{stack.url}/runners", headers=stack.owner, json={"name": "scope", "pool": "scope"},
                         timeout=5).json()
    rid, auth = made["runner"]["id"], {"Authorization": f"Bearer {made['token']}"}
    hook = requests.post(f"{stack.url}/integrations", headers=stack.owner, json={"type": "alertmanager", "name": "am"},
                         timeout=5).json()["integration"]
    ids = {"runner_id": rid, "run_id": "run_x", "automation_id": "aut_x", "team_id": "1", "user_id": "usr_x",
           "key_id": "k", "session_id": "ses_x", "trigger_id": "trg_x", "name": "s", "rule_id": "aut_x",
           "integration_id": hook["id"], "secret": "s", "source": "events", "fingerprint": "f", "incident_id": "i",
           "mcp_server_id": "mcp_x", "document_id": "kb_x", "agent_id": "agt_x"}
    own = {("POST", f"/runners/{rid}/heartbeat"), ("POST", f"/runners/{rid}/claim")}
    public = _public_routes(requests.get(f"{stack.url}/openapi.json", timeout=5).json())
    for path, methods in app.routes.items():
        for method in methods:
            url = path.format(**ids)
            if (path, method) in public or (method, url) in own:
                continue
            answer = requests.request(method, f"{stack.url}{url}", headers=auth, json={}, timeout=10)
            assert answer.status_code == 401, (method, url, answer.status_code, answer.text)
    for method, url in own:
        assert requests.request(method, f"{stack.url}{url}", headers=auth, json={}, timeout=10).status_code == 200
    requests.post(f"{stack.url}/runners/{rid}/heartbeat", headers=auth, json={"state": "offline"}, timeout=5)


def _sre(tmp_path, *args, env=None, input=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SRE_"))}
    environment.update(SRE_CONFIG_DIR=str(tmp_path / "cli-config"), **(env or {}))
    return subprocess.run([SRE, *args], env=environment, capture_output=True, text=True, timeout=120, input=input)


def test_the_command_line_against_the_stack(stack, tmp_path):
    bad = _sre(tmp_path, "login", "--url", stack.url, "--key", "sreak_wrong")
    assert bad.returncode == 1 and "Missing or invalid API key" in bad.stderr and "HTTP 401" in bad.stderr
    assert "Traceback" not in bad.stderr
    unreachable = _sre(tmp_path, "whoami", env={"SRE_API_URL": "http://127.0.0.1:9", "SRE_API_KEY": stack.key})
    assert unreachable.returncode == 1 and "cannot reach http://127.0.0.1:9" in unreachable.stderr

    login = _sre(tmp_path, "login", "--url", stack.url, "--key", stack.key)
    assert login.returncode == 0 and "logged in" in login.stdout, login.stderr
    saved = tmp_path / "cli-config" / "config.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600 and json.loads(saved.read_text())["api_key"] == stack.key

    created = _sre(tmp_path, "automations", "create", "--name", "cli check", "--prompt", "Summarise the runs.",
                   "--api", "--daily", "9", "--timezone", "Europe/Berlin", "--json")
    assert created.returncode == 0, created.stderr
    automation = json.loads(created.stdout)["automation"]
    assert automation["triggers"][0]["cron"] in ("8 * * *", "7 * * *")
    (tmp_path / "rule.yaml").write_text("name: from yaml\nteam_id: 0\ntask_prompt: Summarise.\n"
                                        "triggers:\n  - type: api\n")
    from_file = _sre(tmp_path, "automations", "create", "--file", str(tmp_path / "rule.yaml"))
    assert from_file.returncode == 0 and "trigger token:" in from_file.stdout, from_file.stderr
    template = json.loads(_sre(tmp_path, "automations", "templates", "--json").stdout)["templates"][0]
    from_template = _sre(tmp_path, "automations", "create", "--template", template["id"], "--api", "--json")
    assert json.loads(from_template.stdout)["automation"]["name"] == template["name"]

    listed = _sre(tmp_path, "automations", "list")
    assert "cli check" in listed.stdout and "from yaml" in listed.stdout and "ENVIRONMENT" in listed.stdout
    assert _sre(tmp_path, "automations", "edit", automation["id"], "--name", "cli check 2").returncode == 0
    assert "cli check 2" in _sre(tmp_path, "automations", "show", automation["id"]).stdout
    assert _sre(tmp_path, "automations", "disable", automation["id"]).returncode == 0
    refused = _sre(tmp_path, "trigger", automation["id"], "--text", "now")
    assert refused.returncode == 1 and "disabled" in refused.stderr
    assert _sre(tmp_path, "automations", "enable", automation["id"]).returncode == 0

    waited = _sre(tmp_path, "trigger", automation["id"], "--text", "from the cli", "--wait")
    assert waited.returncode == 0, (waited.stdout, waited.stderr)
    last = waited.stdout.strip().splitlines()[-1]
    assert last.endswith(" succeeded") and last.startswith("run_")
    run_id = last.split()[0]
    history = _sre(tmp_path, "runs", automation["id"], "--status", "succeeded")
    assert run_id in history.stdout and "cloud_sandbox" in history.stdout
    shown = _sre(tmp_path, "session", run_id)
    assert shown.returncode == 0 and "from the cli" in shown.stdout and "artifact report.md" in shown.stdout
    assert "environment cloud_sandbox" in shown.stdout

    sent = _sre(tmp_path, "events", "send", "deploy.finished", "--resource-id", "api-gw")
    assert sent.returncode == 0 and "accepted 1" in sent.stdout, sent.stderr
    events = json.loads(_sre(tmp_path, "events", "list", "--event", "deploy.*", "--json").stdout)["events"]
    assert [e["resource"]["id"] for e in events] == ["api-gw"]
    assert "secret slack-oncall created" in _sre(tmp_path, "secrets", "set", "slack-oncall", "--value",
                                                 "https://hooks.example/x").stdout

    rotated = _sre(tmp_path, "keys", "rotate", "--json")
    assert rotated.returncode == 0, rotated.stderr
    new_key = json.loads(rotated.stdout)["api_key"]
    assert json.loads(saved.read_text())["api_key"] == new_key
    assert "owner@" in _sre(tmp_path, "whoami").stdout
    old = _sre(tmp_path, "whoami", env={"SRE_API_KEY": stack.key})
    assert old.returncode == 1 and "Missing or invalid API key" in old.stderr
    stack.key, stack.owner = new_key, {"Authorization": f"Bearer {new_key}"}
    assert _sre(tmp_path, "automations", "delete", automation["id"], "--yes").returncode == 0
    gone = _sre(tmp_path, "automations", "show", automation["id"])
    assert gone.returncode == 1 and "No automation" in gone.stderr


def test_the_operations_tools_answer_a_runner_and_the_sandbox_over_http(stack, tmp_path):
    """The noise analysis reads alerts through POST /runs/{id}/tools/{name} with its lease token, from a
    runner process and from the stack's sandbox process: neither reads a table."""
    from datetime import UTC, datetime, timedelta
    now = datetime.now(UTC).replace(microsecond=0)
    sent = []
    for n in range(6):  # a flapping alert: six short firings, each back within the hour
        start, end = now - timedelta(hours=3) + timedelta(minutes=20 * n), \
            now - timedelta(hours=3) + timedelta(minutes=20 * n + 3)
        common = {"name": "E2EFlap", "service": "e2e", "severity": "warning",
                  "starts_at": start.isoformat().replace("+00:00", "Z")}
        sent += [{"event": "alert.firing", "occurred": common["starts_at"], "resource": {"id": "e2e-flap"},
                  "payload": common},
                 {"event": "alert.resolved", "occurred": end.isoformat().replace("+00:00", "Z"),
                  "resource": {"id": "e2e-flap"}, "payload": common}]
    posted = requests.post(f"{stack.url}/events", headers=stack.owner, json=sent, timeout=30)
    assert posted.status_code == 202 and not posted.json()["rejected"], posted.text
    runner = RunnerProcess(stack, tmp_path, pool="ops")
    try:
        on_runner = _wait_for_end(_start(stack, _automation(
            stack, "-", {"type": "runner", "runner_id": runner.id}, template_id="noise-reduction")), stack.owner)
        in_sandbox = _wait_for_end(_start(stack, _automation(
            stack, "-", {"type": "cloud_sandbox"}, template_id="noise-reduction")), stack.owner)
    finally:
        assert runner.stop() == 0
    for run in (on_runner, in_sandbox):
        assert run["status"] == "succeeded", run
        session = _session(stack, run)
        days = [c for c in session["tool_calls"] if c["tool"] == "alert_days"]
        assert days and any(d["name"] == "E2EFlap" for c in days for d in c["output"]["days"]), session["tool_calls"]
        findings = json.loads(next(a["content"] for a in session["artifacts"] if a["name"] == "findings.json"))
        flapping = [f for f in findings["findings"] if f["kind"] == "flapping"]
        assert [f["alert"]["name"] for f in flapping] == ["E2EFlap"] and flapping[0]["figures"]["flaps"] == 5
    assert on_runner["environment"]["type"] == "runner" and in_sandbox["environment"] == {"type": "cloud_sandbox"}
