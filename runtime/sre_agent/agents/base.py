"""The agent interface: a backend gets the task and a toolbox, writes the
session, and returns what happened. Two exceptions tell the run lifecycle what
to do with a failure."""
from dataclasses import dataclass, field


class TransientAgentError(Exception):
    """Failed for now (timeout, 5xx, throttle): the run is tried again."""


class PermanentAgentError(Exception):
    """Failed for good (bad configuration, refused request): no retry."""


class Cancelled(Exception):
    """The run's lease is gone: cancelled, reaped, or lost to another environment.
    (A reporter raises it; sre_agent.executor stops the session.)"""


@dataclass
class Task:
    """What the agent is asked to do in this run."""
    prompt: str
    automation_id: str
    run_id: str
    context: dict = field(default_factory=dict)
    recent_runs: list = field(default_factory=list)  # the automation's newest runs, sent with the work
    template_id: str | None = None  # the preset the automation was made from: the builtin agent's analysis
    locale: str = "en-US"  # the language of the builtin agent's messages and reports
    knowledge: str = ""  # the team's knowledge that best matches the task, for the system prompt (the work's)


@dataclass
class AgentOutcome:
    """How the session ended: a summary, and how many tool calls failed."""
    summary: str
    failed_tool_calls: int = 0
    tool_calls: int = 0
    incomplete: str | None = None  # why the session stopped before its answer (step limit, budget)


class Agent:
    """A backend, made with the environment's settings. Subclasses set `type`
    (and `system_prompt` when a model gets one: the executor writes it as the
    session's first message) and implement `run`."""
    type = ""
    system_prompt: str | None = None

    def __init__(self, settings=None):
        from sre_agent.settings import AgentSettings
        self.settings = settings or AgentSettings()

    def run(self, task: Task, session, toolbox) -> AgentOutcome:  # pragma: no cover - interface
        raise NotImplementedError


def system_prompt_of(agent, task) -> str | None:
    """The system prompt a model backend sends for this task: its own, then
    the team's knowledge the work brought (chosen by the service within its
    size budget); None for a backend without one (the builtin agent)."""
    own = getattr(agent, "system_prompt", None)
    if not own:
        return None
    knowledge = getattr(task, "knowledge", "") or ""
    return f"{own}\n\n{knowledge}" if knowledge.strip() else own
