"""What MCP servers cost a run's start, and what the MCP client costs a
function that uses none.

    .venv/bin/python bench/mcp.py [--rounds 5] [--json]

It starts five MCP servers made with the official SDK (streamable HTTP, each
on a free port of 127.0.0.1, in a child process of their own) and, for 1 and
5 of them, times what the agent runtime does at a run's start
(sre_agent.mcp_tools: connect to every server at once through the outbound
guard, list the tools, name them) and the close at the end, over `--rounds`
rounds (the first, which also imports the SDK, reported apart). Then, in fresh interpreters,
the cold import of what a function that uses no MCP server loads (the API's
`app`, the runtime's executor, a whole run without servers) with and
without importing the MCP client, and whether `mcp` was imported at all.

Everything stays on 127.0.0.1 (tests/loopback_only.py is installed).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on the path, and this file would be `mcp`: not the SDK.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
for _path in (ROOT, ROOT / "runtime", ROOT / "client"):
    sys.path.insert(0, str(_path))

from tests import loopback_only  # noqa: E402

NO_MCP_RUN = """
import sys, time
started = time.perf_counter()
import app
from sre_agent.executor import execute
from tests.test_service_tools import Reporter
from sre_agent.settings import AgentSettings
execute({"run_id": "r", "automation": {"id": "a"}, "prompt": "p"}, Reporter({}), AgentSettings())
elapsed = time.perf_counter() - started
print(elapsed, int(any(m == "mcp" or m.startswith("mcp.") for m in sys.modules)))
"""
SERVERS = """
import logging, sys
logging.disable(logging.WARNING)
from contextlib import ExitStack
from tests.mcp_fixtures import serve_http
with ExitStack() as stack:
    for i in range(5):
        print(stack.enter_context(serve_http(name=f"srv{i}")), flush=True)
    sys.stdin.read()
"""
WITH_MCP_IMPORT = NO_MCP_RUN.replace("import app\n", "import app\nimport sre_agent.mcp_tools.client\n")


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def start_times(urls: list[str], rounds: int) -> dict:
    """Connect-and-list times (ms) for these servers: the first round and the median of the rest."""
    from sre_agent.deadline import Deadline
    from sre_agent.mcp_tools import open_for_run
    from sre_agent.settings import AgentSettings, Outbound

    settings = AgentSettings(outbound=Outbound(allow_loopback=True))
    servers = [{"name": f"srv{i}", "url": url} for i, url in enumerate(urls)]
    opens, closes, tools = [], [], 0
    for _ in range(rounds + 1):
        started = time.perf_counter()
        mcp = open_for_run(servers, settings, Deadline(None), {"http_check", "query_runs"})
        opened = time.perf_counter()
        assert not mcp.notes, mcp.notes
        tools = len(mcp.specs)
        mcp.close()
        opens.append(opened - started)
        closes.append(time.perf_counter() - opened)
    return {"servers": len(urls), "tools_offered": tools, "first_ms": _ms(opens[0]),
            "median_ms": _ms(statistics.median(opens[1:])), "max_ms": _ms(max(opens[1:])),
            "close_median_ms": _ms(statistics.median(closes[1:]))}


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in (ROOT, ROOT / "runtime", ROOT / "client")),
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
            "TABLE_PREFIX": "bench", "PUBLIC_BASE_URL": "http://127.0.0.1"}


def cold(code: str, rounds: int) -> dict:
    """The median seconds of `code` in fresh interpreters, and whether it imported mcp."""
    env = _env()
    times, imported = [], set()
    for _ in range(rounds):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120, check=True)
        seconds, flag = out.stdout.split()[-2:]
        times.append(float(seconds))
        imported.add(flag == "1")
    return {"median_ms": _ms(statistics.median(times)), "imports_mcp": imported == {True}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    import logging
    logging.disable(logging.WARNING)  # the SDK's request lines

    servers = subprocess.Popen([sys.executable, "-c", SERVERS], cwd=ROOT, env=_env(), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        urls = [servers.stdout.readline().strip() for _ in range(5)]
        if not all(urls):
            raise SystemExit("the MCP servers did not start")
        one, five = start_times(urls[:1], args.rounds), start_times(urls, args.rounds)
    finally:
        servers.stdin.close()
        servers.wait(30)
    without = cold(NO_MCP_RUN, args.rounds)
    with_client = cold(WITH_MCP_IMPORT, args.rounds)
    result = {"start_with_1_server": one, "start_with_5_servers": five,
              "cold_run_without_mcp": without, "cold_run_importing_the_mcp_client": with_client,
              "mcp_client_import_cost_ms": round(with_client["median_ms"] - without["median_ms"], 1)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"run start, 1 MCP server : +{one['median_ms']} ms median (first {one['first_ms']} ms, with the "
          f"SDK's import; max {one['max_ms']} ms), {one['tools_offered']} tools; close {one['close_median_ms']} ms")
    print(f"run start, 5 MCP servers: +{five['median_ms']} ms median (max {five['max_ms']} ms), "
          f"{five['tools_offered']} tools; close {five['close_median_ms']} ms")
    print(f"cold start + run without MCP servers: {without['median_ms']} ms, mcp imported: "
          f"{'yes' if without['imports_mcp'] else 'no'}")
    print(f"the same importing the MCP client:    {with_client['median_ms']} ms "
          f"(the client costs {result['mcp_client_import_cost_ms']} ms; a function without servers pays 0)")


if __name__ == "__main__":
    main()
