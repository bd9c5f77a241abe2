"""The seam between the agent runtime and the service's tools: the work's
tool specs are offered beside the runtime's own, and their calls go to
`reporter.tool(name, args)`, recorded in the session like any tool call."""
import pytest

from sre_agent.agents.base import Cancelled, Task
from sre_agent.agents.tools import SPECS, Toolbox
from sre_agent.executor import execute
from sre_agent.session import SessionWriter
from sre_agent.settings import AgentSettings
from tests.conftest import NOW

ALERTS = {"name": "query_alerts", "description": "Alerts of a window",
          "parameters": {"type": "object", "properties": {"service": {"type": "string"}}}}


class Reporter:
    """Answers the service's tools with `answer` (or raises it)."""

    def __init__(self, answer):
        self.answer, self.calls, self.items = answer, [], []

    def tool(self, name, args):
        self.calls.append((name, args))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def append(self, items):
        self.items.extend(items)

    def renew(self):
        pass

    def finish(self, status, reason):
        return {}


def toolbox(reporter, tools=(ALERTS,)):
    task = Task(prompt="p", automation_id="auto_1", run_id="run_1")
    session = SessionWriter(reporter.append if reporter else (lambda items: None), lambda: NOW)
    return Toolbox(task, session, lambda: NOW, AgentSettings(), reporter=reporter, tools=list(tools)), session


def test_a_service_tool_is_offered_and_called_through_the_reporter():
    reporter = Reporter({"alerts": [], "cursor": None})
    box, session = toolbox(reporter)
    assert [s["name"] for s in box.specs] == ["http_check", "query_runs", "query_alerts"]
    assert box.specs[-1] == ALERTS
    assert box.call("query_alerts", {"service": "checkout"}) == {"alerts": [], "cursor": None}
    assert reporter.calls == [("query_alerts", {"service": "checkout"})]
    session.flush()
    assert '"tool": "query_alerts"' in reporter.items[-1]["data"] and box.failures == 0


def test_a_failing_service_tool_is_a_failed_call_not_a_crash():
    box, _ = toolbox(Reporter(RuntimeError("the API refused /runs/run_1/tools/query_alerts: HTTP 400")))
    assert box.call("query_alerts", {}) == {
        "ok": False, "error": "query_alerts failed: the API refused /runs/run_1/tools/query_alerts: HTTP 400"}
    refused, _ = toolbox(Reporter({"ok": False, "error": "a window may be at most 31 days"}))
    refused.call("query_alerts", {"since": "2026-01-01T00:00:00Z"})
    assert (refused.failures, refused.first_failure) == (1, "query_alerts: a window may be at most 31 days")
    odd, _ = toolbox(Reporter(["not", "an", "object"]))
    assert odd.call("query_alerts", {})["ok"] is False


def test_a_lost_lease_during_a_service_tool_ends_the_session():
    box, _ = toolbox(Reporter(Cancelled("the lease is gone")))
    with pytest.raises(Cancelled):
        box.call("query_alerts", {})
    work = {"run_id": "run_1", "automation": {"id": "auto_1"}, "prompt": "p", "template_id": "noise-reduction",
            "tools": [ALERTS, {"name": "alert_days"}, {"name": "query_incidents"}]}
    assert execute(work, Reporter(Cancelled("reaped")), AgentSettings(), clock=lambda: NOW)["status"] == "cancelled"


def test_only_the_works_tools_go_to_the_service_and_they_cannot_take_over_the_runtimes_own():
    reporter = Reporter({"ok": True})
    box, _ = toolbox(reporter, tools=[ALERTS, {"name": "http_check", "description": "not this one"}, "junk", {}])
    assert [s["name"] for s in box.specs] == ["http_check", "query_runs", "query_alerts"]
    assert box.specs[0] == SPECS[0]
    assert box.call("oncall_load", {}) == {"ok": False, "error": "unknown tool 'oncall_load'"}
    assert reporter.calls == []
    without, _ = toolbox(None)
    assert without.call("query_alerts", {}) == {
        "ok": False, "error": "this environment cannot call the service's tool query_alerts"}
