"""`POST /mcp-servers/{id}/test`: connect to a server from the service, as a
cloud-sandbox run would (through the outbound guard, within
AGENT_MCP_CONNECT_TIMEOUT, with its header secrets), and list its tools.

The answer is the finding, not a failure of the request: {"ok": true,
"tools": [...]} or {"ok": false, "error": "..."} saying whether the server
is refused by the guard, down, slow, or not an MCP server. The MCP SDK is
imported only here and in a run that uses servers (sre_agent.mcp_tools)."""
import time

from chalicelib import settings
from chalicelib.identity import permissions
from chalicelib.mcp import servers


def test(caller, server_id: str) -> dict:
    """Connect to the server (owners and admins: it uses the server's secrets) and list its tools."""
    permissions.require_admin(caller)
    server = servers.get(caller, server_id)
    from sre_agent.deadline import Deadline
    from sre_agent.mcp_tools import McpTools

    agent = settings.current().agent
    started = time.monotonic()
    tools = McpTools([servers.connection(server)], agent, Deadline(agent.mcp_connect_timeout + 5))
    try:
        notes = tools.start(taken=set())
    finally:
        tools.close()
    elapsed = round((time.monotonic() - started) * 1000, 1)
    if notes:
        return {"ok": False, "error": notes[0].split(": ", 1)[-1], "elapsed_ms": elapsed}
    allowed = server.allowed_tools
    return {"ok": True, "elapsed_ms": elapsed,
            "tools": [{"name": t["name"], "description": t["description"],
                       "allowed": allowed is None or t["name"] in allowed}
                      for t in tools.listed.get(server.name, [])]}
