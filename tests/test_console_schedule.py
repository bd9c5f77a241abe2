"""The console previews a schedule's next runs before it is saved, in the
browser (console/src/cron.js): they must be the run times the service computes
(chalicelib/rules/local_time.py), across DST changes and in zones whose offset
is not a whole hour."""
import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chalicelib.clock import parse_iso
from chalicelib.rules import local_time

CRON_JS = Path(__file__).resolve().parent.parent / "console" / "src" / "cron.js"
ZONES = ["Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham", "America/Santiago",
         "Asia/Kathmandu", "America/New_York", "Australia/Adelaide", "Pacific/Apia", "UTC"]
STARTS = ["2026-03-25T12:00:00Z", "2026-04-01T00:00:00Z", "2026-09-25T00:00:00Z", "2026-10-22T00:00:00Z"]
SCRIPT = """
import { localRuns, cronOf } from %s;
const out = [];
for (const z of %s) for (const start of %s) for (const h of [0, 2, 3, 9, 23]) for (const w of [null, 0, 3]) {
  const trigger = {mode: w === null ? "daily" : "weekly", hour: h, weekday: w, timezone: z};
  out.push({z, start, h, w, runs: localRuns(h, w, z, new Date(start), 5).map((d) => d.toISOString()),
            cron: cronOf(trigger, new Date(start))});
}
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is installed by make test (the console's build)")
def test_the_consoles_next_runs_are_the_services():
    script = SCRIPT % (json.dumps(CRON_JS.as_uri()), json.dumps(ZONES), json.dumps(STARTS))
    done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    cases = json.loads(done.stdout)
    assert len(cases) == len(ZONES) * len(STARTS) * 5 * 3
    for case in cases:
        zone, now = ZoneInfo(case["z"]), parse_iso(case["start"])
        runs = local_time.next_runs(case["h"], case["w"], zone, now, 5)
        assert [datetime.fromisoformat(r.replace("Z", "+00:00")) for r in case["runs"]] == runs, case
        assert case["cron"] == local_time.utc_cron(case["h"], case["w"], zone, now), case
