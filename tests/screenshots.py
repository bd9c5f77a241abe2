"""`make screenshots`: a PNG of every console page in both languages, under
build/screenshots/, taken in headless Chromium against a fresh local stack
seeded with a realistic account (teams, a member, runners, automations of
every trigger kind, runs with sessions, events, secrets, integrations with
deliveries, alerts, incidents, changes and a report's artifacts); the
operations pages also at a phone's width (`*-narrow`).

    python -m tests.screenshots [out dir] [name prefix …]   only the pages named so"""
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from tests.browser import Client, chromium, new_page
from tests.mcp_fixtures import free_port, serve_http
from tests.ops_data import alert_events, change_event, deliver, fixture, incident_events, post_events, report_session
from tests.test_e2e_stack import Stack

NARROW = {"width": 390, "height": 844}
M = timedelta(minutes=1)


def seed(api: Client) -> dict:
    """An account worth looking at; returns the ids the pages need."""
    me = api.call("GET", "/me")["user"]
    alice = api.user("alice@example.com")
    platform = api.team("platform", alice, me)
    api.team("payments", alice)
    api.call("POST", "/runners", {"name": "eu-west-runner", "team_id": 0}, status=201)
    api.call("POST", "/runners", {"name": "platform-runner", "team_id": platform}, status=201)
    api.call("PUT", "/secrets/slack-oncall", {"value": "https://hooks.slack.example/x"})
    api.call("PUT", "/secrets/pagerduty-key", {"value": "k"})
    health = api.automation(name="Daily health check", task_prompt=(
        "Check **https://example.com** and report:\n\n- latency\n- certificate expiry\n\nUse `curl -I` style checks."),
        triggers=[{"type": "schedule", "mode": "daily", "hour": 9, "timezone": "Europe/Berlin"}, {"type": "api"}],
        actions=[{"type": "slack", "webhook_url_secret": "slack-oncall", "on": ["failed", "partial"],
                  "message": "{automation.name}: {message}"}])
    api.automation(name="Weekly on-call insight", team_id=platform, key=alice["key"],
                   triggers=[{"type": "schedule", "mode": "weekly", "hour": 9, "weekday": 1,
                              "timezone": "Asia/Shanghai"}])
    api.automation(name="Triage critical incidents", task_prompt="Triage the incident in the context.",
                   triggers=[{"type": "event", "expect": ["incident.*"], "match": {"resource.severity": "critical"}}],
                   actions=[{"type": "pagerduty", "routing_key_secret": "pagerduty-key", "on": ["triggered"]}])
    api.automation(name="Alice's personal digest", key=alice["key"],
                   triggers=[{"type": "schedule", "mode": "custom", "cron": "6 1 * *"}])
    api.automation(name="Nightly cost report", enabled=False, triggers=[{"type": "schedule", "mode": "hourly"}])
    token = health["api_trigger"]
    for text in ("deploy 41 finished", "deploy 42 finished: check https://example.com/status"):
        api_run = Client(api.url, token["token"]).call("POST", token["url"][len(api.url):], {"text": text})
        deadline = time.monotonic() + 30  # one after the other: the rule skips a run while one still runs
        while api.call("GET", f"/runs/{api_run['run_id']}")["run"]["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, "the seeded run did not finish"
            time.sleep(0.3)
    run = api.call("GET", f"/runs/{api_run['run_id']}")["run"]
    api.call("POST", "/events", [{"event": "incident.triggered", "resource": {"id": "inc-42", "severity": "critical",
                                                                           "service": "api-gw"},
                                  "payload": {"title": "API gateway 5xx", "service": "api-gw"}},
                                 {"event": "deploy.finished", "resource": {"id": "deploy-42", "service": "api-gw"}}])
    return {"health": health["automation"]["id"], "session": run["session_id"], "alice": alice["key"],
            "trigger": {"automationId": health["automation"]["id"], **token}, **seed_ops(api, platform)}


RUNBOOK = """# Checkout service runbook

Owner: payments-platform · Pager: #checkout-oncall

## High latency

When p99 latency of `checkout-api` is above the 800 ms SLO:

1. Check the connection pool of the payments gateway (`pool_active` near `pool_max`).
2. Drain the pool and restart the checkout workers **one at a time**.
3. If a deploy happened in the last hour, roll it back first.

## Certificate expiry

Renew the TLS certificate with cert-manager: `kubectl -n checkout annotate certificate checkout-tls renew=now`.
"""


def seed_agents(api: Client, ids: dict, mcp_url: str) -> None:
    """Knowledge, MCP servers and agent profiles; the health check then names a profile and two servers
    (after its runs, which the builtin backend answered)."""
    teams = {t["name"]: t["id"] for t in api.call("GET", "/teams")["teams"]}
    api.call("PUT", "/secrets/openai-key", {"value": "sk-example"})
    api.call("PUT", "/secrets/grafana-mcp-token", {"value": "glsa_example"})
    api.call("POST", "/knowledge", {"title": "Checkout service runbook", "content": RUNBOOK,
                                    "team_id": teams["platform"]}, status=201)
    api.call("POST", "/knowledge", {"title": "Payments gateway notes", "content": (
        "# Payments gateway\n\n## Dependencies\n\nThe gateway calls the ledger and the card processor.\n\n"
        "## Latency budget\n\nThe card processor takes up to 400 ms; retries double it.\n")}, status=201)
    api.call("POST", "/knowledge", {"title": "On-call handover checklist", "content": (
        "# Handover\n\n- Open incidents and their owners\n- Alerts that flapped this week\n")},
             status=201, key=ids["alice"])
    grafana = api.call("POST", "/mcp-servers", {"name": "grafana", "url": mcp_url, "headers": {
        "Authorization": {"secret": "grafana-mcp-token", "prefix": "Bearer "}, "X-Org": "7"},
        "allowed_tools": ["echo", "slow", "fail"]}, status=201)["mcp_server"]
    api.call("POST", "/mcp-servers", {"name": "kubernetes", "url": "https://k8s-mcp.example.com/mcp",
                                            "team_id": teams["platform"]}, status=201)
    api.call("POST", "/mcp-servers", {"name": "prometheus-legacy", "url": f"http://127.0.0.1:{free_port()}/mcp"},
             status=201)
    gpt = api.call("POST", "/agents", {"name": "gpt prod", "backend": "openai", "model": "gpt-4o-mini",
                                       "base_url": "https://api.openai.com/v1", "api_key_secret": "openai-key",
                                       "default": True}, status=201)["agent"]
    api.call("POST", "/agents", {"name": "platform bedrock", "backend": "bedrock", "team_id": teams["platform"],
                                 "model": "anthropic.claude-3-5-sonnet-20240620-v1:0", "max_steps": 12}, status=201)
    api.call("POST", "/agents", {"name": "builtin analyses", "backend": "builtin", "max_steps": 4,
                                 "max_tokens": 10000}, status=201)
    api.call("PATCH", f"/automations/{ids['health']}", {"agent_id": gpt["id"], "mcp_server_ids": [grafana["id"]]},
             status=200)


def seed_ops(api: Client, team: int) -> dict:
    """Integrations with deliveries and errors, alerts, incidents, changes, and a report's session."""
    prod = api.call("POST", "/integrations", {"type": "alertmanager", "name": "Prometheus prod", "team_id": team},
                    status=201)
    url, secret = prod["integration"]["url"], prod["secret"]
    deliver(url, secret, fixture("alertmanager-firing.json"))
    deliver(url, secret, fixture("alertmanager-resolved.json"))
    deliver(url, "srein_an-old-secret", fixture("alertmanager-firing.json"))
    deliver(url, secret, b'{"version": "4", "alerts": [{"status": "firing", "labels": {}}]}')
    api.call("POST", "/integrations", {"type": "alertmanager", "name": "Prometheus staging"}, status=201)
    api.call("POST", "/integrations", {"type": "grafana", "name": "Grafana Cloud"}, status=201)
    api.call("POST", "/integrations", {"type": "github", "name": "acme/checkout deploys", "team_id": team}, status=201)
    post_events(api, [
        *alert_events("checkout-api", "LatencyHigh", "warning", "checkout-latency",
                      [(300 * M, 290 * M), (200 * M, 197 * M), (140 * M, 136 * M), (75 * M, None)]),
        *alert_events("payments", "PaymentsDown", "critical", "payments-down", [(62 * M, 10 * M)]),
        *alert_events("db", "DiskWillFill", "warning", "db-disk", [(30 * M, None)],
                      labels={"instance": "db-1:9100", "mountpoint": "/var/lib/postgresql"}),
        *alert_events("search", "IndexLag", "info", "search-lag", [(400 * M, 398 * M)]),
        change_event("deploy-2417", "payments", 180 * M, "bob", "payments v2.4.1 rolled out to production"),
        change_event("deploy-2418", "checkout-api", 90 * M, "carol", "checkout-api: raise pool size to 64"),
        change_event("migrate-88", "db", 20 * M, "dave", "db: add index on orders(created_at)", outcome="failure"),
        *incident_events("INC-1042", "Payments are failing at checkout", "payments", 60 * M,
                         [("triggered", 0, "PagerDuty"), ("acknowledged", 4, "alice"), ("escalated", 6, "PagerDuty"),
                          ("resolved", 50, "bob")], alert_keys=["events#payments-down"]),
        *incident_events("INC-1043", "Database disk filling up", "db", 25 * M,
                         [("triggered", 0, "PagerDuty"), ("acknowledged", 9, "dave")]),
        *incident_events("INC-1044", "Checkout latency above SLO", "checkout-api", 70 * M,
                         [("triggered", 0, "PagerDuty")]),
    ])
    return {"incident": "events#INC-1042", "report": report_session(api, "Weekly alert noise review"),
            "analysis": analysis_session(api, "noise-reduction"),
            "postmortem": analysis_session(api, "incident-postmortem")}


def analysis_session(api: Client, template: str) -> str:
    """A preset's builtin analysis run over the seeded data; its session's id."""
    rule = api.call("POST", "/automations", {"template_id": template, "triggers": [{"type": "api"}],
                                             "environment": {"type": "cloud_sandbox"}},
                    status=201)["automation"]
    run = api.call("POST", f"/automations/{rule['id']}/runs", {}, status=202)["run"]
    deadline = time.monotonic() + 60
    while run["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"the {template} run did not finish"
        time.sleep(0.3)
        run = api.call("GET", f"/runs/{run['id']}")["run"]
    return run["session_id"]


def new_integration(page) -> None:
    """New integration → Create: the dialog that shows the URL and secret once."""
    page.locator(".page-actions .btn.primary").click()
    page.locator('#new-integration input[name="name"]').fill("Prometheus eu-west")
    page.locator('.dialog-foot button[type="submit"]').click()
    page.locator('[data-copy="secret"]').wait_for()


def new_pagerduty(page) -> None:
    """New integration → PagerDuty → Create: the URL, and where to store the signing secret PagerDuty shows."""
    page.locator(".page-actions .btn.primary").click()
    page.locator('[data-type="pagerduty"] input').check()
    page.locator('.dialog-foot button[type="submit"]').click()
    page.get_by_test_id("signing-form").wait_for()


def knowledge_search(page) -> None:
    """A search the checkout runbook answers."""
    page.locator('input[name="q"]').fill("checkout latency connection pool")
    page.locator(".search-row .btn").click()
    page.get_by_test_id("search-results").wait_for()


def mcp_tests(page) -> None:
    """Test on the live server (its tools) and on the one nothing listens at (why not)."""
    for name in ("grafana", "prometheus-legacy"):
        page.locator("tr[data-mcp-server]", has_text=name).locator(".row-actions .btn").first.click()
    page.locator('[data-testid="mcp-test"] table, [data-testid="mcp-test-error"]').nth(1).wait_for(timeout=15000)


def mcp_edit(page) -> None:
    """The edit dialog of a server with a secret header, a plain one and an allow-list."""
    page.locator("tr[data-mcp-server]", has_text="grafana").locator(".row-actions .btn").nth(1).click()
    page.locator("#mcp-form").wait_for()


def shoot(out: Path, only: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    stack = Stack(Path(tempfile.mkdtemp(prefix="screens-")))
    info = stack.start()
    written = []
    servers = ExitStack()
    try:
        mcp_url = servers.enter_context(serve_http("grafana"))  # a live MCP server for the Test button
        ids = seed(Client(info["api_url"], info["api_key"]))
        seed_agents(Client(info["api_url"], info["api_key"]), ids, mcp_url)
        pages = [
            ("signin", "/ai-sre/automations", None, None),
            ("automations", "/ai-sre/automations", info["api_key"], None),
            ("start-panel", "/ai-sre/automations", info["api_key"],
             lambda p: p.locator(".page-actions .btn.primary").click()),
            ("new-automation", "/ai-sre/automations/new?template=noise-reduction", info["api_key"], None),
            ("edit-automation", f"/ai-sre/automations/{ids['health']}", info["api_key"], None),
            ("read-only-member", f"/ai-sre/automations/{ids['health']}", ids["alice"], None),
            ("trigger-dialog", f"/ai-sre/automations/{ids['health']}", info["api_key"],
             lambda p: (p.locator('[data-trigger="api"] .btn').nth(1).click(),
                        p.locator(".dialog .btn.danger").click())),
            ("history", f"/ai-sre/automations/{ids['health']}/history", info["api_key"], None),
            ("history-read-only", f"/ai-sre/automations/{ids['health']}/history", ids["alice"], None),
            ("chat", f"/ai-sre/chat?session_id={ids['session']}", info["api_key"],
             lambda p: p.locator("details.tool-call summary").first.click(timeout=3000)),
            ("events", "/ai-sre/events", info["api_key"], None),
            ("secrets", "/ai-sre/secrets", info["api_key"], None),
            ("integrations", "/ai-sre/integrations", info["api_key"], None),
            ("integration-new", "/ai-sre/integrations", info["api_key"],
             lambda p: p.locator(".page-actions .btn.primary").click()),
            ("integration-secret", "/ai-sre/integrations", info["api_key"], new_integration),
            ("integration-pagerduty", "/ai-sre/integrations", info["api_key"], new_pagerduty),
            ("integration-errors", "/ai-sre/integrations", info["api_key"],
             lambda p: p.get_by_test_id("errors-toggle").first.click()),
            ("integrations-member", "/ai-sre/integrations", ids["alice"], None),
            ("alerts", "/ai-sre/alerts", info["api_key"],
             lambda p: p.locator('tr[data-alert="events#checkout-latency"] .btn').click()),
            ("incidents", "/ai-sre/alerts?tab=incidents", info["api_key"], None),
            ("incident", f"/ai-sre/alerts?tab=incidents&incident={quote(ids['incident'])}", info["api_key"], None),
            ("changes", "/ai-sre/alerts?tab=changes", info["api_key"], None),
            ("report", f"/ai-sre/chat?session_id={ids['report']}", info["api_key"],
             lambda p: p.locator('[data-artifact="findings.json"] summary').click()),
            ("analysis-noise", f"/ai-sre/chat?session_id={ids['analysis']}", info["api_key"], None),
            ("analysis-postmortem", f"/ai-sre/chat?session_id={ids['postmortem']}", info["api_key"], None),
            ("knowledge", "/ai-sre/knowledge", info["api_key"], None),
            ("knowledge-search", "/ai-sre/knowledge", info["api_key"], knowledge_search),
            ("knowledge-editor", "/ai-sre/knowledge", info["api_key"],
             lambda p: p.locator("tr[data-document] .doc-title").first.click()),
            ("knowledge-preview", "/ai-sre/knowledge", info["api_key"],
             lambda p: (p.locator("tr[data-document] .doc-title").first.click(),
                        p.locator('[data-tab="preview"]').click())),
            ("mcp-servers", "/ai-sre/mcp-servers", info["api_key"], mcp_tests),
            ("mcp-server-new", "/ai-sre/mcp-servers", info["api_key"], mcp_edit),
            ("mcp-servers-member", "/ai-sre/mcp-servers", ids["alice"], None),
            ("agents", "/ai-sre/agents", info["api_key"], None),
            ("agent-edit", "/ai-sre/agents", info["api_key"],
             lambda p: p.locator("tr[data-agent]", has_text="gpt prod").locator(".row-actions .btn").first.click()),
            ("agents-member", "/ai-sre/agents", ids["alice"], None),
        ]
        narrow = [(f"{name}-narrow", *rest) for name, *rest in pages
                  if name in ("integrations", "integration-secret", "alerts", "incident", "report", "knowledge-search",
                              "mcp-servers", "agents")]
        pages = [(name, path, key, act, None) for name, path, key, act in pages] + \
            [(name, path, key, act, NARROW) for name, path, key, act in narrow]
        if only:
            pages = [p for p in pages if p[0].startswith(tuple(only))]
        with chromium() as browser:
            for locale in ("en-US", "zh-CN"):
                for name, path, key, act, viewport in pages:
                    page = new_page(browser, info["api_url"], key, locale=locale, viewport=viewport,
                                    timezone="Asia/Shanghai" if locale == "zh-CN" else "Europe/Berlin")
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    if act:
                        try:
                            act(page)
                        except Exception as exc:  # still take the picture: it shows what went wrong
                            print(f"{name} ({locale}): {exc}", file=sys.stderr)
                        page.wait_for_load_state("networkidle")
                    time.sleep(0.4)
                    target = out / f"{name}.{locale}.png"
                    page.screenshot(path=str(target), full_page=True)
                    page.context.close()
                    written.append(target)
    finally:
        servers.close()
        stack.stop()
    return written


if __name__ == "__main__":
    for path in shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "build/screenshots"), sys.argv[2:]):
        print(path)
