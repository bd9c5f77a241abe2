"""The console's agent pages in a real headless Chromium against the real
local stack: Knowledge (the editor, an uploaded .md file, the search's
document, section and snippet, delete), MCP servers (add with a secret header
and an allow-list, Test against a real MCP server started here with the `mcp`
SDK on 127.0.0.1, and against one that is down), Agents (a profile with its
key's secret, the default mark, delete refused while an automation uses it),
the automation form's agent profile and MCP servers, a member's read-only
view and the zh-CN labels."""
import re

import pytest
import requests
from playwright.sync_api import expect

from tests import test_console as console
from tests.mcp_fixtures import free_port, serve_http

pytestmark = pytest.mark.xdist_group("console-agents")  # one stack and one browser for the whole file
# the console tests' fixtures and helpers (module scope: a stack and a browser of this file's own)
stack, browser, owner = console.stack, console.browser, console.owner
open_page, unique = console.open_page, console.unique

RUNBOOK = """# Checkout service runbook

## High latency

When checkout latency is above the SLO, drain the connection pool of the payments gateway
and restart the checkout workers one at a time.

## Certificate expiry

Renew the TLS certificate with cert-manager.
"""


@pytest.mark.parametrize("page", ["knowledge", "mcp-servers", "agents"])
def test_the_page_is_served_as_the_console_shell(stack, page):
    shell = requests.get(f"{stack['api_url']}/ai-sre/automations", timeout=5)
    answer = requests.get(f"{stack['api_url']}/ai-sre/{page}", timeout=5)
    assert (answer.status_code, answer.text) == (200, shell.text)


def test_knowledge_is_written_uploaded_searched_and_deleted(browser, stack, owner):
    title = unique("Payments notes")
    page = open_page(browser, stack, "/ai-sre/knowledge")
    page.get_by_role("button", name="New document").click()
    editor = page.get_by_role("dialog", name="New document")
    editor.get_by_label("Title").fill(title)
    editor.get_by_label("Content").fill("# Payments\n\n## Refunds\n\nRefunds go through the **ledger** service.")
    editor.get_by_role("tab", name="Preview").click()
    expect(editor.get_by_test_id("knowledge-preview").locator("strong")).to_have_text("ledger")
    editor.get_by_role("button", name="Save document").click()
    expect(editor).to_be_hidden()
    expect(page.locator("tr[data-document]", has_text=title)).to_be_visible()

    # upload a .md file: the editor opens with its first heading as the title
    runbook = unique("checkout-runbook")
    page.get_by_test_id("knowledge-upload").set_input_files(
        {"name": f"{runbook}.md", "mimeType": "text/markdown", "buffer": RUNBOOK.encode()})
    editor = page.get_by_role("dialog", name="New document")
    expect(editor.get_by_label("Title")).to_have_value("Checkout service runbook")
    expect(editor.get_by_label("Content")).to_have_value(RUNBOOK)
    editor.get_by_label("Title").fill(runbook)
    editor.get_by_role("button", name="Save document").click()
    expect(editor).to_be_hidden()
    expect(page.locator("tr[data-document]", has_text=runbook)).to_be_visible()

    page.get_by_label("Search").fill("checkout latency pool")
    page.get_by_role("button", name="Search", exact=True).click()
    first = page.get_by_test_id("search-results").locator("li").first
    expect(first.locator(".result-doc")).to_have_text(runbook)
    expect(first.locator(".result-section")).to_contain_text("High latency")
    expect(first.locator(".snippet")).to_contain_text("connection pool")
    page.get_by_label("Search").fill("zzqx-nothing-matches")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_test_id("no-results")).to_be_visible()

    # an existing document opens with its content; a change is saved
    first_doc = page.locator("tr[data-document]", has_text=runbook)
    first_doc.get_by_role("button", name="Edit").click()
    editor = page.get_by_role("dialog", name="Edit document")
    expect(editor.get_by_label("Content")).to_have_value(RUNBOOK)
    editor.get_by_label("Content").fill(RUNBOOK + "\n## Rollback\n\nRoll back with the deploy tool.\n")
    editor.get_by_role("button", name="Save document").click()
    expect(editor).to_be_hidden()
    doc_id = first_doc.get_attribute("data-document")
    assert "Roll back with the deploy tool." in owner.call("GET", f"/knowledge/{doc_id}")["document"]["content"]

    first_doc.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name=f"Delete {runbook}?")
    confirm.get_by_role("button", name="Delete").click()
    expect(first_doc).to_have_count(0)
    owner.call("GET", f"/knowledge/{doc_id}", status=404)
    assert not page.js_errors


def test_the_documents_list_pages_with_the_api_cursor(browser, stack, owner):
    for i in range(51):
        owner.call("POST", "/knowledge", {"title": unique(f"Page doc {i}"), "content": f"# Doc {i}\n\ntext"},
                   status=201)
    page = open_page(browser, stack, "/ai-sre/knowledge")
    rows = page.locator("tr[data-document]")
    expect(rows).to_have_count(50)
    expect(page.locator(".list-foot")).to_contain_text("50 documents shown")
    page.get_by_role("button", name="Load more").click()
    expect(page.locator(".list-foot")).not_to_contain_text("50 documents shown")
    assert rows.count() > 50 and len(set(rows.evaluate_all("rs => rs.map(r => r.dataset.document)"))) == rows.count()


def test_an_mcp_server_is_added_with_a_secret_header_and_its_test_lists_its_tools(browser, stack, owner):
    secret = unique("mcp-token")
    owner.call("PUT", f"/secrets/{secret}", {"value": "token-value-0123456789"}, status=201)
    name = unique("ops")
    seen = []
    with serve_http(headers=seen) as url:
        page = open_page(browser, stack, "/ai-sre/mcp-servers")
        page.get_by_role("button", name="Add MCP server").click()
        dialog = page.get_by_role("dialog", name="Add MCP server")
        dialog.get_by_label("Name", exact=True).fill(name)
        dialog.get_by_label("URL").fill(url)
        dialog.get_by_role("button", name="Add header").click()
        dialog.get_by_label("Header name").nth(0).fill("Authorization")
        dialog.get_by_label("Kind of value").nth(0).select_option("secret")
        dialog.get_by_label("Prefix").fill("Bearer ")
        dialog.get_by_label("Secret name").select_option(secret)
        dialog.get_by_role("button", name="Add header").click()
        dialog.get_by_label("Header name").nth(1).fill("X-Org")
        dialog.get_by_label("Value", exact=True).fill("7")
        dialog.get_by_label("Offer only some of its tools").check()
        dialog.get_by_label("Allowed tools").fill("echo, slow")
        dialog.get_by_role("button", name="Add server").click()
        expect(dialog).to_be_hidden()

        row = page.locator("tr[data-mcp-server]", has_text=name)
        expect(row).to_contain_text(url)
        expect(row).to_contain_text(f"Authorization: Bearer {{secret.{secret}}}")
        expect(row).to_contain_text("X-Org: 7")
        server_id = row.get_attribute("data-mcp-server")
        made = owner.call("GET", f"/mcp-servers/{server_id}")["mcp_server"]
        assert made["headers"] == {"Authorization": {"secret": secret, "prefix": "Bearer "}, "X-Org": "7"}
        assert made["allowed_tools"] == ["echo", "slow"]
        assert "token-value-0123456789" not in page.content()

        row.get_by_role("button", name="Test").click()
        result = page.get_by_test_id("mcp-test")
        expect(result).to_contain_text("Connected: 4 tools")
        expect(result.locator("tr[data-tool]")).to_have_count(4)
        expect(result.locator('tr[data-tool="echo"]')).to_contain_text("Say the text back")
        expect(result.locator('tr[data-tool="echo"]')).to_contain_text("Yes")
        expect(result.locator('tr[data-tool="secret_dump"]')).to_contain_text("Not on the allow-list")
        assert any(h.get("authorization") == "Bearer token-value-0123456789" and h.get("x-org") == "7" for h in seen)

        # edit: the dialog holds what was saved; dropping the allow-list offers every tool
        row.get_by_role("button", name="Edit").click()
        dialog = page.get_by_role("dialog", name=f"Edit {name}")
        expect(dialog.get_by_label("URL")).to_have_value(url)
        expect(dialog.get_by_label("Secret name")).to_have_value(secret)
        dialog.get_by_label("Offer only some of its tools").uncheck()
        dialog.get_by_role("button", name="Save", exact=True).click()
        expect(dialog).to_be_hidden()
        expect(row).to_contain_text("All tools")
        assert owner.call("GET", f"/mcp-servers/{server_id}")["mcp_server"]["allowed_tools"] is None

    # the server is gone now: Test says why, clearly
    row.get_by_role("button", name="Test").click()
    expect(page.get_by_test_id("mcp-test-error")).to_contain_text("unavailable")
    expect(page.get_by_test_id("mcp-test")).to_contain_text("The server cannot be used")

    row.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name=f"Delete {name}?").get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    owner.call("GET", f"/mcp-servers/{server_id}", status=404)
    assert not page.js_errors


def test_a_bad_header_is_shown_at_its_row(browser, stack, owner):
    page = open_page(browser, stack, "/ai-sre/mcp-servers")
    page.get_by_role("button", name="Add MCP server").click()
    dialog = page.get_by_role("dialog", name="Add MCP server")
    dialog.get_by_label("Name", exact=True).fill(unique("bad"))
    dialog.get_by_label("URL").fill(f"http://127.0.0.1:{free_port()}/mcp")
    dialog.get_by_role("button", name="Add header").click()
    dialog.get_by_label("Header name").fill("Authorization")
    dialog.get_by_label("Value", exact=True).fill("Bearer plain-text-token")
    dialog.get_by_role("button", name="Add server").click()
    error = dialog.locator('.field-error[data-field="headers.Authorization"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("secret")


def test_an_agent_profile_is_made_and_cannot_be_deleted_while_an_automation_uses_it(browser, stack, owner):
    secret = unique("openai-key")
    owner.call("PUT", f"/secrets/{secret}", {"value": "sk-test"}, status=201)
    name = unique("gpt prod")
    page = open_page(browser, stack, "/ai-sre/agents")
    page.get_by_role("button", name="New profile").click()
    dialog = page.get_by_role("dialog", name="New profile")
    dialog.get_by_label("Name", exact=True).fill(name)
    dialog.get_by_label("Backend").select_option("openai")
    dialog.get_by_label("Base URL").fill("https://api.openai.example/v1")
    dialog.get_by_label("Model", exact=True).fill("gpt-4o-mini")
    dialog.get_by_label("API key secret").select_option(secret)
    dialog.get_by_label("Max model calls per run").fill("12")
    dialog.get_by_label("The account's default profile").check()
    dialog.get_by_role("button", name="Create profile").click()
    expect(dialog).to_be_hidden()

    row = page.locator("tr[data-agent]", has_text=name)
    expect(row).to_contain_text("OpenAI-compatible")
    expect(row).to_contain_text("gpt-4o-mini")
    expect(row).to_contain_text(secret)
    expect(row).to_contain_text("12 steps")
    expect(row.get_by_test_id("default-badge")).to_be_visible()
    agent_id = row.get_attribute("data-agent")
    made = owner.call("GET", f"/agents/{agent_id}")["agent"]
    assert (made["backend"], made["api_key_secret"], made["max_steps"], made["default"]) == ("openai", secret, 12, True)

    # bedrock takes a model only: switching the backend hides the URL and the key
    row.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name=f"Edit {name}")
    expect(dialog.get_by_label("API key secret")).to_have_value(secret)
    dialog.get_by_label("Backend").select_option("bedrock")
    expect(dialog.get_by_label("Base URL")).to_have_count(0)
    expect(dialog.get_by_label("API key secret")).to_have_count(0)
    dialog.get_by_label("Model", exact=True).fill("anthropic.claude-3-5-sonnet")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(row).to_contain_text("Amazon Bedrock")
    assert owner.call("GET", f"/agents/{agent_id}")["agent"]["api_key_secret"] is None

    rule_name = unique("Uses the profile")
    owner.automation(name=rule_name, agent_id=agent_id)
    row.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name=f"Delete {name}?")
    confirm.get_by_role("button", name="Delete").click()
    expect(confirm.get_by_role("alert")).to_contain_text(rule_name)  # the 409 names the automation
    expect(confirm.get_by_role("alert")).to_contain_text("409")
    confirm.get_by_role("button", name="Cancel").click()
    expect(row).to_be_visible()
    owner.call("PUT", f"/agents/{agent_id}", {"default": False}, status=200)
    assert all("409 (Conflict)" in e for e in page.js_errors), page.js_errors  # the refused delete, nothing else


def test_the_automation_form_saves_its_agent_profile_and_mcp_servers(browser, stack, owner):
    agent = owner.call("POST", "/agents", {"name": unique("vllm"), "backend": "openai", "model": "llama",
                                           "base_url": "https://llm.example.com/v1"}, status=201)["agent"]
    servers = [owner.call("POST", "/mcp-servers", {"name": unique(n), "url": f"https://{n}.example.com/mcp"},
                          status=201)["mcp_server"] for n in ("grafana", "k8s")]
    rule = owner.automation(name=unique("With tools"))["automation"]
    assert rule["agent_id"] is None and rule["mcp_server_ids"] == []
    page = open_page(browser, stack, f"/ai-sre/automations/{rule['id']}")
    picker = page.get_by_label("Agent profile")
    expect(picker).to_have_value("")
    picker.select_option(agent["id"])
    page.locator(f'[data-mcp-option="{servers[1]["id"]}"] input').check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Automations")).to_be_visible()
    saved = owner.call("GET", f"/automations/{rule['id']}")["automation"]
    assert saved["agent_id"] == agent["id"] and saved["mcp_server_ids"] == [servers[1]["id"]]

    page.goto(f"/ai-sre/automations/{rule['id']}")  # shown on its page
    expect(page.get_by_label("Agent profile")).to_have_value(agent["id"])
    expect(page.locator(f'[data-mcp-option="{servers[1]["id"]}"] input')).to_be_checked()
    expect(page.locator(f'[data-mcp-option="{servers[0]["id"]}"] input')).not_to_be_checked()
    page.get_by_label("Agent profile").select_option("")
    page.locator(f'[data-mcp-option="{servers[1]["id"]}"] input').uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Automations")).to_be_visible()
    saved = owner.call("GET", f"/automations/{rule['id']}")["automation"]
    assert saved["agent_id"] is None and saved["mcp_server_ids"] == []
    assert not page.js_errors


def test_a_teams_profile_and_server_are_offered_only_to_that_teams_automations(browser, stack, owner):
    me = owner.call("GET", "/me")["user"]
    team = owner.team(unique("platform"), me)
    agent = owner.call("POST", "/agents", {"name": unique("team model"), "team_id": team, "backend": "bedrock"},
                       status=201)["agent"]
    server = owner.call("POST", "/mcp-servers", {"name": unique("team-mcp"), "team_id": team,
                                                 "url": "https://team.example.com/mcp"}, status=201)["mcp_server"]
    rule = owner.automation(name=unique("Team tools"), team_id=team, agent_id=agent["id"],
                            mcp_server_ids=[server["id"]])["automation"]
    page = open_page(browser, stack, f"/ai-sre/automations/{rule['id']}")
    expect(page.get_by_label("Agent profile")).to_have_value(agent["id"])
    page.get_by_label("Scope").select_option("0")  # personal: the team's profile and server no longer fit
    expect(page.get_by_label("Agent profile")).to_have_value("")
    expect(page.locator(f'[data-mcp-option="{server["id"]}"]')).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text(server["name"])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Automations")).to_be_visible()
    saved = owner.call("GET", f"/automations/{rule['id']}")["automation"]
    assert (saved["team_id"], saved["agent_id"], saved["mcp_server_ids"]) == (0, None, [])


def test_a_member_sees_the_pages_read_only(browser, stack, owner):
    agent = owner.call("POST", "/agents", {"name": unique("shared"), "backend": "builtin"}, status=201)["agent"]
    server = owner.call("POST", "/mcp-servers", {"name": unique("shared-mcp"), "url": "https://s.example.com/mcp"},
                        status=201)["mcp_server"]
    doc = owner.call("POST", "/knowledge", {"title": unique("Owner's runbook"), "content": "# Owner\n\ntext"},
                     status=201)["document"]
    rule = owner.automation(name=unique("Owner's"), agent_id=agent["id"], mcp_server_ids=[server["id"]])["automation"]
    member = owner.user(f"{unique('member')}@example.com")

    page = open_page(browser, stack, "/ai-sre/agents", key=member["key"])
    expect(page.get_by_role("note")).to_have_text(
        "Only the account owner and admins can make, change or delete agent profiles.")
    expect(page.locator(f'tr[data-agent="{agent["id"]}"]')).to_contain_text("Builtin")
    expect(page.get_by_role("button", name="New profile")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)

    page.goto("/ai-sre/mcp-servers")
    expect(page.get_by_role("note")).to_have_text(
        "Only the account owner and admins can add, change, test or delete MCP servers.")
    expect(page.locator(f'tr[data-mcp-server="{server["id"]}"]')).to_be_visible()
    expect(page.get_by_role("button", name="Add MCP server")).to_have_count(0)
    expect(page.get_by_role("button", name="Test")).to_have_count(0)

    page.goto("/ai-sre/knowledge")  # anyone writes documents; another's is read only
    row = page.locator(f'tr[data-document="{doc["id"]}"]')
    expect(row.get_by_role("button", name="Delete")).to_have_count(0)
    row.get_by_role("button", name="View").click()
    viewer = page.get_by_role("dialog", name=doc["title"])
    expect(viewer.get_by_test_id("knowledge-preview").locator("h1")).to_have_text("Owner")
    expect(viewer.get_by_role("button", name="Save document")).to_have_count(0)
    viewer.get_by_role("button", name="Close").first.click()
    expect(page.get_by_role("button", name="New document")).to_be_enabled()

    page.goto(f"/ai-sre/automations/{rule['id']}")
    expect(page.get_by_label("Agent profile")).to_be_disabled()
    expect(page.get_by_label("Agent profile")).to_have_value(agent["id"])
    expect(page.locator(f'[data-mcp-option="{server["id"]}"] input')).to_be_checked()
    expect(page.locator(f'[data-mcp-option="{server["id"]}"] input')).to_be_disabled()
    assert not page.js_errors


def test_the_zh_cn_labels(browser, stack, owner):
    owner.call("POST", "/mcp-servers", {"name": unique("zh-mcp"), "url": "https://zh.example.com/mcp"}, status=201)
    page = open_page(browser, stack, "/ai-sre/knowledge", locale="zh-CN", timezone="Asia/Shanghai")
    nav = page.locator("nav.nav")
    for label in ("知识库", "MCP 服务器", "智能体"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    expect(page.get_by_role("heading", name="知识库")).to_be_visible()
    expect(page.get_by_role("button", name="新建文档")).to_be_visible()
    expect(page.get_by_role("button", name="搜索")).to_be_visible()
    nav.get_by_role("link", name="MCP 服务器").click()
    expect(page.get_by_role("heading", name="MCP 服务器")).to_be_visible()
    expect(page.get_by_role("button", name="测试").first).to_be_visible()
    page.get_by_role("button", name="添加 MCP 服务器").click()
    expect(page.get_by_role("dialog", name="添加 MCP 服务器").get_by_label("允许的工具")).to_have_count(0)
    page.keyboard.press("Escape")
    nav.get_by_role("link", name="智能体").click()
    expect(page.get_by_role("heading", name="智能体")).to_be_visible()
    page.get_by_role("button", name="新建配置").click()
    dialog = page.get_by_role("dialog", name="新建配置")
    expect(dialog.get_by_label("后端")).to_be_visible()
    expect(dialog.get_by_text(re.compile("任何支持工具调用的 Chat Completions 端点"))).to_be_visible()
    assert not page.js_errors
