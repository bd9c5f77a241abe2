"""The agent runtime's side of MCP (sre_agent.mcp_tools) against real MCP
servers made with the SDK: a runner's own stdio server from its config file,
names that never collide, a server too slow to connect or gone mid-run, and
the SDK imported only by runs that use MCP servers."""
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from sre_agent.deadline import Deadline
from sre_agent.executor import execute
from sre_agent.mcp_tools import open_for_run
from sre_agent.mcp_tools.naming import MAX_NAME, namespaced
from sre_agent.settings import AgentSettings, Outbound
from sre_client.runner import local_mcp_servers, read_config
from tests.conftest import NOW
from tests.mcp_fixtures import serve_http
from tests.servers import slow
from tests.test_agent_openai import ModelServer, answer, tool_reply
from tests.test_service_tools import Reporter

ROOT = Path(__file__).resolve().parent.parent
STDIO = [sys.executable, str(ROOT / "tests" / "fixtures" / "mcp_stdio_server.py")]
LOOPBACK = AgentSettings(outbound=Outbound(allow_loopback=True), mcp_connect_timeout=10, mcp_call_timeout=2)


def test_names_are_sanitised_unique_and_short_enough_for_every_backend():
    taken = {"http_check", "query_runs"}
    assert namespaced("Grafana prod", "search dashboards", taken) == "Grafana_prod__search_dashboards"
    clash = namespaced("Grafana/prod", "search.dashboards", taken)
    assert clash != "Grafana_prod__search_dashboards" and clash.startswith("Grafana_prod__search_dashboards_")
    long = namespaced("s" * 40, "t" * 40, taken)
    assert len(long) <= MAX_NAME and long not in {"Grafana_prod__search_dashboards", clash}
    assert all(len(n) <= MAX_NAME and n.replace("_", "a").replace("-", "a").isalnum() for n in taken)
    assert namespaced("", "", taken) == "x__x"


def test_a_runners_config_declares_stdio_servers_and_bad_entries_are_named(tmp_path):
    path = tmp_path / "runner.yaml"
    path.write_text(f"mcp_servers:\n  - name: local\n    command: {STDIO[0]}\n    args: [{STDIO[1]}, local]\n"
                    f"    env: {{MODE: test}}\n    allowed_tools: [echo]\n")
    assert local_mcp_servers(read_config(str(path))) == [
        {"name": "local", "command": STDIO[0], "args": [STDIO[1], "local"], "env": {"MODE": "test"},
         "allowed_tools": ["echo"]}]
    for bad, says in (({"mcp_servers": [{"name": "x"}]}, "mcp_servers[0].command"),
                      ({"mcp_servers": [{"name": "x", "command": "c", "url": "u"}]}, "mcp_servers[0] must"),
                      ({"mcp_servers": [{"name": "x", "command": "c", "args": "a b"}]}, "mcp_servers[0].args"),
                      ({"mcp_servers": "x"}, "mcp_servers must be a list")):
        with pytest.raises(ValueError, match=re_escape(says)):
            local_mcp_servers(bad)


def re_escape(text):
    import re
    return re.escape(text)


def test_a_runners_stdio_server_is_offered_and_called_by_the_model(tmp_path):
    """The runner's own server (its config file) in a run: offered as
    local__echo beside the service's tools, called by the scripted model,
    the result in the conversation and the session; the allow-list holds."""
    model = ModelServer(tool_reply(("c1", "local__echo", '{"text": "disk of db-1"}'),
                                   ("c2", "local__secret_dump", "{}")), answer("# Disk\n\nfine"))
    try:
        settings = replace(LOOPBACK, backend="openai", openai_base_url=f"{model.url}/v1", openai_model="m")
        reporter = Reporter({"ok": True})
        local = [{"name": "local", "command": STDIO[0], "args": [STDIO[1]], "env": {}, "allowed_tools": ["echo"]}]
        work = {"run_id": "run_1", "automation": {"id": "aut_1"}, "prompt": "Check the disks.", "tools": []}
        result = execute(work, reporter, settings, clock=lambda: NOW, local_mcp_servers=local)
    finally:
        model.close()
    offered = {t["function"]["name"] for t in model.requests[0]["body"]["tools"]}
    assert "local__echo" in offered and "local__secret_dump" not in offered and "http_check" in offered
    replies = {m["tool_call_id"]: json.loads(m["content"]) for m in model.requests[1]["body"]["messages"]
               if m["role"] == "tool"}
    assert replies["c1"]["content"] == "echo: disk of db-1"
    assert "not on its allow-list" in replies["c2"]["error"]
    calls = [json.loads(i["data"]) for i in reporter.items if i["kind"] == "tool_call"]
    assert [(c["id"], c["tool"], c["input"]) for c in calls] == [("c1", "local__echo", {"text": "disk of db-1"}),
                                                                 ("c2", "local__secret_dump", {})]
    assert calls[0]["output"]["ok"] is True and result["status"] == "partial"  # one refused call


def test_a_server_too_slow_to_connect_is_a_note_within_the_deadline():
    with slow(b"{}", first_byte_after=30) as url:
        tools = open_for_run([{"name": "sluggish", "url": f"{url}/mcp"}],
                             replace(LOOPBACK, mcp_connect_timeout=0.5), Deadline(None), set())
        try:
            assert tools.specs == [] and tools.notes == [
                "MCP server sluggish: unavailable (TimeoutError: no answer within 0.5 s)"]
        finally:
            tools.close()


def test_a_server_that_goes_away_mid_run_is_a_tool_error():
    with serve_http() as url:
        tools = open_for_run([{"name": "ops", "url": url}], LOOPBACK, Deadline(None), set())
        assert tools.call("ops__echo", {"text": "up"})["content"] == "echo: up"
    try:
        gone = tools.call("ops__echo", {"text": "down"})
        assert gone["ok"] is False and gone["error"].startswith("ops__echo failed:"), gone
    finally:
        tools.close()


def test_the_environments_stop_bounds_a_call():
    with serve_http() as url:
        tools = open_for_run([{"name": "ops", "url": url}], replace(LOOPBACK, mcp_call_timeout=30),
                             Deadline(1.0), set())
        try:
            answer_ = tools.call("ops__slow", {"seconds": 10})
        finally:
            tools.close()
    assert answer_["ok"] is False and "no answer within" in answer_["error"]


def test_the_mcp_sdk_is_imported_only_by_runs_that_use_servers():
    code = """
import sys
import app  # the API's cold start
from sre_agent.executor import execute
from tests.test_service_tools import Reporter
from sre_agent.settings import AgentSettings
work = {"run_id": "r", "automation": {"id": "a"}, "prompt": "p", "template_id": None}
execute(work, Reporter({}), AgentSettings())
print(sorted(m for m in sys.modules if m == "mcp" or m.startswith(("mcp.", "httpx2"))))
"""
    env = {"PYTHONPATH": f"{ROOT}:{ROOT / 'runtime'}:{ROOT / 'client'}", "PATH": "/usr/bin:/bin",
           "AWS_DEFAULT_REGION": "us-east-1", "TABLE_PREFIX": "t", "PUBLIC_BASE_URL": "http://testserver"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
