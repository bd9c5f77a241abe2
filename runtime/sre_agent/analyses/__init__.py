"""The five template analyses of the builtin agent: offline and
deterministic, each reading the operations data through the agent tools (the
toolbox's `call(name, args)`, so every read is in the session) and returning
a Markdown report, findings.json's object, the alert-volume chart and a
one-line summary (docs/analyses.md documents each).

    noise        noise-reduction      flapping, quick-resolved, duplicate, mis-levelled alerts
    postmortem   incident-postmortem  one incident's timeline, figures and a blameless draft
    load         escalation-load      pages per responder and service, off hours, acknowledgement
    changes      change-review        each change, what followed it, a verdict
    oncall       on-call-handover     the brief for the next on-call engineer

An analysis is `run(call, task, now, locale) -> Result`; `task` brings the
prompt and the context (its text, and the triggering event of an
event-triggered run)."""
from sre_agent.analyses import changes, load, noise, oncall, postmortem
from sre_agent.analyses.common import FINDINGS_VERSION, Result

ANALYSES = {module.TEMPLATE: module.run for module in (noise, postmortem, load, changes, oncall)}

__all__ = ["ANALYSES", "FINDINGS_VERSION", "Result", "for_template"]


def for_template(template_id):
    """The analysis of a template id, or None when the template has none."""
    return ANALYSES.get(template_id) if isinstance(template_id, str) else None
