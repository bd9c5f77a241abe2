"""The tools of a run's MCP servers, offered to the model beside the
service's own: `McpTools` connects at the run's start, lists each server's
tools under namespaced names (`<server>__<tool>`, see naming.py) and runs
the calls, each with a deadline.

A server is either the service's (`work["mcp_servers"]`: a streamable-HTTP
URL, its headers with secrets already resolved, an optional allow-list) or
a runner's own (its config file: a command line started as a stdio server,
offered by that runner only). A server that cannot be reached, is too slow,
or is refused by the outbound guard is a note for the run (its tools are
not offered); a call that fails, times out or names a tool off the
allow-list is a tool error the model reads. Nothing here raises into the run.

The MCP SDK is imported (sre_agent.mcp_tools.client) only when a run has
servers: `open_for_run` with none returns None and imports nothing."""
import json
import logging

from sre_agent.deadline import NONE as NO_STOP
from sre_agent.deadline import Deadline
from sre_agent.mcp_tools.naming import allowed, namespaced
from sre_agent.net import guard
from sre_agent.settings import AgentSettings

log = logging.getLogger(__name__)
MAX_OUTPUT_CHARS = 20_000  # one tool's answer in the conversation and the session


class McpTools:
    """The MCP tools of one run: `specs` to offer, `call` to run one, `close` at the end."""

    def __init__(self, servers: list[dict], settings: AgentSettings, deadline: Deadline = NO_STOP):
        self.servers, self.settings, self.deadline = servers, settings, deadline
        self.specs, self.notes = [], []
        self.routes: dict[str, tuple[str, str]] = {}  # offered name -> (server key, tool)
        self.refused: dict[str, tuple[str, str]] = {}  # names of tools off an allow-list -> (server name, tool)
        self.listed: dict[str, list[dict]] = {}  # server name -> every tool it listed (a test shows them)
        self.connections = None

    def start(self, taken: set[str]) -> list[str]:
        """Connect to every server (all at once, within AGENT_MCP_CONNECT_TIMEOUT)
        and name their tools apart from `taken`; returns the notes of servers
        that could not be used."""
        usable = {}
        for i, server in enumerate(self.servers):
            label = server.get("name") or f"server {i + 1}"
            if server.get("error"):
                self.notes.append(f"MCP server {label}: {server['error']}")
                continue
            if server.get("url"):
                try:
                    guard.check_url(server["url"], self.settings.outbound)
                except guard.BlockedAddress as exc:
                    self.notes.append(f"MCP server {label}: refused by the outbound guard: {exc}")
                    continue
                except ValueError as exc:  # a URL no request can be made of (a port that is no number)
                    self.notes.append(f"MCP server {label}: bad URL: {exc}")
                    continue
            usable[f"s{i}"] = server
        if not usable:
            return self.notes
        from sre_agent.mcp_tools.client import Connections, reason  # the SDK: only for a run with servers

        self.connections = Connections(self.settings.outbound)
        timeout = self.deadline.cap(self.settings.mcp_connect_timeout)
        try:
            opened = self.connections.open(usable, max(timeout, 0.001))
        except Exception as exc:  # noqa: BLE001 - the loop itself failed: every server is unavailable, the run goes on
            opened = dict.fromkeys(usable, exc)
        for key, found in opened.items():
            server = usable[key]
            label = server.get("name") or key
            if isinstance(found, BaseException):
                self.notes.append(f"MCP server {label}: unavailable ({reason(found)})")
                continue
            self.listed[label] = found
            for tool in found:
                name = namespaced(label, tool["name"], taken)
                if not allowed(tool["name"], server.get("allowed_tools")):
                    self.refused[name] = (label, tool["name"])
                    continue
                self.routes[name] = (key, tool["name"])
                schema = tool.get("input_schema")
                self.specs.append({"name": name, "description": f"[MCP {label}] {tool.get('description') or ''}"
                                   .strip()[:1024], "parameters": schema if isinstance(schema, dict) else
                                   {"type": "object", "properties": {}}})
        return self.notes

    def handles(self, name: str) -> bool:
        """Whether `name` is one of this run's MCP tool names (offered or refused)."""
        return name in self.routes or name in self.refused

    def call(self, name: str, args: dict) -> dict:
        """One call: {"ok": true, "content", "structured"?} or {"ok": false, "error"}."""
        if name in self.refused:
            label, tool = self.refused[name]
            return {"ok": False, "error": f"the tool {tool} of MCP server {label} is not on its allow-list; "
                                          "it may not be called"}
        key, tool = self.routes[name]
        self.deadline.check(f"before the tool call {name}")
        seconds = max(self.deadline.cap(self.settings.mcp_call_timeout), 0.001)
        from sre_agent.mcp_tools.client import reason

        try:
            result = self.connections.call(key, tool, args, seconds)
        except Exception as exc:  # noqa: BLE001 - down, slow, or a protocol error: the model is told
            log.warning("MCP tool %s failed: %s", name, exc)
            return {"ok": False, "error": f"{name} failed: {reason(exc)}"[:500]}
        text = "\n".join(getattr(block, "text", None) or json.dumps(block.model_dump(mode="json", by_alias=True),
                                                                    default=str)
                         for block in result.content)[:MAX_OUTPUT_CHARS]
        if result.is_error:
            return {"ok": False, "error": f"{name}: {text or 'the tool answered an error'}"[:2000]}
        out = {"ok": True, "content": text}
        if result.structured_content is not None:
            out["structured"] = result.structured_content
        return out

    def close(self) -> None:
        """End the sessions (stdio servers stop)."""
        if self.connections is not None:
            self.connections.close()
            self.connections = None


def open_for_run(servers, settings: AgentSettings, deadline: Deadline, taken: set[str]) -> McpTools | None:
    """The run's MCP tools, connected; None (and no SDK import) without servers."""
    servers = [s for s in servers or [] if isinstance(s, dict)]
    if not servers:
        return None
    tools = McpTools(servers, settings, deadline)
    tools.start(taken)
    return tools
