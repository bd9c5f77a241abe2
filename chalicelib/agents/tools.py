"""The tools every agent backend is offered, with their JSON schemas, and the
toolbox that runs them and records each call in the session."""
import ssl
from datetime import datetime

from chalicelib import settings
from chalicelib.clock import iso, parse_iso
from chalicelib.net import guard
from chalicelib.net.http import request
from chalicelib.store.models import Run

MAX_EXAMINED = 200
SPECS = [
    {"name": "http_check",
     "description": "Check an http(s) URL: status code, latency, and for https the days until its TLS "
                    "certificate expires. Internal addresses are refused.",
     "parameters": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}},
    {"name": "query_runs",
     "description": "Recent runs of this automation, newest first: status, reason, times.",
     "parameters": {"type": "object", "properties": {
         "status": {"type": "string", "description": "Only runs with this status"},
         "limit": {"type": "integer", "minimum": 1, "maximum": 50}}}},
]


def http_check(url: str, now: datetime) -> dict:
    """The health of one URL. `ok` is false for errors, 5xx/4xx, or a
    certificate expiring within 14 days."""
    timeout = float(settings.get("AGENT_HTTP_TIMEOUT"))
    try:
        result = request(url, timeout=timeout)
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


def query_runs(automation_id: str, now: datetime, status: str | None = None, limit: int = 10) -> dict:
    """The automation's recent runs (not expired), newest first."""
    limit = max(1, min(int(limit or 10), 50))
    runs, examined = [], 0
    # Bounded reads: small pages, filtered here, at most MAX_EXAMINED runs looked at.
    for run in Run.by_automation.query(automation_id, scan_index_forward=False,
                                       page_size=limit if not status else 50):
        examined += 1
        if examined > MAX_EXAMINED:
            break
        if (run.expires_at and run.expires_at <= now) or (status and run.status != status):
            continue
        runs.append({"id": run.id, "status": run.status, "reason": run.reason, "trigger": run.trigger,
                     "created_at": iso(parse_iso(run.created_at)), "duration_ms": run.duration_ms})
        if len(runs) == limit:
            break
    return {"runs": runs}


class Toolbox:
    """Runs tools for one session and records every call in it."""

    def __init__(self, task, session, clock):
        self.task, self.session, self.clock = task, session, clock
        self.calls = self.failures = 0

    def call(self, name: str, args: dict, call_id: str | None = None) -> dict:
        """Run a tool by name; unknown tools and bad arguments are failed calls,
        not crashes. `call_id` is the model's id of the call (one is made when
        the backend has none), kept with the call in the session."""
        self.calls += 1
        call_id = call_id or f"call_{self.calls}"
        if not isinstance(args, dict):  # a model can send anything; it learns why from the answer
            output = {"ok": False, "error": f"arguments for {name} must be a JSON object"}
            self.failures += 1
            self.session.tool_call(name, {"arguments": args}, output, call_id)
            return output
        try:
            if name == "http_check":
                output = http_check(str(args["url"]), self.clock())
            elif name == "query_runs":
                output = query_runs(self.task.automation_id, self.clock(), args.get("status"),
                                    args.get("limit", 10))
            else:
                output = {"ok": False, "error": f"unknown tool {name!r}"}
        except (KeyError, TypeError, ValueError) as exc:
            output = {"ok": False, "error": f"bad arguments for {name}: {exc}"}
        if output.get("ok") is False:
            self.failures += 1
        self.session.tool_call(name, args, output, call_id)
        return output
