"""The code's layers (docs/design.md, "Code layout"): `lint-imports` (run by
make test) checks the contracts in pyproject.toml; this test checks what a
layers contract does not: that no module reaches back to itself through other
modules, imports inside functions counted, in the service and the agent runtime."""
import grimp

from bench.layers import cycles


def test_no_module_imports_itself_round_a_circle():
    graph = grimp.build_graph("chalicelib", "sre_agent")
    ours = [m for m in graph.modules if m.split(".")[0] in ("chalicelib", "sre_agent")]
    # a package's __init__ importing its own submodules is not a circle of the code's
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i in ours and not m.startswith(i + ".")}
             for m in ours}
    assert cycles(edges) == []


def test_the_cycle_finder_finds_a_circle_through_a_function_level_import(tmp_path, monkeypatch):
    package = tmp_path / "circle"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circle import b\n")
    (package / "b.py").write_text("def later():\n    from circle import a\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("circle", cache_dir=None)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) - {"circle"} for m in graph.modules}
    assert cycles(edges) == [["circle.a", "circle.b"]]
