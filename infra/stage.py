"""Copy what Chalice packages into a folder of its own, without bytecode.

`chalice package` zips every file under chalicelib/, `__pycache__` included,
and hashes them first. Run in the working tree, it packs whatever bytecode the
last test or local stack left there, and fails outright when another Python
process replaces a `.pyc` between the hash and the zip (seen in CI, where the
tests compile the modules while the package test runs). A staged copy of the
sources is the same package every time, a little smaller, and never races.

`.venv/bin/python infra/stage.py build/stage` (re)writes app.py,
requirements.txt, chalicelib/ and .chalice/*.json there, and the agent
runtime (runtime/sre_agent, the package runners share) as
vendor/sre_agent, which Chalice (with `automatic_layer`) puts in the
dependency layer's site-packages, on every function's import path; the
folder's `.chalice/deployments` (Chalice's cache of built dependencies) is
kept.
"""
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("app.py", "requirements.txt")
BYTECODE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


def stage(target: Path, root: Path = ROOT) -> Path:
    """Write a bytecode-free copy of the packaged sources into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy2(root / name, target / name)
    shutil.rmtree(target / "chalicelib", ignore_errors=True)
    shutil.copytree(root / "chalicelib", target / "chalicelib", ignore=BYTECODE)
    shutil.rmtree(target / "vendor", ignore_errors=True)
    shutil.copytree(root / "runtime" / "sre_agent", target / "vendor" / "sre_agent", ignore=BYTECODE)
    config = target / ".chalice"
    config.mkdir(exist_ok=True)
    for stale in config.glob("*.json"):
        stale.unlink()
    for source in (root / ".chalice").glob("*.json"):
        shutil.copy2(source, config / source.name)
    return target


if __name__ == "__main__":
    print(f"staged the package's sources in {stage(Path(sys.argv[1]))}")
