"""The console's operations pages in a real headless Chromium against the real
local stack: Integrations (the URL and secret shown once, deliveries and their
errors, rotate, delete, the business hours), Alerts & incidents (filters, an
alert's firings, an incident's timeline, changes), a report's artifacts (its
table, its chart, its findings) and the zh-CN labels."""
import hashlib
import hmac
import json
import re
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from tests import test_console as console
from tests.ops_data import alert_events, change_event, deliver, fixture, incident_events, post_events, report_session

pytestmark = pytest.mark.xdist_group("console-ops")  # one stack and one browser for the whole file
M = timedelta(minutes=1)
# the console tests' fixtures and helpers (module scope: a stack and a browser of this file's own)
stack, browser, owner = console.stack, console.browser, console.owner
open_page, unique = console.open_page, console.unique


def test_the_new_pages_are_served(stack):
    shell = requests.get(f"{stack['api_url']}/ai-sre/automations", timeout=5).text
    for path in ("/ai-sre/integrations", "/ai-sre/alerts", "/ai-sre/alerts?tab=incidents&incident=events%23x"):
        answer = requests.get(stack["api_url"] + path, timeout=5)
        assert answer.status_code == 200 and answer.text == shell


def test_an_integration_shows_its_url_and_secret_once_then_counts_deliveries(browser, stack, owner):
    name = unique("Prometheus prod")
    page = open_page(browser, stack, "/ai-sre/integrations")
    page.get_by_role("button", name="New integration").click()
    dialog = page.get_by_role("dialog", name="New integration")
    expect(dialog.locator('[data-type] input[type="radio"]')).to_have_count(5)
    expect(dialog.get_by_role("radio", name=re.compile("Prometheus Alertmanager"))).to_be_checked()
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_role("button", name="Create").click()

    shown = page.get_by_role("dialog", name=f"Integration {name} created")
    expect(shown.get_by_text("it will not be shown again")).to_be_visible()
    url = shown.locator('[data-copy="url"] code').inner_text()
    secret = shown.locator('[data-copy="secret"] code').inner_text()
    assert re.fullmatch(re.escape(stack["api_url"]) + r"/hooks/int_\w+", url) and secret.startswith("srein_")
    expect(shown.locator('[data-copy="secret"] .label')).to_have_text("Bearer token")
    setup = shown.locator('[data-copy="setup"] pre').inner_text()
    assert "webhook_configs" in setup and url in setup and secret in setup
    expect(shown.get_by_test_id("where")).to_contain_text("alertmanager.yml")
    shown.locator('[data-copy="secret"]').get_by_role("button", name=re.compile("Copy")).click()
    expect(shown.locator('[data-copy="secret"]').get_by_role("button", name=re.compile("Copy"))).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    shown.get_by_role("button", name="I have saved the secret").click()
    expect(shown).to_be_hidden()

    row = page.locator("tr[data-integration]", has_text=name)
    expect(row.get_by_test_id("integration-url")).to_have_text(url)
    expect(row.get_by_test_id("last-received")).to_have_text("Never")
    assert secret not in page.content()
    page.reload()
    expect(row).to_be_visible()
    assert secret not in page.content()  # the list never carries it

    assert deliver(url, secret, fixture("alertmanager-firing.json")).status_code == 200
    page.get_by_role("button", name="Refresh").click()
    expect(row.get_by_test_id("last-received").locator("time")).to_be_visible()
    expect(row.get_by_test_id("received")).to_have_text("1 received")
    expect(row.get_by_test_id("refused")).to_have_text("0 refused")
    expect(row.get_by_test_id("errors-toggle")).to_have_count(0)

    assert deliver(url, "srein_not-the-secret", fixture("alertmanager-firing.json")).status_code == 401
    assert deliver(url, secret, b'{"version": "4", "alerts": [{"status": "burning"}]}').status_code == 400
    page.reload()
    expect(row.get_by_test_id("refused")).to_have_text("1 refused")
    row.get_by_test_id("errors-toggle").click()
    errors = page.get_by_test_id("integration-errors").locator("tr[data-error]")
    expect(errors).to_have_count(2)
    expect(errors.first).to_contain_text("malformed: alerts[0].status must be 'firing' or 'resolved'")  # newest first
    expect(errors.nth(1)).to_contain_text("refused: The bearer token is not this integration's secret")
    assert not page.js_errors


def test_rotate_shows_a_new_secret_once_and_delete_asks_first(browser, stack, owner):
    name = unique("Prometheus staging")
    made = owner.call("POST", "/integrations", {"type": "alertmanager", "name": name}, status=201)
    page = open_page(browser, stack, "/ai-sre/integrations")
    row = page.locator("tr[data-integration]", has_text=name)
    row.get_by_role("button", name="Rotate secret").click()
    confirm = page.get_by_role("dialog", name=f"Rotate the secret of {name}?")
    expect(confirm).to_contain_text("The old secret stops working at once")
    confirm.get_by_role("button", name="Rotate secret").click()
    shown = page.get_by_role("dialog", name=f"New secret for {name}")
    new_secret = shown.locator('[data-copy="secret"] code').inner_text()
    assert new_secret.startswith("srein_") and new_secret != made["secret"]
    shown.get_by_role("button", name="Close").click()
    expect(shown).to_be_hidden()
    assert new_secret not in page.content()
    url = made["integration"]["url"]
    assert deliver(url, made["secret"], fixture("alertmanager-firing.json")).status_code == 401
    assert deliver(url, new_secret, fixture("alertmanager-firing.json")).status_code == 200

    row.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(row).to_be_visible()
    row.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name=f"Delete {name}?")
    expect(confirm).to_contain_text("Deliveries to its URL will be refused from now on.")
    confirm.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert deliver(url, new_secret, fixture("alertmanager-firing.json")).status_code == 404


def test_a_pagerduty_integration_keeps_the_signing_secret_pagerduty_shows(browser, stack, owner):
    if "pagerduty" not in owner.call("POST", "/integrations", {"type": "?", "name": "x"}, status=400)["Message"]:
        pytest.skip("this build has no PagerDuty vendor yet")
    name = unique("PagerDuty")
    page = open_page(browser, stack, "/ai-sre/integrations")
    page.get_by_role("button", name="New integration").click()
    dialog = page.get_by_role("dialog", name="New integration")
    dialog.get_by_role("radio", name=re.compile("PagerDuty")).check()
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_role("button", name="Create").click()
    shown = page.get_by_role("dialog", name=f"Integration {name} created")
    url = shown.locator('[data-copy="url"] code').inner_text()
    expect(shown.locator('[data-copy="secret"]')).to_have_count(0)  # PagerDuty makes its own: ours is no use to it
    expect(shown.get_by_test_id("where")).to_contain_text("Generic Webhooks (v3)")
    theirs = "pd-signing-secret-from-pagerduty"
    shown.get_by_label("Signing secret").fill(theirs)
    shown.get_by_role("button", name="Save signing secret").click()
    expect(shown.get_by_text("Signing secret saved.")).to_be_visible()
    shown.get_by_role("button", name="Done").click()
    ping = json.dumps({"event": {"id": unique("ping"), "event_type": "pagey.ping"}}).encode()
    signed = "v1=" + hmac.new(theirs.encode(), ping, hashlib.sha256).hexdigest()
    assert requests.post(url, data=ping, timeout=10, headers={"X-PagerDuty-Signature": signed,
                                                               "Content-Type": "application/json"}).status_code == 200
    row = page.locator("tr[data-integration]", has_text=name)
    expect(row.get_by_role("button", name="Rotate secret")).to_have_count(0)
    expect(row.get_by_role("button", name="Signing secret")).to_be_visible()


def test_a_member_sees_integrations_and_business_hours_read_only(browser, stack, owner):
    name = unique("Visible to members")
    owner.call("POST", "/integrations", {"type": "alertmanager", "name": name}, status=201)
    member = owner.user(f"{unique('member')}@example.com")
    page = open_page(browser, stack, "/ai-sre/integrations", key=member["key"])
    expect(page.get_by_text("Only the account owner and admins can make, rotate or delete integrations.")) \
        .to_be_visible()
    row = page.locator("tr[data-integration]", has_text=name)
    expect(row).to_be_visible()
    expect(row.get_by_role("button", name="Rotate secret")).to_have_count(0)
    expect(page.get_by_role("button", name="New integration")).to_have_count(0)
    hours = page.get_by_test_id("business-hours")
    expect(hours.locator('select[name="timezone"]')).to_be_disabled()
    expect(hours.get_by_role("button", name="Save business hours")).to_have_count(0)


def test_an_admin_sets_the_business_hours_and_time_zone(browser, stack, owner):
    page = open_page(browser, stack, "/ai-sre/integrations")
    hours = page.get_by_test_id("business-hours")
    expect(hours.get_by_label("Monday")).to_be_checked()
    expect(hours.get_by_label("Saturday")).not_to_be_checked()
    hours.get_by_label("Saturday").check()
    hours.locator('select[name="start"]').select_option("10")
    hours.locator('select[name="end"]').select_option("19")
    hours.locator('select[name="timezone"]').select_option("Asia/Shanghai")
    hours.get_by_role("button", name="Save business hours").click()
    expect(hours.get_by_text("Business hours saved.")).to_be_visible()
    assert owner.call("GET", "/account/settings") == {
        "business_hours": {"days": [1, 2, 3, 4, 5, 6], "start": 10, "end": 19}, "timezone": "Asia/Shanghai"}
    hours.locator('select[name="end"]').select_option("8")  # before the start: the API's error, at its field
    hours.get_by_role("button", name="Save business hours").click()
    expect(hours.locator('.field-error[data-field="business_hours.start"]')).to_contain_text("before end")


def test_the_alerts_list_filters_and_shows_an_alerts_firings(browser, stack, owner):
    shop, db = unique("shop"), unique("db")
    post_events(owner, [
        *alert_events(shop, "HighErrorRate", "critical", f"{shop}-errors", [(90 * M, 80 * M), (30 * M, None)]),
        *alert_events(shop, "SlowCheckout", "warning", f"{shop}-slow", [(50 * M, 45 * M)]),
        *alert_events(db, "DiskWillFill", "critical", f"{db}-disk", [(20 * M, None)]),
        {"event": "alert.firing", "resource": {"id": f"{db}-evil"}, "payload": {
            "name": '<img src=x onerror="window.__xss=1">', "service": db, "severity": "info",
            "generator_url": "javascript:window.__xss=2",
            "annotations": {"summary": "<script>window.__xss=3</script>"}}},
    ])
    page = open_page(browser, stack, "/ai-sre/alerts")
    expect(page.get_by_role("tab", name="Alerts")).to_have_attribute("aria-selected", "true")
    page.get_by_label("Service").fill(shop)
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("tr[data-alert]")
    expect(rows).to_have_count(2)
    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("SlowCheckout")
    page.get_by_label("Status").select_option("")
    page.get_by_label("Severity").fill("critical")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("HighErrorRate")
    expect(rows.first.locator(".badge").first).to_have_text("firing")

    rows.first.get_by_role("button", name="Firings").click()
    firings = page.locator(f'[data-firings="events#{shop}-errors"] tr[data-firing]')
    expect(firings).to_have_count(2)
    expect(firings.first).to_contain_text("firing")  # the newest, still going
    expect(firings.nth(1)).to_contain_text("10 min 0 s")
    page.get_by_label("Service").fill(db)
    page.get_by_label("Severity").fill("")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(2)
    evil = page.locator(f'tr[data-alert="events#{db}-evil"]')
    expect(evil).to_contain_text('<img src=x onerror="window.__xss=1">')  # a tool's text is shown as text
    evil.get_by_role("button", name="Firings").click()
    expect(page.locator(".alert-facts")).to_contain_text("<script>window.__xss=3</script>")
    expect(page.locator(".alert-facts")).to_contain_text("javascript:window.__xss=2")
    assert page.locator('a[href^="javascript"]').count() == 0 and page.locator("tbody img, tbody script").count() == 0
    assert page.evaluate("window.__xss") is None
    assert not page.js_errors


def test_an_incidents_timeline_shows_who_changed_its_status_in_order(browser, stack, owner):
    service, incident = unique("payments"), unique("INC")
    post_events(owner, [
        change_event(unique("deploy"), service, 3 * 60 * M, "bob", "payments v2.4.1 rolled out"),
        *alert_events(service, "PaymentsDown", "critical", f"{service}-down", [(62 * M, 10 * M)]),
        *incident_events(incident, "Payments are failing", service, 60 * M,
                         [("triggered", 0, "monitoring"), ("acknowledged", 4, "alice"), ("escalated", 6, "pagerduty"),
                          ("resolved", 50, "bob")], alert_keys=[f"events#{service}-down"]),
    ])
    page = open_page(browser, stack, "/ai-sre/alerts")
    page.get_by_role("tab", name="Incidents").click()
    expect(page).to_have_url(re.compile(r"/ai-sre/alerts\?tab=incidents$"))
    page.get_by_label("Service").fill(service)
    page.get_by_role("button", name="Apply").click()
    row = page.locator("tr[data-incident]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Payments are failing")
    expect(row.locator(".badge")).to_have_text("resolved")
    row.click()

    expect(page.get_by_role("heading", name="Payments are failing")).to_be_visible()
    steps = page.get_by_test_id("timeline").locator("li[data-what]")
    expect(steps).to_have_count(4)
    assert steps.evaluate_all("els => els.map(e => [e.dataset.what, e.dataset.status || null])") == [
        ["triggered", "triggered"], ["acknowledged", "acknowledged"], ["escalated", None], ["resolved", "resolved"]]
    expect(steps.locator(".badge")).to_have_text(["triggered", "acknowledged", "resolved"])
    expect(steps.nth(0)).to_contain_text("by monitoring")
    expect(steps.nth(1)).to_contain_text("by alice")
    expect(steps.nth(2)).to_contain_text("escalated")
    expect(steps.nth(3)).to_contain_text("by bob")
    expect(page.get_by_test_id("timeline").locator('[data-kind="alert"]')).to_contain_text("PaymentsDown")
    metrics = page.get_by_test_id("metrics")
    expect(metrics.locator('[data-metric="detect"]')).to_contain_text("2 min 0 s")
    expect(metrics.locator('[data-metric="acknowledge"]')).to_contain_text("4 min 0 s")
    expect(metrics.locator('[data-metric="resolve"]')).to_contain_text("50 min 0 s")
    expect(page.locator(".incident-alerts tr[data-alert]")).to_contain_text("linked")
    expect(page.locator(".changes tr[data-change]")).to_contain_text("payments v2.4.1 rolled out")

    page.get_by_role("link", name="← Incidents").click()
    page.get_by_role("tab", name="Changes").click()
    page.get_by_label("Service").fill(service)
    page.get_by_role("button", name="Apply").click()
    change = page.locator("tr[data-change]")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("bob")
    expect(change.get_by_role("link")).to_have_attribute("rel", "noopener noreferrer nofollow")
    assert not page.js_errors


def test_a_sessions_report_shows_its_table_its_chart_and_its_findings(browser, stack, owner):
    session_id = report_session(owner, unique("Noise review"))
    page = open_page(browser, stack, f"/ai-sre/chat?session_id={session_id}")
    report = page.locator('[data-artifact="report.md"]')
    expect(report.locator("h1")).to_have_text("Weekly alert noise review")
    table = report.locator("table")
    expect(table.locator("th")).to_have_text(["Alert", "Service", "Fired", "Self-resolved within 5 min",
                                              "Proposed fix"])
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").first.locator("td code")).to_have_text("for:")

    chart = page.locator('[data-artifact="alert-volume.svg"] img')
    expect(chart).to_be_visible()
    assert chart.get_attribute("src").startswith("data:image/svg+xml")
    page.wait_for_function("document.querySelector('[data-artifact=\"alert-volume.svg\"] img').naturalWidth > 0")
    assert chart.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [760, 300]
    assert page.locator("svg").count() == 0 and page.evaluate("window.__svg") is None  # never markup in the page

    findings = page.locator('[data-artifact="findings.json"] details')
    expect(findings.locator("summary")).to_contain_text("3 findings")
    expect(findings.locator("pre")).to_be_hidden()
    findings.locator("summary").click()
    expect(findings.locator("pre")).to_contain_text('"template": "noise-reduction"')
    expect(findings.locator("pre")).to_contain_text('"kind": "flapping"')
    order = page.locator("[data-artifact]").evaluate_all("els => els.map(e => e.dataset.artifact)")
    assert order == ["report.md", "alert-volume.svg", "findings.json"]
    assert not page.js_errors


def test_the_zh_cn_console_labels_the_new_pages_in_chinese(browser, stack, owner):
    owner.call("POST", "/integrations", {"type": "grafana", "name": unique("Grafana")}, status=201)  # a table to label
    page = open_page(browser, stack, "/ai-sre/integrations", locale="zh-CN", timezone="Asia/Shanghai")
    expect(page.get_by_role("heading", name="集成")).to_be_visible()
    expect(page.locator(".nav")).to_contain_text("告警与故障")
    expect(page.get_by_role("columnheader", name="最近接收")).to_be_visible()
    expect(page.get_by_test_id("business-hours").get_by_role("heading")).to_have_text("工作时间")
    page.get_by_role("button", name="新建集成").click()
    expect(page.get_by_role("dialog", name="新建集成")).to_contain_text("来自 webhook_configs 接收器的告警")
    page.keyboard.press("Escape")
    page.get_by_role("link", name="告警与故障").click()
    expect(page.get_by_role("heading", name="告警与故障")).to_be_visible()
    expect(page.get_by_role("tab")).to_have_text(["告警", "故障", "变更"])
    page.get_by_role("tab", name="故障").click()
    expect(page.get_by_label("时间范围")).to_be_visible()
    assert not page.js_errors


def test_an_automation_made_in_the_zh_cn_console_reports_in_chinese(browser, stack, owner):
    page = open_page(browser, stack, "/ai-sre/automations/new?template=noise-reduction", locale="zh-CN",
                     timezone="Asia/Shanghai")
    name = page.locator("#f-name")
    expect(name).not_to_have_value("")
    name.fill(unique("噪音"))
    page.get_by_role("button", name="添加触发器").click()
    page.get_by_role("menuitem", name="通过 API 调用").click()
    with page.expect_response(lambda r: r.url.endswith("/automations") and r.request.method == "POST") as created:
        page.get_by_role("button", name="创建").click()
    assert created.value.request.post_data_json["locale"] == "zh-CN"
    automation = created.value.json()["automation"]
    assert automation["locale"] == "zh-CN" and automation["template_id"] == "noise-reduction"
