"""The runbook sections a report cites: for each service the analysis
reports on (the services of its findings, in the order they come), one
`search_knowledge` call through the toolbox (so it is in the session) with
the service's name and the alert, incident and change names found for it;
the best sections are listed under "Runbooks" in the report, and in
findings.json as `runbooks`.

Only when the environment offers the tool (the service's tools include it
since knowledge exists; an older service's work does not)."""
from sre_agent.analyses.markdown import table

TOOL = "search_knowledge"
MAX_SERVICES = 8
PER_SERVICE = 2
NAMES_PER_QUERY = 5


def services_of(findings: list[dict]) -> dict[str, list[str]]:
    """Service -> the names of what the findings say about it, in order (at most MAX_SERVICES services)."""
    out: dict[str, list[str]] = {}
    for finding in findings:
        service = finding.get("service")
        if not isinstance(service, str) or not service.strip():
            continue
        names = out.setdefault(service.strip(), []) if len(out) < MAX_SERVICES or service.strip() in out else None
        if names is None:
            continue
        for part in ("alert", "incident", "change"):
            ref = finding.get(part) if isinstance(finding.get(part), dict) else {}
            name = ref.get("name") or ref.get("title")
            if isinstance(name, str) and name and name not in names:
                names.append(name)
    return out


def cite(call, findings: list[dict], tr) -> tuple[list[str], list[dict]]:
    """(the report's "Runbooks" lines, findings.json's `runbooks`): no lines when no finding names a service."""
    services = services_of(findings)
    if not services:
        return [], []
    cited, failed = [], []
    for service, names in services.items():
        answer = call(TOOL, {"query": " ".join([service, *names[:NAMES_PER_QUERY]]), "limit": PER_SERVICE})
        if not isinstance(answer, dict) or answer.get("ok") is False:
            failed.append(str((answer or {}).get("error") if isinstance(answer, dict) else "no answer"))
            continue
        for hit in answer.get("results") or []:
            if isinstance(hit, dict) and hit.get("document_id"):
                cited.append({"service": service, "document_id": hit["document_id"], "title": hit.get("title"),
                              "heading": hit.get("heading"), "score": hit.get("score")})
    lines = ["", f"## {tr('runbooks.title')}", ""]
    if cited:
        lines += [tr("runbooks.intro"), ""]
        lines += table(tr("runbooks.head").split("|"), [[c["service"], c["title"], c["heading"]] for c in cited])
    elif not failed:
        lines.append(tr("runbooks.none"))
    if failed:
        lines += ["", tr("gaps.failed", tool=TOOL, error=failed[0])]
    return lines, cited
