"""Knowledge: documents through the API (CRUD, limits, the scope rules), the
BM25 search ranking the right runbook section, the best matches put in a
run's system prompt within the budget, the search_knowledge tool through the
lease route and a scripted model, and an analysis citing a runbook section."""
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from chalicelib import settings, worker
from chalicelib.clock import utcnow
from chalicelib.knowledge import prompt, search, sections
from chalicelib.sessions import items as session_store
from chalicelib.store import repos
from chalicelib.store.records import Document
from tests.conftest import NOW, rule_body
from tests.knowledge_docs import AUTH_ZH, CHECKOUT, PAYMENTS, SEARCH
from tests.test_agent_openai import ModelServer, answer, tool_reply


def _add(api, key, title, content, team_id=0, status=201):
    return api.ok("POST", "/knowledge", key, {"title": title, "team_id": team_id, "content": content},
                  status=status)


@pytest.fixture
def library(api, people):
    """Checkout's runbook in team red (Alice's), payments notes personal (Alice's), search in blue (Carol's)."""
    alice, carol = people["alice"]["key"], people["carol"]["key"]
    return {"checkout": _add(api, alice, "Checkout service runbook", CHECKOUT, people["red"])["document"],
            "payments": _add(api, alice, "Payments service notes", PAYMENTS)["document"],
            "search": _add(api, carol, "Search cluster", SEARCH, people["blue"])["document"]}


def test_sections_follow_headings_but_not_inside_code_blocks():
    found = sections.split(CHECKOUT)
    assert [(s.heading, s.level) for s in found] == [
        ("Checkout service runbook", 1), ("CheckoutLatencyFlap", 2), ("Checkout pod restarts", 2)]
    assert "kubectl rollout restart" in found[2].text and "# not a heading" in found[2].text
    assert sections.split("no heading at all\n\n## Empty\n## Full\ntext") == [
        sections.Section("", 0, "no heading at all"), sections.Section("Full", 2, "text")]


def test_create_read_update_list_and_delete(api, owner):
    made = _add(api, owner, "Checkout service runbook", CHECKOUT)["document"]
    assert made["id"].startswith("kb_") and made["title"] == "Checkout service runbook" and made["team_id"] == 0
    assert made["sections"] == 3 and made["size"] == len(CHECKOUT.encode()) and made["content"] == CHECKOUT
    assert made["can_edit"] is True and made["created_at"] == made["updated_at"]
    second = _add(api, owner, "Payments service notes", PAYMENTS)["document"]
    assert api.ok("GET", f"/knowledge/{made['id']}", owner)["document"] == made
    listed = api.ok("GET", "/knowledge", owner)
    assert [d["id"] for d in listed["documents"]] == [second["id"], made["id"]]  # newest first
    assert "content" not in listed["documents"][0] and listed["documents"][1]["sections"] == 3
    first = api.ok("GET", "/knowledge?limit=1", owner)
    assert [d["id"] for d in first["documents"]] == [second["id"]] and first["next_cursor"]
    rest = api.ok("GET", f"/knowledge?limit=1&cursor={first['next_cursor']}", owner)
    assert [d["id"] for d in rest["documents"]] == [made["id"]]
    assert [d["id"] for d in api.ok("GET", "/knowledge?q=PAYMENTS", owner)["documents"]] == [second["id"]]
    changed = api.ok("PUT", f"/knowledge/{made['id']}", owner, {"title": "Checkout", "content": "# One\n\nonly"})
    assert changed["document"]["title"] == "Checkout" and changed["document"]["sections"] == 1
    assert changed["document"]["size"] == 11
    assert api.call("DELETE", f"/knowledge/{made['id']}", owner)[0] == 204
    assert api.call("GET", f"/knowledge/{made['id']}", owner)[0] == 404
    assert api.call("DELETE", f"/knowledge/{made['id']}", owner)[0] == 404


@pytest.mark.parametrize("body,field", [
    ({"team_id": 0, "content": "x"}, "title"),
    ({"title": " ", "content": "x"}, "title"),
    ({"title": "t", "content": 5}, "content"),
    ({"title": "t", "content": "   "}, "content"),
    ({"title": "t", "content": "x", "team_id": 99}, "team_id"),
    ({"title": "t", "content": "x", "team_id": "red"}, "team_id"),
    ({"title": "t", "content": "x", "tags": []}, "tags"),
])
def test_bad_documents_are_a_400_naming_the_field(api, owner, body, field):
    code, data = api.call("POST", "/knowledge", owner, body)
    assert code == 400 and data["errors"][0]["field"] == field, data


def test_a_document_over_its_limit_is_a_413(api, owner, override):
    override(knowledge_max_bytes=2048)
    code, data = api.call("POST", "/knowledge", owner, {"title": "big", "content": "é" * 1025})  # 2050 bytes
    assert code == 413 and "2050 bytes" in data["Message"] and "KNOWLEDGE_MAX_BYTES" in data["Message"]
    made = _add(api, owner, "small", "é" * 1024)["document"]
    assert made["size"] == 2048
    assert api.call("PUT", f"/knowledge/{made['id']}", owner, {"content": "é" * 1025})[0] == 413
    # the body may be larger than the content (JSON escapes): a full document with newlines still fits
    assert _add(api, owner, "lines", "\n" * 2000 + "x")["document"]["size"] == 2001


def test_scope_rules_are_the_automations(api, people, library):
    """Personal documents: everyone sees, the owner (and admins) change. A
    team's: its members (and admins) see and change; others get a 404."""
    checkout, payments, search_doc = library["checkout"]["id"], library["payments"]["id"], library["search"]["id"]
    expected = {  # actor -> ids seen, ids editable
        "owner": ({checkout, payments, search_doc}, {checkout, payments, search_doc}),
        "admin": ({checkout, payments, search_doc}, {checkout, payments, search_doc}),
        "alice": ({checkout, payments}, {checkout, payments}),
        "bob": ({checkout, payments}, {checkout}),
        "carol": ({payments, search_doc}, {search_doc}),
    }
    for actor, (sees, edits) in expected.items():
        key = people[actor]["key"]
        listed = {d["id"]: d["can_edit"] for d in api.ok("GET", "/knowledge", key)["documents"]}
        assert set(listed) == sees, actor
        assert {i for i, editable in listed.items() if editable} == edits, actor
        for document_id in (checkout, payments, search_doc):
            code, _ = api.call("PUT", f"/knowledge/{document_id}", key, {"title": f"by {actor}"})
            assert code == (200 if document_id in edits else 403 if document_id in sees else 404), (actor, code)
            if document_id not in sees:
                assert api.call("GET", f"/knowledge/{document_id}", key)[0] == 404
                assert api.call("DELETE", f"/knowledge/{document_id}", key)[0] == 404
    alice = people["alice"]["key"]
    assert {d["id"] for d in api.ok("GET", "/knowledge?scope=personal", alice)["documents"]} == {payments}
    assert {d["id"] for d in api.ok("GET", f"/knowledge?team_id={people['red']}", alice)["documents"]} == {checkout}
    assert api.call("GET", "/knowledge?scope=mine", alice)[0] == 400
    # a member may not file a document in a team they are not in, nor move one out of their reach
    code, data = api.call("POST", "/knowledge", alice, {"title": "t", "content": "x", "team_id": people["blue"]})
    assert code == 400 and data["errors"][0]["field"] == "team_id"
    bob = people["bob"]["key"]
    assert api.call("PUT", f"/knowledge/{checkout}", bob, {"team_id": 0})[0] == 403  # Alice's personal one then


def _top(api, key, q, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api.ok("GET", f"/knowledge/search?q={q}" + (f"&{query}" if query else ""), key)["results"]


def test_search_ranks_the_right_runbook_section(api, owner):
    for title, content in (("Checkout service runbook", CHECKOUT), ("Payments service notes", PAYMENTS),
                           ("Search cluster", SEARCH), ("认证服务手册", AUTH_ZH)):
        _add(api, owner, title, content)
    for query, title, heading in (
            ("checkout latency alert keeps flapping", "Checkout service runbook", "CheckoutLatencyFlap"),
            ("card processor failover", "Payments service notes", "Payments5xx and PaymentsErrorRate"),
            ("disk io spikes during reindex", "Search cluster", "SearchDiskIOSpike"),
            ("add a node to the search cluster", "Search cluster", "Scaling the cluster"),
            ("pods restarting out of memory", "Checkout service runbook", "Checkout pod restarts"),
            ("令牌 密钥过期", "认证服务手册", "令牌错误")):
        results = _top(api, owner, query)
        assert (results[0]["title"], results[0]["heading"]) == (title, heading), (query, results[:2])
        assert results[0]["score"] > 0 and results[0]["document_id"].startswith("kb_")
        assert all(a["score"] >= b["score"] for a, b in zip(results, results[1:], strict=False))
    hit = _top(api, owner, "failover", limit=1)
    assert len(hit) == 1 and "payctl failover" in hit[0]["snippet"]
    assert _top(api, owner, "zebra") == []
    assert api.call("GET", "/knowledge/search", owner)[0] == 400
    assert api.call("GET", "/knowledge/search?q=x&limit=51", owner)[0] == 400


def test_search_sees_only_what_the_caller_sees(api, people, library):
    carol, alice = people["carol"]["key"], people["alice"]["key"]
    assert {r["title"] for r in _top(api, carol, "checkout service")} == {"Payments service notes"}
    assert {r["title"] for r in _top(api, alice, "cluster nodes shards")} == set()
    # team_id: what a run of that team's automations would search (personal documents and the team's)
    assert {r["title"] for r in _top(api, people["owner"]["key"], "service", team_id=people["red"])} == {
        "Checkout service runbook", "Payments service notes"}
    assert {r["title"] for r in _top(api, alice, "cluster service", team_id=people["blue"])} == {
        "Payments service notes"}


def test_an_index_is_built_again_only_when_a_document_changed(api, owner):
    made = _add(api, owner, "Search cluster", SEARCH)["document"]
    _top(api, owner, "reindex")
    built = [entry[2] for entry in search._cache.values()]
    _top(api, owner, "reindex")
    assert [entry[2] for entry in search._cache.values()] == built  # the same object, not a new one
    api.ok("PUT", f"/knowledge/{made['id']}", owner, {"content": SEARCH + "\n## Snapshots\n\nnightly snapshot"})
    assert _top(api, owner, "snapshot")[0]["heading"] == "Snapshots"


# --- a run's knowledge: the system prompt within its budget, the tool ------------------------------------


def _docs(n_padding=0):
    padding = [Document("acct", f"kb_pad{i:04d}", f"Team notes {i}", 0, "usr", NOW.isoformat(), NOW.isoformat(),
                        content=f"# Notes {i}\n\n" + ("checkout latency queue " * 60)) for i in range(n_padding)]
    return padding + [Document("acct", "kb_checkout", "Checkout service runbook", 0, "usr", NOW.isoformat(),
                               NOW.isoformat(), content=CHECKOUT)]


@pytest.mark.parametrize("budget", [600, 1500, 4000])
def test_the_prompt_block_keeps_its_budget_and_leads_with_the_right_runbook(budget):
    index = search.Index(_docs(n_padding=12))
    hits = index.search("The CheckoutLatencyFlap alert fired: is the orders database pool too small?",
                        prompt.MAX_SECTIONS)
    text, sources = prompt.block(hits, budget)
    assert 0 < len(text) <= budget
    assert sources[0]["heading"] == "CheckoutLatencyFlap"
    assert "### Checkout service runbook › CheckoutLatencyFlap" in text
    assert len(sources) == text.count("\n### ")
    assert prompt.block(hits, 100) == ("", [])  # too small for one section: nothing rather than a stub


def _rule_in(api, key, team_id, prompt_text, environment=None):
    body = rule_body(name="knows", team_id=team_id, task_prompt=prompt_text, overlap="allow",
                     triggers=[{"type": "api"}], **({"environment": environment} if environment else {}))
    return api.ok("POST", "/automations", key, body, status=201)["automation"]


def test_a_runner_gets_its_scopes_best_matches_and_searches_through_the_lease_route(api, people, library, override):
    override(knowledge_prompt_chars=1200)
    owner, alice = people["owner"]["key"], people["alice"]["key"]
    runner = api.ok("POST", "/runners", owner, {"name": "box", "team_id": 0}, status=201)
    rule = _rule_in(api, alice, people["red"], "CheckoutLatencyFlap fired again: find the cause.",
                    {"type": "runner", "runner_id": runner["runner"]["id"]})
    run = api.ok("POST", f"/automations/{rule['id']}/runs", alice, {"text": "p99 over 2 s"}, status=202)["run"]
    worker.process({"run_id": run["id"], "automation_id": rule["id"], "trigger": "manual"}, utcnow())
    work = api.ok("POST", f"/runners/{runner['runner']['id']}/claim", runner["token"], {"wait": 0})["run"]
    knowledge = work["knowledge"]
    assert len(knowledge["text"]) <= 1200 and "pool_size" in knowledge["text"]
    assert knowledge["sources"][0]["heading"] == "CheckoutLatencyFlap"
    assert {s["title"] for s in knowledge["sources"]} <= {"Checkout service runbook", "Payments service notes"}
    assert "search_knowledge" in {t["name"] for t in work["tools"]}
    lease = {"Authorization": f"Bearer {work['lease']['token']}"}

    def tool(arguments):
        code, data = api.call("POST", f"/runs/{run['id']}/tools/search_knowledge", body={"arguments": arguments},
                              headers=lease)
        assert code == 200, data
        return data["output"]

    titles = {r["title"] for r in tool({"query": "cluster shards checkout card processor", "limit": 10})["results"]}
    assert titles == {"Checkout service runbook", "Payments service notes"}  # never blue's search runbook
    full = tool({"query": "failover acquirer", "full": True})["results"][0]
    assert full["title"] == "Payments service notes" and "payctl failover --to secondary" in full["text"]
    assert tool({"query": ""}) == {"ok": False, "error": "query must be a non-empty string: the words to look for"}
    assert tool({"query": "x", "limit": 11})["ok"] is False
    code, _ = api.call("POST", f"/runs/{run['id']}/tools/search_knowledge", body={"arguments": {"query": "x"}},
                       headers={"Authorization": f"Bearer {runner['token']}"})
    assert code == 401


def test_a_personal_automation_searches_only_personal_documents(api, people, library):
    rule = _rule_in(api, people["alice"]["key"], 0, "Checkout and payments review")
    stored = repos.rules.get(rule["id"])
    titles = {r["title"] for r in search.tool(stored, {"query": "checkout payments cluster", "limit": 10})["results"]}
    assert titles == {"Payments service notes"}
    assert {s["title"] for s in prompt.for_run(stored, "checkout latency, card processor failover")["sources"]} \
        == {"Payments service notes"}


@pytest.fixture
def model(override):
    """`model(*script)`: a scripted Chat Completions server on 127.0.0.1, the cloud sandbox's backend for the test."""
    servers = []

    def start(*script):
        server = ModelServer(*script)
        servers.append(server)
        override(agent=replace(settings.current().agent, backend="openai", openai_base_url=f"{server.url}/v1",
                               openai_model="test-model"))
        return server
    yield start
    for server in servers:
        server.close()


def test_the_model_gets_the_runbook_in_its_system_prompt_and_calls_the_tool(api, people, library, model, override):
    """A scripted OpenAI-compatible model: the system prompt carries the best
    section within the budget; the model calls search_knowledge; the answer
    reaches it and the call is in the session."""
    override(knowledge_prompt_chars=900)
    server = model(tool_reply(("call_k", "search_knowledge", '{"query": "card processor failover"}')),
                   answer("# Payments\n\nFail over with payctl."))
    rule = _rule_in(api, people["alice"]["key"], people["red"], "The CheckoutLatencyFlap alert is flapping.")
    run = api.ok("POST", f"/automations/{rule['id']}/runs", people["alice"]["key"], {}, status=202)["run"]
    assert worker.process({"run_id": run["id"], "automation_id": rule["id"], "trigger": "manual"},
                          utcnow()).status == "succeeded"
    first, second = server.requests[0]["body"], server.requests[1]["body"]
    system = first["messages"][0]["content"]
    block = system[system.index("## Team knowledge"):]
    assert len(block) <= 900 and "CheckoutLatencyFlap" in block and "pool_size" in block
    assert "search_knowledge" in {t["function"]["name"] for t in first["tools"]}
    reply = json.loads(second["messages"][-1]["content"])
    assert reply["results"][0]["title"] == "Payments service notes"
    saved = session_store.load(repos.runs.get(run["id"]).session_id)
    assert saved["messages"][0]["content"] == system  # the session keeps the prompt the model got
    call = next(c for c in saved["tool_calls"] if c["tool"] == "search_knowledge")
    assert call["id"] == "call_k" and call["input"] == {"query": "card processor failover"}
    assert call["output"]["results"][0]["heading"] == "Payments5xx and PaymentsErrorRate"


def test_no_knowledge_means_no_block(api, people):
    rule = repos.rules.get(_rule_in(api, people["alice"]["key"], 0, "Anything")["id"])
    assert prompt.for_run(rule, "Anything at all") is None


def test_the_api_function_does_not_import_bm25s_or_numpy_until_a_search():
    """A cold start of the API function (app.py) pays nothing for the search library."""
    code = ("import sys, app; from chalicelib.knowledge import search; "
            "print(sorted(m for m in ('bm25s', 'numpy') if m in sys.modules)); "
            "search.Index([]); print(sorted(m for m in ('bm25s', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}).stdout.split("\n")
    assert out[:2] == ["[]", "[]"]  # an empty index needs no library either


# --- the builtin analyses cite the runbook sections of the services they report on -------------------------


@pytest.mark.parametrize("locale,title,head", [("en-US", "## Runbooks", "| Service | Document | Section |"),
                                               ("zh-CN", "## 运行手册", "| 服务 | 文档 | 章节 |")])
def test_an_analysis_cites_the_runbook_sections_of_its_services(locale, title, head):
    """The noise review of the planted week, with the real search over three
    documents answering search_knowledge: checkout's flapping alert cites the
    checkout runbook's section about it, search's spike the search runbook's."""
    from chalicelib.knowledge.search import SPEC, Index, results
    from chalicelib.rules import templates
    from sre_agent.executor import execute
    from sre_agent.settings import AgentSettings
    from tests.ops_planted import NOW as WEEK_END
    from tests.ops_planted import planted
    from tests.test_analyses import SPECS, MemoryReporter, Session
    index = Index([Document("acct", f"kb_{name}", title_, 0, "usr", NOW.isoformat(), NOW.isoformat(), content=text)
                   for name, title_, text in (("checkout", "Checkout service runbook", CHECKOUT),
                                              ("payments", "Payments service notes", PAYMENTS),
                                              ("search", "Search cluster", SEARCH))])
    ops = planted()

    def tools(name, args):
        if name == "search_knowledge":
            return {"query": args["query"], "results": results(index, args["query"], args.get("limit", 5))}
        return ops(name, args)

    work = {"run_id": "run_1", "automation": {"id": "auto_1", "name": "test"}, "context": {"text": ""},
            "prompt": templates.get("noise-reduction", locale)["task_prompt"], "recent_runs": [],
            "template_id": "noise-reduction", "locale": locale, "tools": SPECS + [SPEC]}
    reporter = MemoryReporter(tools)
    assert execute(work, reporter, AgentSettings(), clock=lambda: WEEK_END)["status"] == "succeeded"
    session = Session(reporter.items)
    report = session.report
    section = report[report.index(title):]
    assert head in section
    assert "| checkout | Checkout service runbook | CheckoutLatencyFlap |" in section
    assert "| search | Search cluster | SearchDiskIOSpike |" in section
    cited = session.findings["runbooks"]
    assert {"service": "payments", "document_id": "kb_payments", "heading": "Payments5xx and PaymentsErrorRate"} \
        .items() <= next(c for c in cited if c["service"] == "payments").items()
    searches = [c for c in session.tool_calls if c["tool"] == "search_knowledge"]
    assert searches and all(c["input"]["limit"] == 2 for c in searches)
    assert searches[0]["input"]["query"].split()[0] in {"checkout", "search", "payments", "auth"}


def test_a_team_automations_analysis_cites_its_teams_runbooks_through_the_service(api, people, library, aws):
    """The noise review of the planted week as an automation of team red, worked by the worker with the cloud
    sandbox in-process: its search_knowledge calls go through the lease-scoped tool call, and it cites red's
    checkout runbook and the personal payments notes, never blue's search runbook (search is in its findings)."""
    from chalicelib.identity.caller import authenticate
    from chalicelib.runs import control, fire
    from tests import ops_planted
    from tests.conftest import work_queue
    from tests.test_analyses_e2e import events
    alice = people["alice"]["key"]
    account_id = authenticate({"authorization": f"Bearer {alice}"}).account_id
    batch = events()
    for i in range(0, len(batch), 100):
        assert not fire.receive(account_id, batch[i:i + 100], ops_planted.NOW)["rejected"]
    body = {"template_id": "noise-reduction", "team_id": people["red"], "triggers": [{"type": "api"}]}
    rule = api.ok("POST", "/automations", alice, body, status=201)["automation"]
    run = control.start_manual(authenticate({"authorization": f"Bearer {alice}"}), rule["id"], {}, ops_planted.NOW)
    work_queue(aws["runs"], clock=lambda: ops_planted.NOW)
    run = api.ok("GET", f"/runs/{run.id}", alice)["run"]
    assert run["status"] == "succeeded", run
    session = api.ok("GET", f"/sessions/{run['session_id']}", alice)["session"]
    artifacts = {a["name"]: a["content"] for a in session["artifacts"]}
    report, findings = artifacts["report.md"], json.loads(artifacts["findings.json"])
    section = report[report.index("## Runbooks"):]
    assert "| checkout | Checkout service runbook | CheckoutLatencyFlap |" in section
    assert "Payments service notes" in section and "Search cluster" not in section
    assert {c["title"] for c in findings["runbooks"]} == {"Checkout service runbook", "Payments service notes"}
    searched = {c["input"]["query"].split()[0] for c in session["tool_calls"] if c["tool"] == "search_knowledge"}
    assert {"checkout", "search", "payments"} <= searched
