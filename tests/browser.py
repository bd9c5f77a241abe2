"""Driving the console in a real headless Chromium (Debian's, through
Playwright's `executable_path`) against a real local stack, as a user would."""
import json
from contextlib import contextmanager

import requests
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@contextmanager
def chromium():
    """A headless Chromium (the system's: Playwright's own download cannot be had here)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, base_url: str, key: str | None = None, locale: str = "en-US", timezone: str = "Europe/Berlin",
             viewport=None):
    """A fresh browser context (its own sessionStorage), signed in with `key` when given."""
    context = browser.new_context(locale=locale, timezone_id=timezone,
                                  viewport=viewport or {"width": 1360, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"], base_url=base_url)
    context.add_init_script(f"localStorage.setItem('sre-console-lang', {json.dumps(locale)});")
    if key:
        context.add_init_script(f"sessionStorage.setItem('sre-api-key', {json.dumps(key)});")
    page = context.new_page()
    page.set_default_timeout(15000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    return page


class Client:
    """The public HTTP API, for setting up what a test needs."""

    def __init__(self, url: str, key: str):
        self.url, self.key = url, key

    def call(self, method: str, path: str, body=None, key=None, status=None):
        resp = requests.request(method, f"{self.url}{path}", json=body, timeout=10,
                                headers={"Authorization": f"Bearer {key or self.key}"})
        if status is not None:
            assert resp.status_code == status, (resp.status_code, resp.text)
        return resp.json() if resp.text else None

    def user(self, email: str, role: str = "member") -> dict:
        answer = self.call("POST", "/users", {"email": email, "role": role}, status=201)
        return {"id": answer["user"]["id"], "key": answer["api_key"], "email": email}

    def team(self, name: str, *members: dict) -> int:
        team_id = self.call("POST", "/teams", {"name": name}, status=201)["team"]["id"]
        for member in members:
            self.call("PUT", f"/teams/{team_id}/members/{member['id']}", status=200)
        return team_id

    def automation(self, key=None, **body) -> dict:
        full = {"team_id": 0, "task_prompt": "Check https://example.com and report.",
                "triggers": [{"type": "api"}], **body}
        return self.call("POST", "/automations", full, key=key, status=201)
