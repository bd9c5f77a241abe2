"""How tangled the code is, and what a cold start pays for it: the figures of
issue 17, for any checkout (`.venv/bin/python bench/layers.py [REPO]`).

- import circles among chalicelib's packages and modules, imports inside
  functions counted (grimp reads every import statement);
- modules outside chalicelib/store that import pynamodb, boto3 or botocore
  directly (vendor adapters such as secrets and email may use botocore);
- `raise` statements of HTTP errors outside the edge (Chalice's view errors
  and the old chalicelib.errors.ApiError family);
- tests that need moto (they use the `aws`, `api` or `owner` fixtures, or
  mock_aws) and those that do not;
- `import app` in a fresh interpreter, median of 9 (milliseconds);
- lines of the `sre` command's modules (client/sre_client).
"""
import ast
import statistics
import subprocess
import sys
from pathlib import Path

MOTO_FIXTURES = {"aws", "api", "owner", "people", "transport"}


def cycles(edges: dict) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan): the import circles."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10_000)

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


def circles(repo: Path) -> dict:
    """Package and module circles of chalicelib (a subprocess, so the repo's own code is read)."""
    script = (
        "import grimp, json\n"
        "g = grimp.build_graph('chalicelib', include_external_packages=True, cache_dir=None)\n"
        "mods = [m for m in g.modules if m.startswith('chalicelib')]\n"
        "edges = {m: sorted(i for i in g.find_modules_directly_imported_by(m) if i.startswith('chalicelib') "
        "and not m.startswith(i + '.')) for m in mods}\n"
        "ext = sorted(m for m in mods if not m.startswith('chalicelib.store') and any(i.split('.')[0] in "
        "('pynamodb', 'boto3', 'botocore') for i in g.find_modules_directly_imported_by(m)))\n"
        "print(json.dumps({'edges': edges, 'external': ext}))\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=True)
    import json
    data = json.loads(out.stdout)
    modules = {m: set(v) for m, v in data["edges"].items()}
    packages: dict[str, set] = {}
    for m, targets in modules.items():
        for t in targets:
            a, b = ".".join(m.split(".")[:2]), ".".join(t.split(".")[:2])
            if a != b:
                packages.setdefault(a, set()).add(b)
    return {"package_circles": cycles(packages), "module_circles": cycles(modules), "external": data["external"]}


def http_raises(repo: Path) -> int:
    """`raise` of an HTTP error class outside app.py and chalicelib/http: Chalice's,
    and chalicelib.errors' own where those are Chalice view errors."""
    errors = (repo / "chalicelib" / "errors.py").read_text()
    names = {"ChaliceViewError", "BadRequestError", "NotFoundError", "UnauthorizedError", "ForbiddenError",
             "ConflictError", "TooManyRequestsError"}
    if "ChaliceViewError" in errors:
        names |= {n.name for n in ast.parse(errors).body if isinstance(n, ast.ClassDef)}
    count = 0
    for path in (repo / "chalicelib").rglob("*.py"):
        if "http" in path.relative_to(repo / "chalicelib").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in names:
                    count += 1
    return count


def tests_needing_moto(repo: Path) -> tuple[int, int]:
    """(tests that need moto, tests that do not), by the fixtures they ask for."""
    need = plain = 0
    for path in (repo / "tests").glob("test_*.py"):
        tree = ast.parse(path.read_text())
        fixtures = {n.name: {a.arg for a in n.args.args} for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        for name, args in fixtures.items():
            if not name.startswith("test_"):
                continue
            seen, todo, moto = set(), list(args), False
            while todo:
                arg = todo.pop()
                if arg in seen:
                    continue
                seen.add(arg)
                if arg in MOTO_FIXTURES:
                    moto = True
                todo += list(fixtures.get(arg, ()))
            need, plain = (need + 1, plain) if moto else (need, plain + 1)
    return need, plain


def cold_import_ms(repo: Path, times: int = 9) -> float:
    """`import app` in a fresh interpreter, median of `times` (ms)."""
    script = "import time; t = time.perf_counter(); import app; print((time.perf_counter() - t) * 1000)"
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "",
           "HOME": str(Path.home())}
    samples = [float(subprocess.run([sys.executable, "-c", script], cwd=repo, env=env, capture_output=True,
                                    text=True, check=True).stdout) for _ in range(times)]
    return statistics.median(samples)


def cli_lines(repo: Path) -> dict:
    """Lines of each module of the `sre` command."""
    return {str(p.relative_to(repo / "client" / "sre_client")): len(p.read_text().splitlines())
            for p in sorted((repo / "client" / "sre_client").rglob("*.py"))}


def main(argv: list[str]) -> None:
    repo = Path(argv[0] if argv else Path(__file__).resolve().parent.parent).resolve()
    found = circles(repo)
    need, plain = tests_needing_moto(repo)
    lines = cli_lines(repo)
    print(f"checkout: {repo}")
    print(f"package circles (imports inside functions counted): {len(found['package_circles'])} "
          f"{[len(c) for c in found['package_circles']]} {found['package_circles']}")
    print(f"module circles: {len(found['module_circles'])} (sizes {[len(c) for c in found['module_circles']]})")
    print(f"modules outside chalicelib/store importing pynamodb/boto3/botocore: {len(found['external'])} "
          f"{found['external']}")
    print(f"raises of HTTP errors outside the edge: {http_raises(repo)}")
    print(f"tests needing moto: {need}; tests without: {plain}")
    print(f"cold import app, median of 9: {cold_import_ms(repo):.0f} ms")
    print(f"cli.py lines: {lines.get('cli.py')}; the command's modules: {lines}")


if __name__ == "__main__":
    main(sys.argv[1:])
