"""chalicelib/actions is a leaf: it knows how to check, preview and send each
action type, and nothing about runs, rules or events (those decide what fires
and when: chalicelib/runs/notify.py, control_actions.py, test_fire.py)."""
import ast
from pathlib import Path

ACTIONS = Path(__file__).resolve().parent.parent / "chalicelib" / "actions"
FORBIDDEN = ("chalicelib.runs", "chalicelib.rules", "chalicelib.events")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_module_under_actions_imports_runs_rules_or_events():
    modules = sorted(ACTIONS.glob("*.py"))
    assert len(modules) > 10  # the check sees the package
    offending = {path.name: sorted(name for name in _imports(path) if name.startswith(FORBIDDEN))
                 for path in modules}
    assert {name: found for name, found in offending.items() if found} == {}


def test_the_check_would_catch_an_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from chalicelib import runs\nimport chalicelib.events.ingest\n")
    assert {"chalicelib.runs", "chalicelib.events.ingest"} <= {n for n in _imports(bad) if n.startswith(FORBIDDEN)}
