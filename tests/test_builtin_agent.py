"""The builtin agent through the run lifecycle, against local HTTP servers:
one healthy, one failing."""
import pytest

from chalicelib import worker
from chalicelib.runs import records
from chalicelib.sessions import items as sessions
from chalicelib.store import repos
from sre_agent.agents.builtin import urls_in
from tests.conftest import NOW, rule_body
from tests.servers import outbound, serve


@pytest.fixture
def endpoints():
    with serve(lambda method, path, body: 200 if path.startswith("/ok") else 500) as url:
        yield url


def test_urls_are_found_once_in_prompt_and_context():
    assert urls_in("Check https://a.example/x, and (http://b.example:8080/y).", "again https://a.example/x.") == \
        ["https://a.example/x", "http://b.example:8080/y"]
    assert urls_in("no links here", "") == []


def test_urls_in_a_markdown_prompt_lose_its_emphasis_and_link_syntax():
    """The console saves the task prompt as Markdown: **bold**, _emphasis_ and
    [text](url) links must not become part of the URL that is checked."""
    prompt = "Check **https://a.example/health** and _https://b.example/x_ and [docs](https://c.example/d)."
    assert urls_in(prompt, "") == ["https://a.example/health", "https://b.example/x", "https://c.example/d"]


def _run_once(api, owner, prompt, text=None):
    rule = api.ok("POST", "/automations", owner, rule_body(task_prompt=prompt), status=201)["automation"]
    run = records.new_queued(rule["id"], repos.rules.get(rule["id"]).account_id, "api", NOW, text=text)
    repos.runs.add(run)
    worker.process({"run_id": run.id, "automation_id": rule["id"], "trigger": "api"}, NOW)
    run = repos.runs.get(run.id)
    return run, sessions.load(run.session_id)


def test_healthy_and_failing_endpoints_make_a_partial_run_with_a_report(api, owner, endpoints):
    with outbound(allow_loopback=True):
        run, session = _run_once(api, owner, f"Daily check of {endpoints}/ok/health and report.",
                                 text=f"also look at {endpoints}/broken")
    assert run.status == "partial"
    assert run.reason == f"1 of 3 tool call(s) failed; first: http_check {endpoints}/broken: HTTP 500"
    checks = {c["input"]["url"]: c["output"] for c in session["tool_calls"] if c["tool"] == "http_check"}
    assert checks[f"{endpoints}/ok/health"]["ok"] is True and checks[f"{endpoints}/ok/health"]["status"] == 200
    assert checks[f"{endpoints}/broken"]["ok"] is False and checks[f"{endpoints}/broken"]["status"] == 500
    report = session["artifacts"][0]["content"]
    assert "1 of 2 endpoint(s) healthy." in report
    assert f"- {endpoints}/broken: HTTP 500" in report
    assert session["messages"][-1]["content"] == "1 of 2 check(s) failed"


def test_all_healthy_is_succeeded_and_history_is_reported(api, owner, endpoints):
    with outbound(allow_loopback=True):
        run, session = _run_once(api, owner, f"Check {endpoints}/ok")
    assert run.status == "succeeded" and run.reason is None
    assert "This is the first run." in session["artifacts"][0]["content"]


def test_internal_urls_are_refused_by_default(api, owner, endpoints):
    with outbound(allow_loopback=False):
        run, session = _run_once(api, owner, f"Check {endpoints}/ok and http://169.254.169.254/latest/meta-data/")
    assert run.status == "partial"
    errors = [c["output"].get("error", "") for c in session["tool_calls"] if c["tool"] == "http_check"]
    assert len(errors) == 2 and all("internal address" in e for e in errors)
