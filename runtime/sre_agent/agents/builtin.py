"""The builtin agent: no language model, deterministic, and written in the
task's locale (en-US, zh-CN; sre_agent/i18n).

A run made from a preset template with an analysis (its `template_id`,
sre_agent/analyses) runs that analysis over the operations data through the
agent tools and writes report.md, findings.json and alert-volume.svg; the
report cites the team's runbook sections that match the services it reports
on (sre_agent/analyses/runbooks.py), where the search_knowledge tool is offered.
Any other run is a health inspection: it checks every http(s) URL named in
the task prompt or the run's context, reads the automation's recent runs,
and writes a Markdown health report."""
import json
import re

from sre_agent.agents.base import Agent, AgentOutcome
from sre_agent.analyses import for_template, runbooks
from sre_agent.i18n import Text

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


def _row(check: dict, tr: Text) -> str:
    status = check.get("status", "—")
    latency = f"{check['latency_ms']:.0f} ms" if "latency_ms" in check else "—"
    cert = tr("health.days", n=check["cert_days_left"]) if "cert_days_left" in check else "—"
    verdict = tr("health.healthy") if check.get("ok") else \
        tr("health.unhealthy", error=check.get("error") or f"HTTP {status}")
    return f"| {check['url']} | {status} | {latency} | {cert} | {verdict} |"


class BuiltinAgent(Agent):
    """The template analyses, or a health inspection, without a model."""
    type = "builtin"

    def run(self, task, session, toolbox) -> AgentOutcome:
        tr = Text(getattr(task, "locale", None))
        analysis = for_template(getattr(task, "template_id", None))
        if analysis:
            return self._analyse(analysis, task, session, toolbox, tr)
        return self._health(task, session, toolbox, tr)

    def _analyse(self, analysis, task, session, toolbox, tr: Text) -> AgentOutcome:
        """Run the template's analysis; its three artifacts go into the session."""
        session.message("assistant", tr("analysis.start", template=task.template_id))
        result = analysis(toolbox.call, task, toolbox.clock(), tr.locale)
        if any(spec["name"] == runbooks.TOOL for spec in toolbox.specs):
            lines, cited = runbooks.cite(toolbox.call, result.findings.get("findings") or [], tr)
            result.report = result.report.rstrip("\n") + "\n" + "\n".join(lines) + "\n" if lines else result.report
            result.findings["runbooks"] = cited
        session.artifact("report.md", "text/markdown", result.report)
        session.artifact("findings.json", "application/json",
                         json.dumps(result.findings, ensure_ascii=False, indent=2) + "\n")
        session.artifact("alert-volume.svg", "image/svg+xml", result.svg)
        session.message("assistant", result.summary)
        return AgentOutcome(summary=result.summary[:200], failed_tool_calls=toolbox.failures, tool_calls=toolbox.calls)

    def _health(self, task, session, toolbox, tr: Text) -> AgentOutcome:
        """Check the named URLs and read the recent runs: the health report."""
        urls = urls_in(task.prompt, task.context.get("text", ""))
        session.message("assistant", tr("health.checking", n=len(urls)))
        checks = [toolbox.call("http_check", {"url": url}) for url in urls]
        history = toolbox.call("query_runs", {"limit": 10})["runs"]
        previous = [r for r in history if r["id"] != task.run_id]
        unhealthy = [c for c in checks if not c.get("ok")]
        lines = [f"# {tr('health.title')}", ""]
        if not urls:
            lines.append(tr("health.no_urls"))
        else:
            lines += [tr("health.healthy_count", ok=len(checks) - len(unhealthy), n=len(checks)), "",
                      tr("health.head"), "|---|---|---|---|---|"]
            lines += [_row(c, tr) for c in checks]
        if unhealthy:
            lines += ["", f"## {tr('health.attention')}", ""]
            lines += [f"- {c['url']}: {c.get('error') or 'HTTP ' + str(c.get('status'))}" for c in unhealthy]
        lines += ["", f"## {tr('health.recent')}", ""]
        if previous:
            failing = [r for r in previous if r["status"] in ("failed", "partial", "abandoned")]
            lines.append(tr("health.recent_failing", failing=len(failing), n=len(previous)))
            lines += [f"- {r['created_at']} {r['status']}" + (f": {r['reason']}" if r["reason"] else "")
                      for r in previous[:5]]
        else:
            lines.append(tr("health.first_run"))
        report = "\n".join(lines) + "\n"
        session.artifact("report.md", "text/markdown", report)
        summary = (tr("health.failed", failed=len(unhealthy), n=len(checks)) if unhealthy
                   else tr("health.all_healthy", n=len(checks)) if checks else tr("health.nothing"))
        session.message("assistant", summary)
        return AgentOutcome(summary=summary, failed_tool_calls=toolbox.failures, tool_calls=toolbox.calls)
