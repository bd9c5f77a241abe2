"""The README's shell examples, run as written on a fresh local stack.

Every ```sh block of README.md runs, in order, with bash in the repository's
root, as one terminal session would (variables such as KEY, API and BACKUP
carry from one block to the next), unless an explicit marker right before it
says why it cannot run here:

    <!-- example: not run (needs an AWS account) -->

so a new example is run by default. The stack is the one `make run` starts
(tests/test_e2e_stack.py's Stack) on free ports with its state in a temporary
STACK_DIR: it never meets a user's own `make run` (.local/, port 8000). The
examples find it the way the README tells a user to, through
`${STACK_DIR:-.local}/stack.json` (which `make tick` reads too): nothing in
them is rewritten, not even the host and port.
"""
import json
import re
import subprocess
from pathlib import Path

import pytest
import requests

from tests.test_e2e_stack import ROOT, Stack, _wait_for

FENCE = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)
NOT_RUN = re.compile(r"<!--\s*example:\s*not run\s*\((.+?)\)\s*-->\s*$")
ENDED = ("succeeded", "partial", "failed", "skipped", "abandoned")


def sh_blocks(markdown: str) -> list[dict]:
    """The ```sh blocks of a Markdown text: {"line", "code", "skip"}, where
    `skip` is the reason of a not-run marker on the last line before the fence."""
    blocks = []
    for fence in FENCE.finditer(markdown):
        before = markdown[:fence.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = NOT_RUN.search(before)
        blocks.append({"line": markdown.count("\n", 0, fence.start()) + 1, "code": fence.group(1),
                       "skip": marker.group(1) if marker else None})
    return blocks


BLOCKS = sh_blocks((ROOT / "README.md").read_text())


def _block_id(block: dict) -> str:
    first = next(line for line in block["code"].splitlines() if line.strip())
    return f"L{block['line']}:{first[:40]}"


class Session:
    """A terminal session over separate bash processes: each block sources the
    variables the earlier blocks set, and leaves its own for the next."""

    def __init__(self, env: dict, state: Path):
        self.env, self.state = env, state
        clean = subprocess.run(["bash", "-c", "compgen -v"], env=env, capture_output=True, text=True, check=True)
        self.ignore = set(clean.stdout.split()) | set(env)  # bash's own and the environment's names

    def run(self, code: str) -> subprocess.CompletedProcess:
        """Run a block with `set -e -o pipefail` (any failing command fails it)."""
        keep = " ".join(sorted(self.ignore | {"BASH_REMATCH", "PIPESTATUS", "_"}))
        script = (f'[ -f "{self.state}" ] && . "{self.state}"\nset -e -o pipefail\n{code}\nset +e\n'
                  f'for __v in $(compgen -v); do case " {keep} __v " in *" $__v "*) ;; '
                  f'*) declare -p "$__v" ;; esac; done > "{self.state}.new" && mv "{self.state}.new" "{self.state}"\n')
        return subprocess.run(["bash", "-c", script], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=90)


@pytest.fixture
def readme_stack(tmp_path):
    """A fresh stack on free ports with its state in tmp_path, and the shell session the examples share."""
    stack = Stack(tmp_path)
    try:
        info = stack.start()
        yield {"info": info, "session": Session(stack.env, tmp_path / "shell-vars.sh")}
    finally:
        if stack.proc and stack.proc.poll() is None:
            stack.stop()


def _get(info: dict, path: str) -> dict:
    answer = requests.get(info["api_url"] + path, headers={"Authorization": f"Bearer {info['api_key']}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _automation(info: dict, name: str) -> dict:
    found = [a for a in _get(info, "/automations?limit=200")["automations"] if a["name"] == name]
    assert len(found) == 1, (name, found)
    return found[0]


def _ended_runs(info: dict, automation_id: str, trigger: str) -> list[dict]:
    runs = _get(info, f"/automations/{automation_id}/runs")["runs"]
    return [r for r in runs if r["trigger"] == trigger and r["status"] in ENDED]


def _json_lines(stdout: str) -> list[dict]:
    """The JSON objects curl printed (one per answer; no newline between them)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (start := stdout.find("{", at)) != -1:
        value, at = decoder.raw_decode(stdout, start)
        found.append(value)
    return found


def check_first_rule(info: dict, stdout: str) -> None:
    """GET /me and the daily 9:00 Europe/Berlin rule with an api trigger."""
    me, created = _json_lines(stdout)[:2]
    assert me["user"]["role"] == "owner"
    assert created["api_trigger"]["token"].startswith("srett_") and "curl" in created["api_trigger"]
    rule = created["automation"]
    assert rule["triggers"][0]["cron"] == "8 * * *"  # 09:00 in Berlin is 08:00Z in winter
    assert {r["timezone"] for r in rule["next_runs_local"]} == {"Europe/Berlin"}
    assert all("T09:00:00+0" in r["local"] for r in rule["next_runs_local"])


def check_tick_fires_the_rule(info: dict, stdout: str) -> None:
    """`make tick AT=2026-11-24T09:00:00+01:00` runs the daily-at-9-Berlin rule once, for 08:00Z."""
    assert "local hours due: Europe/Berlin 9 *" in stdout
    rule = _automation(info, "Daily health check")
    runs = _wait_for(lambda: _ended_runs(info, rule["id"], "schedule"), seconds=30)
    assert [r["scheduled_for"] for r in runs] == ["2026-11-24T08:00:00Z"], runs
    minute = next(line for line in stdout.splitlines() if line.startswith('{"abandoned"'))
    assert set(json.loads(minute)) >= {"abandoned", "swept", "lost_leases"}
    status = _json_lines(stdout[stdout.index(minute) + len(minute):])[0]
    assert status["version"] and "last_tick" in status["scheduler"] and "runs" in status["queues"]


def check_event_starts_a_run(info: dict, stdout: str) -> None:
    """The secret is stored, the event trigger's rule saved, and the event starts its run."""
    secret, created, sent = _json_lines(stdout)[:3]
    assert secret == {"name": "slack-oncall", "created": True}
    assert created["automation"]["triggers"][0]["type"] == "event"
    assert len(sent["accepted"]) == 1 and len(sent["runs"]) == 1, sent
    assert "slack-oncall" in [s["name"] for s in _get(info, "/secrets")["secrets"]]
    rule = _automation(info, "Triage critical incidents")
    runs = _wait_for(lambda: _ended_runs(info, rule["id"], "event"), seconds=30)
    assert [r["id"] for r in runs] == sent["runs"]


def check_backup_slas(info: dict, stdout: str) -> None:
    """The backup rule, and two proactive SLA rules watching it."""
    backup = _automation(info, "Nightly backup")
    for name in ("Backup SLA", "Backup start SLA"):
        trigger = _automation(info, name)["triggers"][0]
        assert trigger["posture"] == "proactive" and trigger["match"] == {"resource.id": backup["id"]}, trigger
    assert _automation(info, "Backup SLA")["actions"][0]["type"] == "cancel_run"


def check_integration_delivery(info: dict, stdout: str) -> None:
    """Two integrations made (the first printed for people, its secret shown once), the capture delivered to the
    second, its two alerts listed as firing, and the integrations listed with what they received."""
    assert "Shown once: the secret cannot be shown again" in stdout and "receivers:\n" in stdout
    delivered = _json_lines(stdout[stdout.index('{"duplicate"'):])[0]  # curl's answer (the setup text has YAML {…})
    assert delivered["received"] == {"alerts": 2, "incidents": 0, "changes": 0} and not delivered["duplicate"]
    firing = sorted(line.split()[0] for line in stdout.splitlines() if line.startswith("alertmanager#"))
    assert firing == ["alertmanager#6760336f7be5bae2", "alertmanager#d21e778854749ccb"], stdout
    received = {i["name"]: i["received"] for i in _get(info, "/integrations")["integrations"]}
    assert received == {"Prometheus prod": 0, "Prometheus staging": 1}


# The outcome a user expects from the key examples: (a text that picks its block, the check).
CHECKS = [('"$API/me"', check_first_rule), ("make tick AT=", check_tick_fires_the_rule),
          ('"$API/events"', check_event_starts_a_run), ("BACKUP=$(", check_backup_slas),
          ("sre integrations create --type alertmanager", check_integration_delivery)]


def test_every_check_names_one_example_that_runs():
    for needle, check in CHECKS:
        picked = [b for b in BLOCKS if needle in b["code"]]
        assert len(picked) == 1 and not picked[0]["skip"], (needle, check.__name__, picked)


def test_not_run_markers_sit_right_before_a_sh_block():
    """A marker anywhere else would skip nothing, silently."""
    text = (ROOT / "README.md").read_text()
    markers = [m for m in re.finditer(r"<!--\s*example:.*?-->", text)]
    assert len(markers) == sum(1 for b in BLOCKS if b["skip"]), [m.group(0) for m in markers]


@pytest.mark.parametrize("block", [b for b in BLOCKS if b["skip"]],
                         ids=[_block_id(b) for b in BLOCKS if b["skip"]])
def test_readme_example_not_run(block):
    """Each block the README marks as not run, reported as a skip with its reason."""
    pytest.skip(f"README.md line {block['line']}: not run ({block['skip']})")


def test_readme_examples_run_as_written(readme_stack):
    """Every other block, in order, in one session (one test, so no test runner can split or reorder them)."""
    ran = [b for b in BLOCKS if not b["skip"]]
    assert ran
    for block in ran:
        done = readme_stack["session"].run(block["code"])
        assert done.returncode == 0, \
            f"README.md line {block['line']}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        for needle, check in CHECKS:
            if needle in block["code"]:
                check(readme_stack["info"], done.stdout)
