"""The web console in a real headless Chromium against the real local stack:
every scenario of the console's issue, driven the way a person clicks it."""
import re
import subprocess
import time
from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import expect

from tests.browser import Client, chromium, new_page
from tests.test_e2e_stack import Stack

pytestmark = pytest.mark.xdist_group("console")  # one stack and one browser for the whole file


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("console-stack"))
    info = s.start()
    yield info
    s.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def owner(stack):
    return Client(stack["api_url"], stack["api_key"])


_seq = iter(range(10_000))


def unique(word: str) -> str:
    return f"{word}-{next(_seq)}-{int(time.time() * 1000) % 100000}"


def open_page(browser, stack, path, key=None, **kw):
    page = new_page(browser, stack["api_url"], key or stack["api_key"], **kw)
    page.goto(path)
    return page


def row(page, name):
    return page.locator("tr", has=page.get_by_role("link", name=name, exact=True))


def test_console_pages_are_served_with_a_strict_csp_and_caching(stack):
    page = requests.get(f"{stack['api_url']}/ai-sre/automations", timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert page.headers["Cache-Control"] == "no-cache"
    assert "<script>" not in page.text and "cdn" not in page.text.lower()
    for path in ("/ai-sre/automations/aut_x/history", "/ai-sre/chat?session_id=s", "/ai-sre/events", "/ai-sre/secrets"):
        assert requests.get(stack["api_url"] + path, timeout=5).text == page.text
    js = re.search(r'src="([^"]+\.js)"', page.text).group(1)
    asset = requests.get(stack["api_url"] + js, headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert asset.status_code == 200 and asset.headers["Content-Encoding"] == "gzip"
    assert "immutable" in asset.headers["Cache-Control"]
    assert requests.get(f"{stack['api_url']}/ai-sre/assets/..%2Fserve.py", timeout=5).status_code == 404


def test_new_user_creates_from_template_runs_the_curl_line_and_reads_the_session(browser, stack, owner):
    user = owner.user(f"{unique('new')}@example.com")
    page = new_page(browser, stack["api_url"])  # not signed in: paste the key
    page.goto("/ai-sre/automations")
    page.get_by_label("API key").fill(user["key"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(user["email"])).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('sre-api-key')") == user["key"]
    assert page.evaluate("localStorage.getItem('sre-api-key')") is None

    page.get_by_role("button", name="New Automation").click()
    expect(page.get_by_role("button", name="Start from scratch")).to_be_visible()
    template = owner.call("GET", "/automation-templates?locale=en-US")["templates"][0]
    page.locator(f'[data-template="{template["id"]}"]').click()
    expect(page.locator("#f-name")).to_have_value(template["name"])
    assert template["task_prompt"].split("\n")[0] in page.locator("#f-prompt").inner_text()

    page.get_by_role("button", name="Add trigger").click()
    page.get_by_role("menuitem", name="Schedule").click()
    page.locator('[name="triggers[0].mode"]').select_option("weekly")
    page.locator('[name="triggers[0].weekday"]').select_option("1")
    page.locator('[name="triggers[0].hour"]').select_option("9")
    expect(page.get_by_test_id("cadence")).to_have_text("Every Monday at 09:00 (Europe/Berlin)")
    shown = page.locator('[data-testid="next-runs"] time').evaluate_all(
        "els => els.map(e => e.getAttribute('datetime'))")
    assert len(shown) == 5
    page.get_by_role("button", name="Add trigger").click()
    page.get_by_role("menuitem", name="Call via API").click()
    page.get_by_role("button", name="Create").click()

    dialog = page.get_by_role("dialog", name="Call via API")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("it will not be shown again")).to_be_visible()
    curl = dialog.locator('[data-copy="curl"] pre').inner_text()
    assert curl.startswith("curl -X POST 'http://127.0.0.1:") and "Authorization: Bearer srett_" in curl
    dialog.locator('[data-copy="curl"]').get_by_role("button", name=re.compile("Copy")).click()
    expect(dialog.locator('[data-copy="curl"]').get_by_role("button", name=re.compile("Copy"))).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == curl
    dialog.get_by_role("button", name="I have saved the token").click()
    expect(dialog).to_be_hidden()

    rule = next(a for a in owner.call("GET", "/automations?limit=200")["automations"] if a["owner_id"] == user["id"])
    # the next runs the form showed before saving are the ones the service computes
    assert [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in shown] == \
        [datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC) for s in rule["next_runs"]]
    assert rule["template_id"] == template["id"] and rule["task_prompt"] == template["task_prompt"]

    fired = subprocess.run(["bash", "-c", copied], capture_output=True, text=True, timeout=30)
    assert fired.returncode == 0 and '"status": "queued"' in fired.stdout.replace('":"', '": "'), fired.stdout

    row(page, template["name"]).get_by_role("button", name="History").click()
    expect(page.get_by_role("heading", name="Execution history for over the last 180 days.")).to_be_visible()
    run_row = page.locator("tr[data-run]")
    expect(run_row).to_have_count(1)
    expect(run_row.locator("[data-status]")).to_have_text("succeeded", timeout=20000)  # refreshes by itself
    run_row.click()
    expect(page).to_have_url(re.compile(r"/ai-sre/chat\?session_id="))
    expect(page.get_by_test_id("run-facts").locator("[data-status]")).to_have_text("succeeded")
    # the preset's own analysis ran (builtin): its report, its chart as an image, its findings
    expect(page.locator('[data-artifact="report.md"] h1')).to_have_text("Alert noise review")
    expect(page.locator('[data-artifact="alert-volume.svg"] img')).to_be_visible()
    expect(page.locator('[data-artifact="findings.json"] summary')).to_contain_text("findings")
    expect(page.locator(".message").first).to_contain_text("Describe the event or context for this run.")
    page.locator("details.tool-call summary").first.click()
    expect(page.locator("details.tool-call[open] pre").first).to_be_visible()
    assert not page.js_errors


def test_a_member_sees_another_members_rule_read_only(browser, stack, owner):
    alice, bob = owner.user(f"{unique('alice')}@example.com"), owner.user(f"{unique('bob')}@example.com")
    name = unique("Alice's check")
    owner.automation(key=alice["key"], name=name)
    page = open_page(browser, stack, "/ai-sre/automations", key=bob["key"])
    line = row(page, name)
    expect(line).to_be_visible()
    expect(line.get_by_role("switch")).to_be_disabled()
    for button in ("History", "Edit", "Delete"):
        expect(line.get_by_role("button", name=button)).to_be_disabled()
    line.get_by_role("link", name=name).click()
    expect(page.get_by_text("Read-only — you can view this automation but cannot edit it.")).to_be_visible()
    expect(page.locator("#f-name")).to_be_disabled()
    expect(page.locator("#f-prompt")).to_have_attribute("contenteditable", "false")
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    rule_id = page.url.rsplit("/", 1)[1]
    page.goto(f"/ai-sre/automations/{rule_id}/history")
    expect(page.get_by_text("Run history is not available for read-only automations.")).to_be_visible()
    # the owner (an admin) can edit the same rule
    admin_page = open_page(browser, stack, f"/ai-sre/automations/{rule_id}")
    expect(admin_page.locator("#f-name")).to_be_enabled()


def test_changing_the_scope_clears_a_runner_that_no_longer_fits(browser, stack, owner):
    me = owner.call("GET", "/me")["user"]
    team = owner.team(unique("platform"), me)
    team_runner = owner.call("POST", "/runners", {"name": unique("team-runner"), "team_id": team}, status=201)["runner"]
    global_runner = owner.call("POST", "/runners", {"name": unique("global"), "team_id": 0}, status=201)["runner"]
    page = open_page(browser, stack, "/ai-sre/automations/new")
    env = page.locator("#f-env")
    expect(env.locator(f'option[value="runner:{team_runner["id"]}"]')).to_have_count(0)  # not in the personal scope
    page.locator("#f-scope").select_option(str(team))
    env.select_option(f"runner:{team_runner['id']}")
    page.locator("#f-scope").select_option("0")
    expect(env).to_have_value("auto")
    expect(page.get_by_role("status").filter(has_text=team_runner["name"])).to_contain_text("reset to Auto")
    env.select_option(f"runner:{global_runner['id']}")
    page.locator("#f-scope").select_option(str(team))
    expect(env).to_have_value(f"runner:{global_runner['id']}")  # an account-wide runner fits every scope


def test_the_enable_switch_and_the_status_filter(browser, stack, owner):
    name = unique("Switch me")
    rule = owner.automation(name=name)["automation"]
    page = open_page(browser, stack, "/ai-sre/automations")
    switch = row(page, name).get_by_role("switch")
    expect(switch).to_have_attribute("aria-checked", "true")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    assert owner.call("GET", f"/automations/{rule['id']}")["automation"]["enabled"] is False
    page.get_by_label("Status").select_option("enabled")
    expect(row(page, name)).to_have_count(0)
    page.get_by_label("Status").select_option("disabled")
    expect(row(page, name)).to_be_visible()
    row(page, name).get_by_role("switch").click()
    expect(row(page, name).get_by_role("switch")).to_have_attribute("aria-checked", "true")
    assert owner.call("GET", f"/automations/{rule['id']}")["automation"]["enabled"] is True


def test_delete_asks_with_the_documents_words(browser, stack, owner):
    name = unique("Delete me")
    rule = owner.automation(name=name)["automation"]
    page = open_page(browser, stack, "/ai-sre/automations")
    row(page, name).get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("The rule will no longer be triggered after deletion. Existing run history is "
                                   "cleaned up automatically after the retention period.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(row(page, name)).to_be_visible()
    row(page, name).get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(row(page, name)).to_have_count(0)
    assert requests.get(f"{stack['api_url']}/automations/{rule['id']}", timeout=5,
                        headers={"Authorization": f"Bearer {stack['api_key']}"}).status_code == 404


def _error_at(page, container_selector: str, field: str):
    """The API's error for `field`, shown inside the element of that field."""
    located = page.locator(container_selector).locator(f'.field-error[data-field="{field}"]')
    expect(located).to_be_visible()
    return located


def _refused_then_fixed(page, name: str, bad: str, good: str, field: str | None = None):
    """Type a bad value into the input `name`, save, see the API's error at that input, type a good one."""
    page.locator(f'[name="{name}"]').fill(bad)
    page.get_by_role("button", name="Create").click()
    _error_at(page, f'label:has([name="{name}"])', field or name)
    page.locator(f'[name="{name}"]').fill(good)


def test_every_validation_error_is_shown_at_its_field(browser, stack):
    page = open_page(browser, stack, "/ai-sre/automations/new")
    create = page.get_by_role("button", name="Create")
    create.click()
    expect(page.locator("#f-name ~ .field-error")).to_contain_text("name is required")
    page.locator("#f-name").fill("Validation")
    create.click()
    expect(page.locator(".rich-editor ~ .field-error")).to_contain_text("task_prompt is required")
    page.locator("#f-prompt").click()
    page.keyboard.type("Check things.")
    create.click()
    expect(page.locator('[data-section="triggers"] > .field-error')).to_contain_text(
        "triggers must be a non-empty list")

    page.get_by_role("button", name="Add trigger").click()
    page.get_by_role("menuitem", name="Schedule").click()
    page.locator('[name="triggers[0].mode"]').select_option("custom")
    page.locator('[name="triggers[0].cron"]').fill("25 * * *")
    expect(page.get_by_test_id("next-runs")).to_contain_text("appear when the schedule is complete")
    _refused_then_fixed(page, "triggers[0].cron", "25 * * *", "9 * * 1")
    expect(page.get_by_test_id("cadence")).to_have_text("Every Monday at 09:00 UTC")

    page.get_by_role("button", name="Add trigger").click()
    page.get_by_role("menuitem", name="Event").click()
    _refused_then_fixed(page, "triggers[1].expect", "bad name!", "incident.*")
    _refused_then_fixed(page, "triggers[1].threshold", "0", "1")
    _refused_then_fixed(page, "triggers[1].within", "99999999", "600")
    page.locator('[data-trigger="event"]').get_by_role("button", name="Add").click()
    page.locator('[data-trigger="event"] .pair input').first.fill("resource")
    page.locator('[data-trigger="event"] .pair input').nth(1).fill("x")
    create.click()
    _error_at(page, '[data-trigger="event"]', "triggers[1].match")
    page.locator('[data-trigger="event"] .pair input').first.fill("resource.severity")

    page.get_by_label("Add action…").select_option("webhook")
    _refused_then_fixed(page, "actions[0].url", "ftp://example.com", "https://example.com/hook")
    _refused_then_fixed(page, "actions[0].payload", "{not json", "")
    page.get_by_label("Add action…").select_option("email")
    _refused_then_fixed(page, "actions[1].to_emails", "oncall@example.com, not-an-address", "oncall@example.com",
                        field="actions[1].to_emails[1]")
    page.get_by_label("Add action…").select_option("slack")
    create.click()
    _error_at(page, 'label:has([name="actions[2].webhook_url_secret"])', "actions[2].webhook_url_secret")
    page.locator('[name="actions[2].webhook_url_secret"]').fill("slack-oncall")
    page.locator('[name="actions[2].on.triggered"]').uncheck()  # an automation with an event trigger: the default
    create.click()
    _error_at(page, '[data-action="slack"] .outcomes', "actions[2].on")
    page.locator('[name="actions[2].on.failed"]').check()
    create.click()
    expect(page.get_by_role("heading", name="Automations")).to_be_visible()
    expect(row(page, "Validation")).to_contain_text("Every Monday at 09:00 UTC")


def test_nothing_an_agent_or_event_wrote_can_run_script(browser, stack, owner):
    evil = '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> **bold**'
    created = owner.automation(name='<img src=x onerror="window.__xss=3">', task_prompt=f"Report on {evil}")
    trigger = created["api_trigger"]
    fired = requests.post(trigger["url"], json={"text": evil}, timeout=5,
                          headers={"Authorization": f"Bearer {trigger['token']}"}).json()
    deadline = time.monotonic() + 20
    while owner.call("GET", f"/runs/{fired['run_id']}")["run"]["status"] not in ("succeeded", "failed", "partial"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    run = owner.call("GET", f"/runs/{fired['run_id']}")["run"]
    page = open_page(browser, stack, f"/ai-sre/chat?session_id={run['session_id']}")
    expect(page.locator(".message").first).to_contain_text("bold")
    page.goto("/ai-sre/automations")
    expect(page.get_by_role("link", name='<img src=x onerror="window.__xss=3">')).to_be_visible()
    page.goto(f"/ai-sre/chat?session_id={run['session_id']}")
    expect(page.locator(".message strong").filter(has_text="bold").first).to_be_visible()
    assert page.evaluate("window.__xss") is None
    assert page.locator(".conversation script, .conversation [onerror]").count() == 0
    expect(page.locator(".context")).to_have_text(evil)  # the context is shown as the text it is


def test_the_zh_cn_console(browser, stack, owner):
    name = unique("中文")
    owner.automation(name=name, triggers=[{"type": "schedule", "mode": "daily", "hour": 9,
                                           "timezone": "Asia/Shanghai"}])
    page = open_page(browser, stack, "/ai-sre/automations", locale="zh-CN", timezone="Asia/Shanghai")
    expect(page.get_by_role("heading", name="自动化")).to_be_visible()
    expect(row(page, name)).to_contain_text("每天 09:00 (Asia/Shanghai)")
    expect(page.get_by_role("columnheader", name="触发器")).to_be_visible()
    page.get_by_role("button", name="新建自动化").click()
    zh = owner.call("GET", "/automation-templates?locale=zh-CN")["templates"][0]
    expect(page.locator(f'[data-template="{zh["id"]}"]')).to_contain_text(zh["name"])
    page.keyboard.press("Escape")
    row(page, name).get_by_role("button", name="删除").click()
    expect(page.get_by_role("dialog")).to_contain_text("删除后该规则将不再被触发")
    page.get_by_role("dialog").get_by_role("button", name="取消").click()
    page.get_by_label("语言").select_option("en-US")
    expect(page.get_by_role("heading", name="Automations")).to_be_visible()


def test_history_filters_refuse_a_range_over_180_days_before_the_api(browser, stack, owner):
    rule = owner.automation(name=unique("History filters"))["automation"]
    page = open_page(browser, stack, f"/ai-sre/automations/{rule['id']}/history")
    expect(page.get_by_text("No runs in this time range.")).to_be_visible()
    options = page.locator('[name="status"] option').evaluate_all("els => els.map(e => e.value)")
    assert options == ["all", "running", "retrying", "succeeded", "partial", "failed", "skipped", "abandoned"]
    assert page.locator('[name="range"]').input_value() == "30"
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/runs" in r.url else None)
    page.locator('[name="range"]').select_option("custom")
    page.locator('[name="from"]').fill("2026-01-01")
    page.locator('[name="to"]').fill("2026-08-01")
    expect(page.get_by_test_id("range-error")).to_contain_text("at most 180 days")
    time.sleep(0.5)
    assert not [u for u in asked if "2026-01-01" in u]


def test_the_list_pages_with_the_api_cursor(browser, stack, owner):
    team = owner.team(unique("many"), owner.call("GET", "/me")["user"])
    for i in range(55):
        owner.automation(name=f"bulk {i:02d}", team_id=team)
    page = open_page(browser, stack, "/ai-sre/automations")
    page.get_by_label("Scope").select_option("team")
    page.get_by_test_id("team-picker").click()
    page.get_by_role("group").get_by_label(re.compile("^many")).check()
    expect(page.locator("tbody tr")).to_have_count(50)
    page.get_by_role("button", name="Load more").click()
    expect(page.locator("tbody tr")).to_have_count(55)
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)


def test_test_button_regenerate_and_sign_out(browser, stack, owner):
    created = owner.automation(name=unique("Tested"), actions=[
        {"type": "webhook", "url": "https://example.com/hook", "on": ["failed"]}])
    rule, token = created["automation"], created["api_trigger"]["token"]
    page = open_page(browser, stack, f"/ai-sre/automations/{rule['id']}")
    page.get_by_role("button", name="Test", exact=True).click()
    result = page.get_by_test_id("test-result")
    expect(result).to_contain_text("https://example.com/hook")
    expect(result).to_contain_text("Nothing was sent.")
    page.locator('[data-trigger="api"]').get_by_role("button", name="Regenerate").click()
    expect(page.get_by_role("dialog")).to_contain_text("The old token stops working at once.")
    page.get_by_role("dialog").get_by_role("button", name="Regenerate").click()
    expect(page.get_by_role("dialog", name="Call via API")).to_be_visible()
    url = rule["triggers"][0]["url"]
    assert requests.post(url, json={}, timeout=5, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    new_token = page.locator('[data-copy="token"] code').inner_text()
    assert requests.post(url, json={}, timeout=5, headers={"Authorization": f"Bearer {new_token}"}).status_code == 202
    page.get_by_role("button", name="I have saved the token").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('sre-api-key')") is None


def test_the_printed_link_hands_the_key_over_once(browser, stack):
    page = new_page(browser, stack["api_url"])
    page.goto(f"/ai-sre/automations#key={stack['api_key']}")
    expect(page.get_by_role("heading", name="Automations")).to_be_visible()
    assert "#" not in page.url and stack["api_key"] not in page.url
    assert page.evaluate("sessionStorage.getItem('sre-api-key')") == stack["api_key"]


def test_events_and_secrets_pages(browser, stack, owner):
    resource = unique("inc")
    owner.call("POST", "/events", {"event": "incident.triggered", "resource": {"id": resource, "severity": "critical"},
                                   "payload": {"title": "Checkout is down"}}, status=202)  # an incident needs its title
    page = open_page(browser, stack, "/ai-sre/events")
    page.get_by_label("Resource id").fill(resource)
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("incident.triggered")

    name = unique("slack-hook")
    page.goto("/ai-sre/secrets")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Value").fill("https://hooks.example.com/very-secret-value")
    page.get_by_role("button", name="Save secret").click()
    expect(page.get_by_text(f"Secret {name} created.")).to_be_visible()
    expect(page.locator(f'tr[data-secret="{name}"]')).to_be_visible()
    assert "very-secret-value" not in page.content()
    page.get_by_label("Name").fill("bad name")
    page.get_by_label("Value").fill("x")
    page.get_by_role("button", name="Save secret").click()
    expect(page.locator('.field-error[data-field="name"]')).to_be_visible()
    member = owner.user(f"{unique('m')}@example.com")
    member_page = open_page(browser, stack, "/ai-sre/secrets", key=member["key"])
    expect(member_page.get_by_text("Only the account owner and admins can set secrets.")).to_be_visible()
    expect(member_page.locator(f'tr[data-secret="{name}"]')).to_be_visible()


def _keys(page, *steps):
    """Type text and press keys, in order (a step that names a key is pressed)."""
    for step in steps:
        if step in ("Enter", "Control+b", "Shift+ArrowLeft"):
            page.keyboard.press(step)
        else:
            page.keyboard.type(step)


def test_the_rich_text_prompt_is_saved_as_markdown(browser, stack, owner):
    name = unique("Rich prompt")
    page = open_page(browser, stack, "/ai-sre/automations/new")
    page.locator("#f-name").fill(name)
    editor = page.locator("#f-prompt")
    editor.click()
    _keys(page, "Check ", "Control+b", "production", "Control+b", " now.", "Enter")
    page.locator('[data-tool="bullets"]').click()
    _keys(page, "latency", "Enter", "errors", "Enter", "Enter", "Run kubectl get pods",
          *["Shift+ArrowLeft"] * len("kubectl get pods"))
    page.locator('[data-tool="code"]').click()
    page.keyboard.type(" and see ")
    page.locator('[data-tool="link"]').click()
    page.get_by_label("Link address").fill("https://example.com/runbook")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("button", name="Add trigger").click()
    page.get_by_role("menuitem", name="Call via API").click()
    page.get_by_role("button", name="Create").click()
    page.get_by_role("button", name="I have saved the token").click()
    rule = next(a for a in owner.call("GET", "/automations?limit=200")["automations"] if a["name"] == name)
    assert rule["task_prompt"] == ("Check **production** now.\n\n- latency\n- errors\n\n"
                                   "Run `kubectl get pods` and see [https://example.com/runbook](https://example.com/runbook)")
    # opened again and saved untouched, the prompt stays byte for byte what it was
    page.goto(f"/ai-sre/automations/{rule['id']}")
    expect(page.locator("#f-prompt strong")).to_have_text("production")
    page.locator("#f-name").fill(name + " (renamed)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Automations")).to_be_visible()
    assert owner.call("GET", f"/automations/{rule['id']}")["automation"]["task_prompt"] == rule["task_prompt"]
