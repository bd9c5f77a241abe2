"""The code's layers (docs/design.md, "Code layout"): `lint-imports` (run by
make test) checks the contracts in pyproject.toml; this test checks what a
layers contract does not: that no module reaches back to itself through other
modules, imports inside functions counted, in the service and the agent runtime."""
import grimp


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_round_a_circle():
    graph = grimp.build_graph("chalicelib", "sre_agent")
    ours = [m for m in graph.modules if m.split(".")[0] in ("chalicelib", "sre_agent")]
    # a package's __init__ importing its own submodules is not a circle of the code's
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i in ours and not m.startswith(i + ".")}
             for m in ours}
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_circle_through_a_function_level_import(tmp_path, monkeypatch):
    package = tmp_path / "circle"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circle import b\n")
    (package / "b.py").write_text("def later():\n    from circle import a\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("circle", cache_dir=None)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) - {"circle"} for m in graph.modules}
    assert _cycles(edges) == [["circle.a", "circle.b"]]
