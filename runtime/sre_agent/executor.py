"""Working one claimed run: the same code in the cloud sandbox, on a runner,
and (in tests) inside the worker.

`execute(work, reporter)` runs the agent on the work the service handed out
(the rendered prompt, the context, the automation's recent runs, the
service's tools, the template and locale, the team's knowledge for the
system prompt), streams the session to
`reporter.append(items)` in batches, keeps the lease with `reporter.renew()`,
calls the service's tools with `reporter.tool(name, args)`, and ends with
`reporter.finish(status, reason)`. The reporter is the only way out: over HTTP with the run's lease token from a
runner or the sandbox, or the service's own functions in-process. When the
lease is gone (the run was cancelled, reaped, or given to another runner) the
reporter raises `Cancelled` and the session stops.

An environment with a stop of its own (the cloud sandbox) passes
`time_limit`: every model call, wait and tool call of the session is bounded
by what is left of it (sre_agent.deadline), and at the stop the session so
far is flushed and the run ends `failed`, saying what was under way."""
import logging
import threading

from sre_agent.agents.base import Cancelled, PermanentAgentError, Task, TransientAgentError, system_prompt_of
from sre_agent.agents.registry import agent_for, settings_for
from sre_agent.agents.tools import Toolbox
from sre_agent.clock import utcnow
from sre_agent.deadline import Deadline, TimeLimit
from sre_agent.session import SessionWriter
from sre_agent.settings import AgentSettings

log = logging.getLogger(__name__)
THROTTLES = ("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded")


def outcome_of(result, toolbox) -> tuple[str, str | None]:
    """(status, reason) of a finished session."""
    if result.incomplete:
        return "partial", result.incomplete
    if result.failed_tool_calls:
        reason = f"{result.failed_tool_calls} of {result.tool_calls} tool call(s) failed"
        if toolbox.first_failure:
            reason += f"; first: {toolbox.first_failure}"
        return "partial", reason[:500]
    return "succeeded", None


def _open_mcp(servers: list, settings: AgentSettings, deadline: Deadline, toolbox: Toolbox):
    """The run's MCP tools, added to the toolbox; None (nothing imported) without servers."""
    if not servers:
        return None
    from sre_agent.mcp_tools import open_for_run

    mcp = open_for_run(servers, settings, deadline, {spec["name"] for spec in toolbox.specs})
    toolbox.add_mcp(mcp)
    return mcp


class _Checkpoint:
    """Runs after every session entry: renews the lease now and then (unless a
    background thread does), notices a lost lease, and stops at the deadline."""

    def __init__(self, reporter, renew_seconds: float, deadline: Deadline, clock):
        self.reporter, self.renew_seconds, self.deadline = reporter, renew_seconds, deadline
        self.clock, self.last, self.lost = clock, clock(), None

    def __call__(self) -> None:
        if self.lost:
            raise Cancelled(self.lost)
        self.deadline.check()
        if self.renew_seconds and (self.clock() - self.last).total_seconds() >= self.renew_seconds:
            self.last = self.clock()
            self.reporter.renew()


def _renew_in_background(reporter, every: float, checkpoint: _Checkpoint, stop: threading.Event) -> None:
    """Keeps the lease while a tool call or a model reply takes long."""
    while not stop.wait(every):
        try:
            reporter.renew()
        except Cancelled as exc:
            checkpoint.lost = str(exc) or "the lease is gone"
            return
        except Exception:  # a network blip: the next renewal may work, the lease has slack
            log.warning("lease renewal failed; trying again in %.0f s", every, exc_info=True)


def with_notes(prompt: str, notes: list[str]) -> str:
    """The task prompt with the run's notes (MCP servers that could not be used), so the model knows."""
    if not notes:
        return prompt
    return prompt + "\n\nNotes on this run's tools:\n" + "\n".join(f"- {note}" for note in notes)


def execute(work: dict, reporter, settings: AgentSettings, agent=None, clock=utcnow, renew_seconds: float = 20.0,
            background: bool = False, time_limit: float | None = None, limit_name: str = "",
            local_mcp_servers=()) -> dict:
    """Run the work's session to its end, with the environment's `settings`
    and the run's agent profile over them (registry.settings_for; the
    backend they name, unless `agent` is given); returns {"status", "reason",
    "answer"} (`answer`: what reporter.finish returned; status "cancelled"
    when the lease was lost). The work's MCP servers (and a runner's
    `local_mcp_servers`, from its config file) are connected at the start and
    closed at the end; the MCP SDK is imported only when there are some."""
    task = Task(prompt=work["prompt"], automation_id=work["automation"]["id"], run_id=work["run_id"],
                context=work.get("context") or {}, recent_runs=work.get("recent_runs") or [],
                template_id=work.get("template_id"), locale=work.get("locale") or "en-US",
                knowledge=str((work.get("knowledge") or {}).get("text") or ""))
    deadline = Deadline(time_limit)  # None: no stop of its own
    checkpoint = _Checkpoint(reporter, 0 if background else renew_seconds, deadline, clock)
    stop = threading.Event()
    if background:
        threading.Thread(target=_renew_in_background, args=(reporter, renew_seconds, checkpoint, stop),
                         daemon=True).start()
    session = SessionWriter(reporter.append, clock, first_seq=work.get("first_seq", 1), on_write=checkpoint)
    toolbox = Toolbox(task, session, clock, settings, deadline, reporter=reporter, tools=work.get("tools"))
    mcp = None
    try:
        try:
            mcp = _open_mcp([*(work.get("mcp_servers") or []), *local_mcp_servers], settings, deadline, toolbox)
            if mcp is not None:
                task.prompt = with_notes(task.prompt, mcp.notes)
            agent = agent or agent_for(settings_for(work.get("agent"), settings))
            system = system_prompt_of(agent, task)
            if system:  # the whole conversation is kept, the model's instructions first
                session.message("system", system)
            session.message("user", task.prompt)
            result = agent.run(task, session, toolbox)
            status, reason = outcome_of(result, toolbox)
            if mcp is not None and mcp.notes and status in ("succeeded", "partial"):  # servers it could not use
                status, reason = "partial", "; ".join([*mcp.notes, *([reason] if reason else [])])[:500]
        except TransientAgentError as exc:
            status, reason = "retry", str(exc)
        except PermanentAgentError as exc:
            status, reason = "failed", str(exc)
        except TimeLimit as exc:
            status, reason = "failed", f"Stopped at the {limit_name or 'environment'}'s time limit " \
                                       f"({time_limit:.0f} s) {exc.during}; the session so far is kept."
        except Cancelled:
            raise
        except Exception as exc:  # a bug must end the run, not leave it running
            if getattr(exc, "cause_response_code", None) in THROTTLES:
                status, reason = "retry", f"AWS throttled the run ({exc.cause_response_code})"
            else:
                log.exception("run %s crashed", task.run_id)
                status, reason = "failed", f"internal error ({type(exc).__name__}); see the environment's logs"
        session.flush()
        answer = reporter.finish(status, reason)
    except Cancelled as exc:
        return {"status": "cancelled", "reason": str(exc) or None, "answer": None}
    finally:
        stop.set()
        if mcp is not None:
            mcp.close()
    return {"status": status, "reason": reason, "answer": answer,
            "streamed": {"items": session.sent_items, "bytes": session.sent_bytes}}
