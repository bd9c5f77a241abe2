"""The builtin agent: no language model. It checks every http(s) URL named in
the task prompt or the run's context, reads the automation's recent runs, and
writes a Markdown health report. Deterministic, and useful on its own for
routine health inspections."""
import re

from sre_agent.agents.base import Agent, AgentOutcome

_URL = re.compile(r"https?://[^\s<>\"'`)\]]+")
MAX_URLS = 20


def urls_in(*texts: str) -> list[str]:
    """The distinct http(s) URLs in the texts, in order of appearance."""
    seen = []
    for text in texts:
        for url in _URL.findall(text or ""):
            url = url.rstrip(".,;:!?*_~")  # sentence punctuation and Markdown emphasis (**url**)
            if url not in seen:
                seen.append(url)
    return seen[:MAX_URLS]


def _row(check: dict) -> str:
    status = check.get("status", "—")
    latency = f"{check['latency_ms']:.0f} ms" if "latency_ms" in check else "—"
    cert = f"{check['cert_days_left']} days" if "cert_days_left" in check else "—"
    verdict = "healthy" if check.get("ok") else f"**unhealthy**: {check.get('error') or f'HTTP {status}'}"
    return f"| {check['url']} | {status} | {latency} | {cert} | {verdict} |"


class BuiltinAgent(Agent):
    """Health inspection without a model."""
    type = "builtin"

    def run(self, task, session, toolbox) -> AgentOutcome:
        urls = urls_in(task.prompt, task.context.get("text", ""))
        session.message("assistant", f"Checking {len(urls)} URL(s) and the recent run history.")
        checks = [toolbox.call("http_check", {"url": url}) for url in urls]
        history = toolbox.call("query_runs", {"limit": 10})["runs"]
        previous = [r for r in history if r["id"] != task.run_id]
        unhealthy = [c for c in checks if not c.get("ok")]
        lines = ["# Health report", ""]
        if not urls:
            lines.append("No http(s) URL was named in the task prompt or the context, so nothing was checked.")
        else:
            lines += [f"{len(checks) - len(unhealthy)} of {len(checks)} endpoint(s) healthy.", "",
                      "| URL | status | latency | certificate | verdict |", "|---|---|---|---|---|"]
            lines += [_row(c) for c in checks]
        if unhealthy:
            lines += ["", "## Needs attention", ""]
            lines += [f"- {c['url']}: {c.get('error') or 'HTTP ' + str(c.get('status'))}" for c in unhealthy]
        lines += ["", "## Recent runs of this automation", ""]
        if previous:
            failing = [r for r in previous if r["status"] in ("failed", "partial", "abandoned")]
            lines.append(f"{len(failing)} of the last {len(previous)} run(s) did not fully succeed.")
            lines += [f"- {r['created_at']} {r['status']}" + (f": {r['reason']}" if r["reason"] else "")
                      for r in previous[:5]]
        else:
            lines.append("This is the first run.")
        report = "\n".join(lines) + "\n"
        session.artifact("report.md", "text/markdown", report)
        summary = (f"{len(unhealthy)} of {len(checks)} check(s) failed" if unhealthy
                   else f"all {len(checks)} check(s) healthy" if checks else "nothing to check")
        session.message("assistant", summary)
        return AgentOutcome(summary=summary, failed_tool_calls=toolbox.failures, tool_calls=toolbox.calls)
