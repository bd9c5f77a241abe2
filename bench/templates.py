"""Benchmark of the template budgets against the three probes of issue 18, and
a heavy template that is allowed, before and after the budgets.

    .venv/bin/python bench/templates.py [--before COMMIT] [--cpu-cap SECONDS]

Each probe runs in a fresh child process, so that its peak memory is its own:
the child imports the code, renders a small template once (so Jinja is loaded
and the baseline includes it), then runs the save check (`validate_template`)
and, whether or not that refused it, a render (`templates.render`), each
measured on its own. Printed per probe and phase: the outcome (the first words
of the error), the CPU time in ms (user + system of the child) and the peak
RSS in MB (VmHWM of /proc/self/status, Linux; the baseline after imports in
brackets).

`--before COMMIT` measures that commit's code too (extracted with `git
archive` into a temporary directory); by default the commit this change
started from. A child that would run away is stopped by RLIMIT_CPU
(`--cpu-cap`, 10 s), and RLIMIT_AS keeps it under 3 GB.

Measured on the development machine (2 shared cores, load 8), `bench/templates.py`
(CPU includes compiling the template; peak MB is the child's whole process,
about 21 MB of it the interpreter and the imports):

    probe           phase   before (e70f5e3)                        after
                            CPU ms   peak MB  outcome               CPU ms  peak MB  outcome
    doubling        save       3.1      20.6  accepted                 7.6     21.9  refused: value budget
    doubling        render   397.8     489.4  ok (a 328 MB string)     8.0     21.9  fails: value budget
    power tower     save       0.8      20.7  accepted                 2.5     21.8  refused: number budget
    power tower     render  >10000         -  killed at the 10 s cap   3.3     21.8  fails: number budget
    slice           save    1313.4     238.7  accepted (folded while   2.9     21.8  refused: value budget
                                              compiling)
    slice           render  2784.8     261.3  ok (cut at 20,000)       1.7     21.8  fails: value budget
    heavy but fine  save       2.3      20.6  accepted                29.5     21.8  accepted
    heavy but fine  render    10.4      20.6  ok                      29.2     21.8  ok

The heavy template (9,999 loop iterations, the most the loop budget allows,
each with a `~`, two filters and a test) is the price of the checks: about
2.3 µs an iteration against 1 µs, well inside the 50 ms CPU budget.
"""
import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "e70f5e3"  # main before the budgets (issue 18)

PROBES = {
    # 'x'*20000 then fourteen doublings: 328 MB if nothing stops it
    "doubling": "{% set a = 'x' * 20000 %}" + "{% set a = a ~ a %}" * 14 + "{{ a|length }}",
    # each exponent is small, the number is not: 10**100000000
    "power tower": "{{ (((10**100)**100)**100)**100 > 0 }}",
    # three million lists out of one item
    "slice": "{{ [1]|slice(3000000)|list }}",
    # allowed: 9,999 loop iterations (the loop budget is 10,000) with a `~`, two filters and a test each
    "heavy but fine": "{% for i in range(99) %}{% for j in range(100) %}{% set s = i ~ '-' ~ j %}"
                      "{% if s|length > 99 %}{{ s|upper }}{% endif %}{% endfor %}{% endfor %}done",
}

CHILD = r"""
import json, resource, sys, time
limit = float(sys.argv[2])
resource.setrlimit(resource.RLIMIT_CPU, (int(limit), int(limit) + 1))
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
from chalicelib.actions import templates
from chalicelib.errors import Invalid
templates.render("{{ 'warm' | upper }}", {})
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
def peak():
    # VmHWM starts afresh at exec; ru_maxrss may keep the high-water mark of the process that forked us
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
base = peak()
text, phase = sys.argv[1], sys.argv[3]
start = cpu()
try:
    if phase == "save":
        templates.validate_template(text, "actions[0].message")
        outcome = "accepted"
    else:
        out = templates.render(text, {})
        outcome = f"ok ({len(out):,} characters)"
except (Invalid, templates.TemplateError) as exc:
    outcome = ("refused: " if phase == "save" else "fails: ") + str(exc)
print(json.dumps({"outcome": outcome, "cpu_ms": (cpu() - start) * 1000, "peak_mb": peak(), "base_mb": base}))
"""


def measure(root: Path, text: str, phase: str, cpu_cap: float) -> dict:
    """One phase of one probe in a fresh child running the code under `root`."""
    paths = [str(root / "runtime"), str(root / "client"), str(root)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    child = subprocess.run([sys.executable, "-c", CHILD, text, str(cpu_cap), phase], env=env, cwd=root,
                           capture_output=True, text=True, timeout=cpu_cap * 3 + 60)
    if child.returncode != 0:
        killed = child.returncode in (-9, -24, 128 + 9, 128 + 24)  # SIGKILL/SIGXCPU from RLIMIT_CPU
        return {"outcome": f"killed at the CPU cap of {cpu_cap:g} s" if killed else
                f"crashed ({child.returncode}): {child.stderr.strip().splitlines()[-1:]}",
                "cpu_ms": cpu_cap * 1000 if killed else float("nan"), "peak_mb": float("nan"),
                "base_mb": float("nan")}
    return json.loads(child.stdout.strip().splitlines()[-1])


def checkout(commit: str, into: Path) -> Path:
    """The code of `commit` (chalicelib, runtime, client) extracted under `into`."""
    archive = into / "code.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), commit, "chalicelib", "runtime",
                    "client"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def table(title: str, root: Path, cpu_cap: float) -> None:
    print(f"\n{title}")
    print(f"{'probe':<15} {'phase':<7} {'CPU ms':>8} {'peak MB':>8} {'(base)':>7}  outcome")
    for name, text in PROBES.items():
        for phase in ("save", "render"):
            row = measure(root, text, phase, cpu_cap)
            print(f"{name:<15} {phase:<7} {row['cpu_ms']:>8.1f} {row['peak_mb']:>8.1f} {row['base_mb']:>7.1f}  "
                  f"{row['outcome'][:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="a commit to measure too ('' for none)")
    parser.add_argument("--cpu-cap", type=float, default=10.0, help="CPU seconds before a child is stopped")
    args = parser.parse_args()
    for name, text in PROBES.items():
        print(f"{name}: {len(text)} characters: {text[:90]}{'…' if len(text) > 90 else ''}")
    if args.before:
        with tempfile.TemporaryDirectory() as tmp:
            table(f"before ({args.before})", checkout(args.before, Path(tmp)), args.cpu_cap)
    table("after (this checkout)", ROOT, args.cpu_cap)


if __name__ == "__main__":
    main()
