"""What the model-backed agents share: the system prompt and how a
conversation ends (an answer, or a limit reached)."""
from sre_agent.agents.base import AgentOutcome

SYSTEM_PROMPT = (
    "You are an AI SRE agent running an automation: a task an SRE team set up to run on a schedule, from an API "
    "call or an event. Nobody is watching live and you cannot ask questions. Use the tools to gather facts instead "
    "of guessing. When done, answer with a concise Markdown report whose first line is a one-sentence summary of "
    "the outcome, followed by the findings and anything that needs attention.")


def finish(session, toolbox, answer: str, incomplete: str | None = None) -> AgentOutcome:
    """Record the model's final answer as a message and as the report."""
    answer = (answer or "").strip() or "(the model gave no answer)"
    session.message("assistant", answer)
    session.artifact("report.md", "text/markdown", answer + "\n")
    first = next((line for line in answer.splitlines() if line.strip()), "")
    return AgentOutcome(summary=first.lstrip("# ").strip()[:200], failed_tool_calls=toolbox.failures,
                        tool_calls=toolbox.calls, incomplete=incomplete)


def stop(session, toolbox, reason: str) -> AgentOutcome:
    """End the session without an answer (a limit was reached)."""
    session.message("system", f"Stopped before a final answer: {reason}")
    return AgentOutcome(summary=reason[:200], failed_tool_calls=toolbox.failures, tool_calls=toolbox.calls,
                        incomplete=reason)
