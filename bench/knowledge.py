"""Knowledge search at 1,000 documents: search latency (p50, p99) with the
index warm, the first search of a process (reading the documents from
DynamoDB and building the index), the index's size, and what importing
bm25s and numpy costs, against zero for the API function's cold import.

    .venv/bin/python bench/knowledge.py [--documents 1000] [--queries 300]

In-process moto. Each document is a generated runbook (a title and six
sections of about 80 words over a 3,000-word vocabulary with service,
alert and command names); the queries are words drawn the same way. The
index size is what bm25s saves (its score matrix, vocabulary and
parameters), plus nothing of ours. The import cost is measured in fresh
interpreters with `-X importtime`: `import app` (the API function's cold
start: it must not import bm25s or numpy), then `import bm25s` on its own.
"""
import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_SESSION_TOKEN="bench",
                  AWS_DEFAULT_REGION="us-east-1", TABLE_PREFIX="bench-knowledge", POWERTOOLS_METRICS_DISABLED="true")
os.environ.pop("AWS_ENDPOINT_URL", None)

NOW = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
SERVICES = [f"svc{i:02d}" for i in range(60)]


def vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(size)]


def runbook(rng: random.Random, words: list[str], n: int) -> tuple[str, str]:
    """(title, Markdown) of one generated runbook."""
    service = rng.choice(SERVICES)
    title = f"{service} runbook {n}"
    parts = [f"# {title}", "", " ".join(rng.choices(words, k=40))]
    for s in range(6):
        alert = f"{service.capitalize()}{rng.choice(words).capitalize()}Alert"
        parts += ["", f"## {alert} section {s}", "", " ".join(rng.choices(words, k=80)),
                  f"Run `{service}ctl restart` when {alert} fires."]
    return title, "\n".join(parts) + "\n"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(documents: int, queries: int) -> dict:
    from moto import mock_aws
    with mock_aws():
        from chalicelib import settings
        from chalicelib.identity.caller import Caller
        from chalicelib.knowledge import search
        from chalicelib.store import repos, tables
        from chalicelib.store.records import Document
        settings.current()
        tables.ensure_tables()
        settings.install(replace(settings.current()))
        rng = random.Random(20)
        words = vocabulary(rng)
        started = time.perf_counter()
        for n in range(documents):
            title, content = runbook(rng, words, n)
            repos.knowledge.add(Document("acct-bench", f"kb_{n:06d}", title, 0, "usr", NOW.isoformat(),
                                         NOW.isoformat(), content=content, size=len(content.encode())))
        loading = time.perf_counter() - started
        reader = Caller(user_id="usr", account_id="acct-bench", role="owner", email="", _team_ids=frozenset())
        started = time.perf_counter()
        index = search.index_for("acct-bench", reader, None)  # read from DynamoDB, built
        first = time.perf_counter() - started
        docs = repos.knowledge.of_teams("acct-bench", None, content=True)
        started = time.perf_counter()
        search.Index(docs)
        build = time.perf_counter() - started
        texts = [" ".join(rng.choices(words + SERVICES, k=rng.randint(2, 6))) for _ in range(queries)]
        latencies, found = [], 0
        for text in texts:
            started = time.perf_counter()
            hits = search.results(search.index_for("acct-bench", reader, None), text, 10)
            latencies.append((time.perf_counter() - started) * 1000)
            found += bool(hits)
        raw = []
        for text in texts:
            started = time.perf_counter()
            index.search(text, 10)
            raw.append((time.perf_counter() - started) * 1000)
        with tempfile.TemporaryDirectory() as folder:
            index.retriever.save(folder)
            size = sum(p.stat().st_size for p in Path(folder).iterdir())
        return {"documents": documents, "sections": len(index.entries), "vocabulary": len(index.retriever.vocab_dict),
                "load_seconds": round(loading, 1), "first_search_ms": round(first * 1000, 1),
                "build_ms": round(build * 1000, 1),
                "p50_ms": round(percentile(latencies, 50), 2), "p99_ms": round(percentile(latencies, 99), 2),
                "index_p50_ms": round(percentile(raw, 50), 2), "index_p99_ms": round(percentile(raw, 99), 2),
                "mean_ms": round(statistics.mean(latencies), 2), "queries": queries, "with_results": found,
                "index_bytes": size}


_IMPORT = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def import_ms(code: str) -> dict[str, float]:
    """Cumulative import time (ms) of each top-level module `code` imported, in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "runtime"), str(ROOT / "client")])}
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True).stderr
    tops = {}
    for line in out.splitlines():
        found = _IMPORT.match(line)
        if found and len(found.group(3)) == 1:  # one space: imported by the code itself, not by another module
            tops[found.group(4)] = tops.get(found.group(4), 0) + int(found.group(2)) / 1000
    return tops


def imports(rounds: int = 5) -> dict:
    """Median over `rounds` fresh interpreters."""
    app, bm25, loaded = [], [], set()
    for _ in range(rounds):
        tops = import_ms("import app, sys; print(sorted(m for m in ('bm25s', 'numpy') if m in sys.modules))")
        app.append(tops.get("app", 0.0))
        loaded |= {m for m in ("bm25s", "numpy") if m in tops}
        bm25.append(sum(import_ms("import bm25s").get(m, 0.0) for m in ("bm25s", "numpy")))
    check = subprocess.run([sys.executable, "-c", "import app, sys; print(sorted(m for m in ('bm25s', 'numpy') "
                            "if m in sys.modules))"], capture_output=True, text=True, cwd=ROOT, check=True,
                           env={**os.environ, "PYTHONPATH": os.pathsep.join(
                               [str(ROOT), str(ROOT / "runtime"), str(ROOT / "client")])}).stdout.strip()
    return {"app_ms": round(statistics.median(app), 1), "bm25s_numpy_ms": round(statistics.median(bm25), 1),
            "app_imports": check, "bm25s_in_app_importtime": sorted(loaded)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    result = measure(args.documents, args.queries)
    cost = imports()
    print("=" * 78)
    print(f"KNOWLEDGE SEARCH at {result['documents']} documents ({result['sections']} sections, "
          f"{result['vocabulary']} distinct words; loaded into moto in {result['load_seconds']} s)")
    print(f"  search latency, index warm (the scope check included): p50 {result['p50_ms']} ms, "
          f"p99 {result['p99_ms']} ms, mean {result['mean_ms']} ms over {result['queries']} queries "
          f"({result['with_results']} with results)")
    print(f"  search latency, the index alone (BM25 scores, top 10, snippets): p50 {result['index_p50_ms']} ms, "
          f"p99 {result['index_p99_ms']} ms")
    print(f"  first search of a process (read the documents from moto, build the index): "
          f"{result['first_search_ms']} ms, of which building the index {result['build_ms']} ms")
    print(f"  index size (bm25s saved: scores, vocabulary, parameters): {result['index_bytes']} bytes")
    print(f"  import cost: bm25s + numpy {cost['bm25s_numpy_ms']} ms; `import app` (API cold start) "
          f"{cost['app_ms']} ms, of which bm25s/numpy 0 ms (loaded by app: {cost['app_imports']})")
    print("=" * 78)


if __name__ == "__main__":
    main()
