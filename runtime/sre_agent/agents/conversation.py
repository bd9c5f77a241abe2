"""What the model-backed agents share: the system prompt, one retry policy for
a model call (bounded by the environment's stop), and how a conversation ends
(an answer, a refusal, or a limit reached)."""
import random

from sre_agent.agents.base import AgentOutcome, PermanentAgentError, TransientAgentError
from sre_agent.deadline import Deadline, TimeLimit
from sre_agent.net.http import DeadlinePassed

SYSTEM_PROMPT = (
    "You are an AI SRE agent running an automation: a task an SRE team set up to run on a schedule, from an API "
    "call or an event. Nobody is watching live and you cannot ask questions. Use the tools to gather facts instead "
    "of guessing. When done, answer with a concise Markdown report whose first line is a one-sentence summary of "
    "the outcome, followed by the findings and anything that needs attention.")


class Retry(Exception):
    """One model call failed for now (429, 5xx, a dropped connection): it is
    tried again inside the session; `wait` is what the server asked for
    (Retry-After), if it did."""

    def __init__(self, message: str, wait: float | None = None):
        super().__init__(message)
        self.wait = wait


def backoff(attempt: int) -> float:
    """Seconds before retry number `attempt + 1`: 1, 2, 4 … with equal jitter
    (half of it fixed, half random), so sessions that failed together do not
    all call again at the same moment."""
    step = float(2 ** attempt)
    return step / 2 + random.uniform(0, step / 2)


def call_model(call, settings, deadline: Deadline, sleep):
    """`call(seconds)`, the one model call, under the run's one retry policy:
    each try has min(AGENT_MODEL_TIMEOUT, time left before the stop) for the
    whole call; a `Retry` is tried again AGENT_MODEL_RETRIES times after the
    server's Retry-After or a jittered backoff, unless that wait is longer
    than AGENT_MODEL_RETRY_MAX_SECONDS (the run goes back to the queue) or
    than the time left (TimeLimit: the environment stops and reports)."""
    timeout, retries = settings.model_timeout, settings.model_retries
    for attempt in range(retries + 1):
        seconds = deadline.cap(timeout)
        if seconds <= 0:
            raise TimeLimit("before a model call")
        try:
            return call(seconds)
        except DeadlinePassed as exc:
            if seconds < timeout:  # the stop, not the model timeout, cut it short
                raise TimeLimit("during a model call") from exc
            raise TransientAgentError(f"the model endpoint gave no complete answer within {timeout:g} s "
                                      "(AGENT_MODEL_TIMEOUT)") from exc
        except Retry as exc:
            problem = exc
        wait = problem.wait if problem.wait is not None else backoff(attempt)
        if attempt == retries or wait > settings.model_retry_max_seconds:
            raise TransientAgentError(str(problem))
        left = deadline.left()
        if left is not None and wait >= left:  # waiting would only end at the stop
            asked = "the endpoint asked to wait" if problem.wait is not None else "the next try was due in"
            raise TimeLimit(f"waiting to call the model again ({asked} {wait:g} s, {left:.0f} s were left; "
                            f"{str(problem)[:150]})")
        sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def finish(session, toolbox, answer: str, incomplete: str | None = None) -> AgentOutcome:
    """Record the model's final answer as a message and as the report."""
    answer = (answer or "").strip() or "(the model gave no answer)"
    session.message("assistant", answer)
    session.artifact("report.md", "text/markdown", answer + "\n")
    first = next((line for line in answer.splitlines() if line.strip()), "")
    return AgentOutcome(summary=first.lstrip("# ").strip()[:200], failed_tool_calls=toolbox.failures,
                        tool_calls=toolbox.calls, incomplete=incomplete)


def refused(session, refusal: str) -> PermanentAgentError:
    """The model refused the task: its words are kept in the session; the
    error to raise fails the run with them (a refusal is no answer, and
    trying again will not change it)."""
    session.message("assistant", refusal, refusal=True)
    return PermanentAgentError(f"the model refused: {refusal.strip()[:300]}")


def stop(session, toolbox, reason: str) -> AgentOutcome:
    """End the session without an answer (a limit was reached)."""
    session.message("system", f"Stopped before a final answer: {reason}")
    return AgentOutcome(summary=reason[:200], failed_tool_calls=toolbox.failures, tool_calls=toolbox.calls,
                        incomplete=reason)
