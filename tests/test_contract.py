"""The contract: schemathesis, with every check, over every operation of GET
/openapi.json against the local stack (started as `make run` starts it),
authenticated as the owner. Any disagreement between the document and the
server (a status, body or limit it does not describe, an error that is not the
Error schema, a 5xx) fails the test, with schemathesis's report of it.

Bounded and reproducible: every phase (coverage, fuzzing, stateful), a few
examples per operation in the fuzzing phase, generated deterministically:
about 9,000 cases. The operations that destroy the run's own credentials are
fuzzed too; tests/contract_hooks.py keeps a working owner key (see there).
The hooks of monitoring tools are fuzzed against a real Alertmanager
integration, with its token. Nothing is excluded."""
import json
import re
import subprocess
import sys

import pytest
import requests

from tests.test_e2e_stack import ROOT, Stack

pytestmark = pytest.mark.xdist_group("contract")  # one stack and one fuzzer: a pytest worker of its own
MAX_EXAMPLES = 10  # per operation in the fuzzing phase (the coverage phase makes every case its schema defines)
WORKERS = 2  # requests in flight: the stack answers one while the fuzzer builds the next


def _spare_admin(url: str, owner_key: str) -> dict:
    answer = requests.post(f"{url}/users", json={"email": "contract-spare@example.com", "role": "admin"},
                           headers={"Authorization": f"Bearer {owner_key}"}, timeout=10)
    assert answer.status_code == 201, answer.text
    return {"id": answer.json()["user"]["id"], "key": answer.json()["api_key"]}


def _integration(url: str, owner_key: str) -> dict:
    """An Alertmanager integration whose hook the fuzzer's deliveries go to (see tests/contract_hooks.py)."""
    answer = requests.post(f"{url}/integrations", json={"type": "alertmanager", "name": "contract"},
                           headers={"Authorization": f"Bearer {owner_key}"}, timeout=10)
    assert answer.status_code == 201, answer.text
    return {"id": answer.json()["integration"]["id"], "secret": answer.json()["secret"]}


def run_schemathesis(folder, *args: str, timeout: int = 1200) -> tuple[subprocess.CompletedProcess, str]:
    """Schemathesis over every operation against a fresh local stack in `folder`,
    with every check and `args` (phases, seed, examples); its run and summary line."""
    stack = Stack(folder / "stack")
    (folder / "stack").mkdir()
    info = stack.start()
    try:
        url, key = info["api_url"], info["api_key"]
        me = requests.get(f"{url}/me", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
        keys = {"url": url, "owner": {"id": me["user"]["id"], "key": key}, "spare": _spare_admin(url, key),
                "integration": _integration(url, key)}
        env = {**stack.env, "CONTRACT_KEYS": json.dumps(keys), "SCHEMATHESIS_HOOKS": "tests.contract_hooks",
               "PYTHONPATH": str(ROOT)}
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json", "--checks", "all",
             "--workers", str(WORKERS), "--request-timeout", "30", "--no-color", "--report", "junit",
             "--report-dir", str(folder / "report"), *args],
            cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
        summary = re.search(r"Test cases:\s*(.+)", run.stdout)
        return run, summary.group(1) if summary else "?"
    finally:
        stack.stop()


def test_every_operation_keeps_the_contract(tmp_path):
    run, summary = run_schemathesis(tmp_path, "--max-examples", str(MAX_EXAMPLES), "--generation-deterministic")
    print(f"schemathesis: {summary}")
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]
    selected = re.search(r"Operations:\s*(\d+) selected / (\d+) total", run.stdout)
    assert selected and selected.group(1) == selected.group(2), run.stdout[:3000]  # every operation
