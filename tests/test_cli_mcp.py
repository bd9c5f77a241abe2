"""`sre mcp add|list|show|test|delete` and `sre automations create/edit
--mcp-server`, through click's CliRunner against the app in process, with a
real MCP server (the SDK's, streamable HTTP on 127.0.0.1) to test."""
import json
import re

from tests.mcp_fixtures import serve_http
from tests.servers import outbound
from tests.test_cli_ops import env, ok, sre  # noqa: F401 - the fixtures


def test_add_test_show_list_use_and_delete_an_mcp_server(sre, api, owner, aws):  # noqa: F811
    api.ok("PUT", "/secrets/grafana-mcp-token", owner, {"value": "tok-123"}, status=201)
    with serve_http() as url, outbound(allow_loopback=True):
        added = ok(sre("mcp", "add", "grafana", "--url", url, "--bearer-secret", "grafana-mcp-token",
                       "--header", "X-Org: 7", "--allow", "echo", "--allow", "slow"))
        server_id = re.search(r"^added (mcp_\w+) ", added, re.M).group(1)
        tested = ok(sre("mcp", "test", server_id))
        assert f"{server_id}: connected in" in tested and "4 tool(s)" in tested
        assert re.search(r"^echo\s+yes\s+Say the text back", tested, re.M)
        assert re.search(r"^secret_dump\s+no \(not on the allow-list\)", tested, re.M)
    shown = ok(sre("mcp", "show", server_id))
    assert "Bearer <secret grafana-mcp-token>" in shown and "tok-123" not in shown and "echo, slow" in shown
    assert server_id in ok(sre("mcp", "list"))
    listed = json.loads(ok(sre("mcp", "list", "--json")))
    assert listed["mcp_servers"][0]["headers"]["X-Org"] == "7"

    down = sre("mcp", "test", server_id)  # the server stopped with the `with`
    assert down.exit_code == 1 and "refused by the outbound guard" in down.output  # loopback is internal again

    made = ok(sre("automations", "create", "--name", "with mcp", "--prompt", "Look at Grafana.", "--hourly",
                  "--mcp-server", server_id, "--json"))
    automation = json.loads(made)["automation"]
    assert automation["mcp_server_ids"] == [server_id]
    bad = sre("automations", "edit", automation["id"], "--mcp-server", "mcp_nope")
    assert bad.exit_code == 1 and "--mcp-server: mcp_server_ids[0]: there is no MCP server 'mcp_nope'" in bad.output
    assert json.loads(ok(sre("automations", "edit", automation["id"], "--mcp-server", "none", "--json")))[
        "automation"]["mcp_server_ids"] == []
    bad_add = sre("mcp", "add", "x", "--url", "https://x.example/mcp", "--header", "Authorization: Bearer raw")
    assert bad_add.exit_code == 1 and "--header: headers.Authorization looks like a credential" in bad_add.output
    ok(sre("mcp", "delete", server_id, "--yes"))
    assert "no MCP servers" in ok(sre("mcp", "list"))


def test_a_runner_refuses_a_bad_config_file_before_it_starts(tmp_path, env):  # noqa: F811
    from click.testing import CliRunner

    from sre_client.cli import main
    bad = tmp_path / "runner.json"
    bad.write_text(json.dumps({"mcp_servers": [{"name": "k8s", "args": ["x"]}]}))
    token = "srert_" + "0123456789abcdef" + "x" * 43
    result = CliRunner(env=env).invoke(main, ["runner", "start", "--token", token, "--url", "http://127.0.0.1:9",
                                              "--config", str(bad)], prog_name="sre")
    assert result.exit_code == 2 and "--config" in result.output and "mcp_servers[0].command" in result.output
