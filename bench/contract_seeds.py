"""The contract holds for any seed, not only the fixed one `make test` runs:
schemathesis's fuzzing and stateful phases (and, with --coverage, the
coverage phase) with several random seeds, each against a fresh local stack,
every check on. Prints each seed's summary and failures; exits 1 if any seed
found one. Not part of `make test` (each seed takes minutes).

    .venv/bin/python bench/contract_seeds.py [--seeds 5] [--seed N ...] [--max-examples 20]
"""
import argparse
import random
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_contract import run_schemathesis  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="how many random seeds")
    parser.add_argument("--seed", type=int, action="append", help="a seed to run (repeatable)")
    parser.add_argument("--max-examples", type=int, default=20, help="per operation in the fuzzing phase")
    parser.add_argument("--coverage", action="store_true", help="run the coverage phase too")
    args = parser.parse_args(argv)
    seeds = args.seed or [random.randrange(2**31) for _ in range(args.seeds)]
    phases = "coverage,fuzzing,stateful" if args.coverage else "fuzzing,stateful"
    failed = 0
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="contract-") as folder:
            run, summary = run_schemathesis(Path(folder), "--seed", str(seed), "--phases", phases,
                                            "--max-examples", str(args.max_examples), "--continue-on-failure")
        print(f"seed {seed}: {summary}", flush=True)
        if run.returncode != 0:
            failed += 1
            found = re.search(r"(=+ FAILURES =+.*?)(?:=+ SUMMARY|\Z)", run.stdout, re.S)
            print((found.group(1) if found else run.stdout[-6000:])[:12000], flush=True)
    print(f"{len(seeds) - failed} of {len(seeds)} seed(s) kept the contract")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
