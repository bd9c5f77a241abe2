"""`make screenshots`: a PNG of every console page in both languages, under
build/screenshots/, taken in headless Chromium against a fresh local stack
seeded with a realistic account (teams, a member, runners, automations of
every trigger kind, runs with sessions, events, secrets)."""
import sys
import tempfile
import time
from pathlib import Path

from tests.browser import Client, chromium, new_page
from tests.test_e2e_stack import Stack


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
                                                                           "service": "api-gw"}},
                                 {"event": "deploy.finished", "resource": {"id": "deploy-42", "service": "api-gw"}}])
    return {"health": health["automation"]["id"], "session": run["session_id"], "alice": alice["key"],
            "trigger": {"automationId": health["automation"]["id"], **token}}


def shoot(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    stack = Stack(Path(tempfile.mkdtemp(prefix="screens-")))
    info = stack.start()
    written = []
    try:
        ids = seed(Client(info["api_url"], info["api_key"]))
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
        ]
        with chromium() as browser:
            for locale in ("en-US", "zh-CN"):
                for name, path, key, act in pages:
                    page = new_page(browser, info["api_url"], key, locale=locale,
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
        stack.stop()
    return written


if __name__ == "__main__":
    for path in shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "build/screenshots")):
        print(path)
