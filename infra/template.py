"""The template merged into Chalice's (`chalice package --merge-template`):
infra/resources.json (tables, queues, function settings) plus
infra/operations.py (alarms, topic, dashboard, outputs).

`.venv/bin/python infra/template.py build/infra.json` writes it."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from operations import template as operations  # noqa: E402

RESOURCES = Path(__file__).resolve().parent / "resources.json"


def merged() -> dict:
    """resources.json with the operations fragment added (no name may be in both)."""
    base, extra = json.loads(RESOURCES.read_text()), operations()
    for section, entries in extra.items():
        existing = base.setdefault(section, {})
        clash = set(existing) & set(entries)
        if clash:
            raise ValueError(f"{section} {sorted(clash)} are in both resources.json and operations.py")
        existing.update(entries)
    return base


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merged(), indent=2) + "\n")
