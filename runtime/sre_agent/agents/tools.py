"""The tools every agent backend is offered, with their JSON schemas, and the
toolbox that runs them and records each call in the session.

Three kinds of tools: the runtime's own (SPECS: http_check, query_runs), run
here; the tools of the run's MCP servers (sre_agent.mcp_tools, `server__tool`);
and the service's (the operations data: alerts, incidents, changes,
on-call load; the team's knowledge: search_knowledge), whose specs come with
the work (`work["tools"]`) and whose calls go to the service through the reporter (`reporter.tool(name, args)`):
an environment reads no table."""
import logging
import ssl
from datetime import datetime

from sre_agent.agents.base import Cancelled
from sre_agent.deadline import NONE as NO_STOP
from sre_agent.deadline import Deadline, TimeLimit
from sre_agent.net import guard
from sre_agent.net.http import request
from sre_agent.settings import AgentSettings

log = logging.getLogger(__name__)
RECENT_RUNS = 20  # the most runs the work brings for query_runs (the service sends its newest)
SPECS = [
    {"name": "http_check",
     "description": "Check an http(s) URL: status code, latency, and for https the days until its TLS "
                    "certificate expires. Internal addresses are refused.",
     "parameters": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}},
    {"name": "query_runs",
     "description": "Recent runs of this automation, newest first: status, reason, times.",
     "parameters": {"type": "object", "properties": {
         "status": {"type": "string", "description": "Only runs with this status"},
         "limit": {"type": "integer", "minimum": 1, "maximum": RECENT_RUNS}}}},
]


def http_check(url: str, now: datetime, settings: AgentSettings, seconds: float | None = None) -> dict:
    """The health of one URL, within `seconds` for the whole check
    (AGENT_HTTP_TIMEOUT unless less is left). `ok` is false for errors,
    5xx/4xx, or a certificate expiring within 14 days."""
    seconds = settings.http_timeout if seconds is None else seconds
    try:
        result = request(url, settings.outbound, timeout=settings.http_timeout, deadline=max(seconds, 0.001))
    except guard.BlockedAddress as exc:
        return {"url": url, "ok": False, "error": str(exc)}
    except ssl.SSLError as exc:
        return {"url": url, "ok": False, "error": f"TLS error: {exc.reason or exc}"}
    except OSError as exc:
        return {"url": url, "ok": False, "error": f"connection failed: {exc.strerror or exc}"}
    out = {"url": url, "status": result.status, "latency_ms": result.elapsed_ms, "ok": result.status < 400}
    if result.cert_expires:
        days = (result.cert_expires - now).days
        out["cert_days_left"] = days
        if days < 14:
            out["ok"] = False
            out["error"] = f"TLS certificate expires in {days} days"
    return out


def query_runs(recent: list[dict], status: str | None = None, limit: int = 10) -> dict:
    """The automation's recent runs, newest first, from the snapshot the work
    carries (an environment reads no database)."""
    limit = max(1, min(int(limit or 10), RECENT_RUNS))
    return {"runs": [r for r in recent if not status or r["status"] == status][:limit]}


def service_specs(tools) -> list[dict]:
    """The well-formed specs among the work's tools ({"name", "description",
    "parameters"}), without the runtime's own names: a spec cannot take over
    http_check or query_runs."""
    own, out = {spec["name"] for spec in SPECS}, []
    for spec in tools or []:
        name = spec.get("name") if isinstance(spec, dict) else None
        if isinstance(name, str) and name and name not in own and name not in {s["name"] for s in out}:
            parameters = spec.get("parameters")
            out.append({"name": name, "description": str(spec.get("description") or ""),
                        "parameters": parameters if isinstance(parameters, dict) else
                        {"type": "object", "properties": {}}})
    return out


class Toolbox:
    """Runs tools for one session and records every call in it. `deadline`
    is the environment's stop (sre_agent.deadline): the tools and the
    backends' model calls and waits are bounded by what is left of it.
    `tools` are the specs of the service's tools the work brings; their calls
    go to `reporter.tool(name, args)`. `specs` is what a model is offered."""

    def __init__(self, task, session, clock, settings: AgentSettings, deadline: Deadline = NO_STOP,
                 reporter=None, tools=None):
        self.task, self.session, self.clock, self.settings = task, session, clock, settings
        self.deadline, self.reporter = deadline, reporter
        self.service_tools = service_specs(tools)
        self.specs = SPECS + self.service_tools
        self._service_names = {spec["name"] for spec in self.service_tools}
        self.mcp = None  # the run's MCP tools (sre_agent.mcp_tools), when it has servers
        self.calls = self.failures = 0
        self.first_failure = None  # "<tool> <what>: <error>", for the run's reason

    def add_mcp(self, mcp) -> None:
        """Offer the tools of the run's MCP servers (their names never collide with these)."""
        self.mcp = mcp
        self.specs = self.specs + mcp.specs

    def call(self, name: str, args: dict, call_id: str | None = None) -> dict:
        """Run a tool by name; unknown tools and bad arguments are failed calls,
        not crashes. `call_id` is the model's id of the call (one is made when
        the backend has none), kept with the call in the session."""
        self.calls += 1
        call_id = call_id or f"call_{self.calls}"
        if not isinstance(args, dict):  # a model can send anything; it learns why from the answer
            output = {"ok": False, "error": f"arguments for {name} must be a JSON object"}
            self._failed(name, "", output)
            self.session.tool_call(name, {"arguments": args}, output, call_id)
            return output
        try:
            if name == "http_check":
                output = http_check(str(args["url"]), self.clock(), self.settings,
                                    self.deadline.cap(self.settings.http_timeout))
            elif name == "query_runs":
                output = query_runs(self.task.recent_runs, args.get("status"), args.get("limit", 10))
            elif name in self._service_names:
                output = self._service(name, args)
            elif self.mcp is not None and self.mcp.handles(name):
                output = self.mcp.call(name, args)
            else:
                output = {"ok": False, "error": f"unknown tool {name!r}"}
        except (KeyError, TypeError, ValueError) as exc:
            output = {"ok": False, "error": f"bad arguments for {name}: {exc}"}
        if output.get("ok") is False:
            self._failed(name, str(args.get("url", "")), output)
        self.session.tool_call(name, args, output, call_id)
        return output

    def _service(self, name: str, args: dict) -> dict:
        """A service tool's answer through the reporter; a failure is an
        answer ({"ok": false, "error"}) like any tool's, but a lost lease or
        the environment's stop still ends the session."""
        self.deadline.check(f"before the tool call {name}")
        tool = getattr(self.reporter, "tool", None)
        if tool is None:
            return {"ok": False, "error": f"this environment cannot call the service's tool {name}"}
        try:
            output = tool(name, args)
        except (Cancelled, TimeLimit):
            raise
        except Exception as exc:  # the service refused or was unreachable: the agent is told, the run goes on
            log.warning("the service tool %s failed", name, exc_info=True)
            return {"ok": False, "error": f"{name} failed: {exc}"[:500]}
        return output if isinstance(output, dict) else {"ok": False, "error": f"{name} gave no JSON object"}

    def _failed(self, name: str, what: str, output: dict) -> None:
        self.failures += 1
        if self.first_failure is None:
            error = output.get("error") or (f"HTTP {output['status']}" if "status" in output else "failed")
            self.first_failure = f"{name} {what}".strip() + f": {error}"
