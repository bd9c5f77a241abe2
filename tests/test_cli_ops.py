"""The `sre` commands over operations data, through click's CliRunner against
the real app in process (moto), as tests/test_cli.py drives the others:
integrations (a secret shown once, deliveries, rotation, deletion, a signing
secret from stdin), alerts, incidents with their timelines, changes, the
account's business hours, and automations' report language."""
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sre_client.api import Api
from sre_client.cli import main
from sre_client.connection import Connection
from sre_client.operations import format_business_hours, key_path, parse_business_hours, when
from tests.test_cli import URL, Quiet

FIXTURES = Path(__file__).parent / "fixtures" / "vendors"
SIGNED = {s["file"]: s for s in json.loads((FIXTURES / "signatures.json").read_text())["pagerduty"]
          if "case" not in s}  # each lifecycle file signed with the one test secret (not the rotation cases)
PD_LIFECYCLE = ["pagerduty-incident-triggered.json", "pagerduty-incident-escalated.json",
                "pagerduty-incident-reassigned.json", "pagerduty-incident-acknowledged.json",
                "pagerduty-incident-resolved.json"]
WINDOW = ("--since", "2026-12-01T00:00:00Z", "--until", "2026-12-07T00:00:00Z")


@pytest.fixture
def env(tmp_path):
    """No saved login, no SRE_API_* and an English shell, whatever the machine running the tests has."""
    return {"SRE_CONFIG_DIR": str(tmp_path), "SRE_API_URL": None, "SRE_API_KEY": None,
            "LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_US.UTF-8"}


@pytest.fixture
def sre(transport, owner, env):
    """`sre ARGS…` as the account owner, against the app (`key=` another user's; `env=` more variables)."""
    def run(*args, input=None, key=None, more_env=None):
        obj = Connection(api=Api(URL, key or owner, http=Quiet(transport)))
        return CliRunner(env={**env, **(more_env or {})}).invoke(main, list(args), obj=obj, prog_name="sre",
                                                                 input=input)
    return run


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def deliver(api, url: str, secret: str, fixture: str = "alertmanager-firing.json", status: int = 200) -> dict:
    """POST a vendor fixture to an integration's URL with its bearer secret, as Alertmanager does."""
    code, answer = api.call("POST", url.removeprefix(URL), headers={"Authorization": f"Bearer {secret}"},
                            raw=(FIXTURES / fixture).read_bytes())
    assert code == status, (code, answer)
    return answer


def created(output: str) -> tuple[str, str, str]:
    """(id, URL, secret) from what `sre integrations create` printed."""
    iid = re.search(r"^created (int_\w+) ", output, re.M).group(1)
    url = re.search(r"^URL:    (\S+)$", output, re.M).group(1)
    secret = re.search(r"^secret: (srein_\S+)  ", output, re.M).group(1)
    return iid, url, secret


# --- integrations ------------------------------------------------------------------------------


def test_create_shows_the_url_the_secret_once_and_the_setup_then_never_the_secret(sre, api, owner):
    output = ok(sre("integrations", "create", "--type", "alertmanager", "--name", "Prometheus prod"))
    iid, url, secret = created(output)
    assert url == f"{URL}/hooks/{iid}"
    assert f"secret: {secret}  (Authorization: Bearer <secret>)\n" in output
    assert f"Shown once: the secret cannot be shown again; copy it now (`sre integrations rotate {iid}`" in output
    setup = output.split("Paste into Prometheus Alertmanager:\n\n", 1)[1]
    assert "\nreceivers:\n" in setup and f"url: '{url}'" in setup and f"credentials: '{secret}'" in setup
    deliver(api, url, secret)  # the secret shown is the one that works

    listed = ok(sre("integrations", "list"))
    assert secret not in listed
    header, row = listed.splitlines()
    assert header.split() == ["TYPE", "NAME", "ID", "URL", "LAST", "RECEIVED", "RECEIVED/REFUSED", "NEWEST", "ERROR"]
    assert row.split()[:5] == ["alertmanager", "Prometheus", "prod", iid, url] and " 1/0 " in row
    shown = ok(sre("integrations", "show", iid))
    assert secret not in shown
    assert "secret         set (token; never shown)\n" in shown and "recent errors: none\n" in shown
    assert "mapping        service: service | job, severity: severity\n" in shown
    assert secret not in json.dumps(api.ok("GET", "/integrations", owner))

    as_json = json.loads(ok(sre("integrations", "create", "--type", "alertmanager", "--name", "b", "--json")))
    assert as_json["secret"].startswith("srein_") and as_json["integration"]["url"].endswith(
        as_json["integration"]["id"])


@pytest.mark.parametrize(("kind", "secret_line", "pasted"), [
    ("grafana", "(Authorization: Bearer <secret>)", "Authorization Header - Credentials: {secret}"),
    ("github", "(the webhook's Secret)", "Secret: {secret}"),
    ("cloudwatch", None, "--notification-endpoint '{url}'"),
])
def test_each_tool_gets_its_secret_where_it_goes(sre, kind, secret_line, pasted):
    output = ok(sre("integrations", "create", "--type", kind, "--name", kind))
    iid = re.search(r"^created (int_\w+) ", output, re.M).group(1)
    url = re.search(r"^URL:    (\S+)$", output, re.M).group(1)
    if secret_line:
        secret = re.search(rf"^secret: (srein_\S+)  {re.escape(secret_line)}$", output, re.M).group(1)
        assert url == f"{URL}/hooks/{iid}"
    else:  # SNS sends no headers: the secret is the URL's last part, and the URL is what is shown once
        secret = url.rsplit("/", 1)[1]
        assert url == f"{URL}/hooks/{iid}/{secret}" and secret.startswith("srein_") and "\nsecret:" not in output
        assert "Shown once: this URL holds the secret and cannot be shown again" in output
    assert pasted.format(secret=secret, url=url) in output
    listed = ok(sre("integrations", "list"))
    assert secret not in listed and secret not in ok(sre("integrations", "show", iid))


def test_list_and_show_tell_what_arrived_and_what_was_refused(sre, api):
    iid, url, secret = created(ok(sre("integrations", "create", "--type", "alertmanager", "--name", "am")))
    assert ok(sre("integrations", "list")).splitlines()[1].split()[3:6] == [url, "-", "0/0"]
    deliver(api, url, secret)
    deliver(api, url, "srein_not-the-secret", status=401)
    row = ok(sre("integrations", "list")).splitlines()[1]
    assert " 1/1 " in row and row.endswith("refused: The bearer token is not this integration's secret")
    assert re.search(rf"{re.escape(url)}  \d{{4}}-\d\d-\d\dT[\d:]+Z  ", row)  # last received
    shown = ok(sre("integrations", "show", iid))
    assert "received       1\nrefused        1\n" in shown
    assert re.search(r"^recent errors:\n  \S+Z  refused: The bearer token is not this integration's secret$",
                     shown, re.M)


def test_the_service_label_and_team_flags_and_their_refusals(sre, api, owner, people):
    output = ok(sre("integrations", "create", "--type", "alertmanager", "--name", "ns", "--service-label", "namespace",
                    "--team", str(people["red"])))
    iid, url, secret = created(output)
    integration = api.ok("GET", f"/integrations/{iid}", owner)["integration"]
    assert integration["team_id"] == people["red"] and integration["mapping"]["service"] == ["namespace"]
    deliver(api, url, secret)
    assert {a["service"] for a in api.ok("GET", "/alerts", owner)["alerts"]} == {"prod"}  # the namespace label

    refused = sre("integrations", "create", "--type", "alertmanager", "--name", "x", "--team", "999")
    assert (refused.exit_code, refused.output) == (1, "Error: --team: team_id: there is no team 999 in this account\n")
    refused = sre("integrations", "create", "--type", "alertmanager", "--name", "")
    assert refused.exit_code == 1 and refused.output.startswith("Error: --name: ")
    member = sre("integrations", "create", "--type", "alertmanager", "--name", "m", key=people["alice"]["key"])
    assert member.exit_code == 1 and "(HTTP 403)" in member.output


def test_rotate_shows_a_new_secret_once_and_the_old_one_stops(sre, api):
    iid, url, old = created(ok(sre("integrations", "create", "--type", "alertmanager", "--name", "am")))
    output = ok(sre("integrations", "rotate", iid))
    assert output.startswith(f"rotated {iid} (alertmanager: am)\nURL:    {url}\n")
    new = re.search(r"^secret: (srein_\S+)  ", output, re.M).group(1)
    assert new != old and output.endswith("The old secret no longer works: update the tool now.\n")
    assert f"credentials: '{new}'" in output
    deliver(api, url, old, status=401)
    deliver(api, url, new)


def test_delete_asks_first(sre, api):
    iid, url, secret = created(ok(sre("integrations", "create", "--type", "alertmanager", "--name", "am")))
    kept = sre("integrations", "delete", iid, input="n\n")
    assert kept.exit_code == 1 and kept.output.startswith(f"Delete {iid}? Its URL will refuse every delivery")
    deliver(api, url, secret)
    assert ok(sre("integrations", "delete", iid, "--yes")) == f"{iid} deleted\n"
    deliver(api, url, secret, status=404)
    gone = sre("integrations", "show", iid)
    assert (gone.exit_code, gone.output) == (1, f"Error: No integration {iid} in this account. (HTTP 404)\n")
    assert ok(sre("integrations", "list")) == "no integrations\n"


def deliver_pagerduty(api, url: str, fixture: str, status: int = 200) -> dict:
    """A PagerDuty V3 webhook as PagerDuty sends it, signed with the fixtures' test secret."""
    code, answer = api.call("POST", url.removeprefix(URL), headers=SIGNED[fixture]["headers"],
                            raw=(FIXTURES / fixture).read_bytes())
    assert code == status, (code, answer)
    return answer


def test_set_secret_reads_pagerdutys_secret_from_stdin_never_the_command_line(sre, api):
    output = ok(sre("integrations", "create", "--type", "pagerduty", "--name", "PagerDuty"))
    iid = re.search(r"^created (int_\w+) ", output, re.M).group(1)
    url = re.search(r"^URL:    (\S+)$", output, re.M).group(1)
    assert "secret:" not in output and "srein_" not in output  # ours is no use: PagerDuty signs with its own
    assert f"store it with `sre integrations set-secret {iid}` (deliveries are refused until then)" in output
    assert "Paste into PagerDuty:\n\nIn PagerDuty: Integrations → Generic Webhooks (v3) → New Webhook\n" in output
    deliver_pagerduty(api, url, PD_LIFECYCLE[0], status=401)
    refused = sre("integrations", "rotate", iid)
    assert refused.exit_code == 1 and "make a new one in PagerDuty" in refused.output

    pagerduty_secret = SIGNED[PD_LIFECYCLE[0]]["secret"]
    stored = sre("integrations", "set-secret", iid, input=pagerduty_secret + "\n")
    assert ok(stored) == f"signing secret stored for {iid}: deliveries signed with it are taken from now on\n"
    assert pagerduty_secret not in stored.output
    assert deliver_pagerduty(api, url, PD_LIFECYCLE[0])["received"]["incidents"] == 1
    shown = ok(sre("integrations", "show", iid))
    assert pagerduty_secret not in shown and "secret         set (signing; never shown)\n" in shown
    assert "received       1\nrefused        1\n" in shown

    assert sre("integrations", "set-secret", iid, "--value", "x").exit_code == 2  # no such flag: never argv
    empty = sre("integrations", "set-secret", iid, input="\n")
    assert empty.exit_code == 2 and "no secret: give it on stdin" in empty.output
    short = sre("integrations", "set-secret", iid, input="short\n")
    assert (short.exit_code, short.output) == (
        1, "Error: signing_secret must be the tool's secret: 8-256 characters (HTTP 400)\n")


def test_set_secret_on_a_bearer_token_integration_is_refused_in_the_apis_words(sre):
    iid, _, _ = created(ok(sre("integrations", "create", "--type", "alertmanager", "--name", "am")))
    refused = sre("integrations", "set-secret", iid, input="some-secret-value\n")
    assert refused.exit_code == 1
    assert refused.output == ("Error: Prometheus Alertmanager integrations have no signing secret; rotate to get a "
                              "new secret (HTTP 400)\n")


# --- alerts ------------------------------------------------------------------------------------


@pytest.fixture
def alerts(sre, api, owner):
    """Two critical checkout-api alerts from Alertmanager (one resolved since), and a warning of db from an event."""
    made = json.loads(ok(sre("integrations", "create", "--type", "alertmanager", "--name", "am", "--json")))
    url, secret = made["integration"]["url"], made["secret"]
    deliver(api, url, secret)
    resolved = json.loads((FIXTURES / "alertmanager-resolved.json").read_bytes())
    resolved["alerts"] = [a for a in resolved["alerts"] if a["fingerprint"] == "6760336f7be5bae2"]
    code, _ = api.call("POST", url.removeprefix(URL), headers={"Authorization": f"Bearer {secret}"},
                       raw=json.dumps(resolved).encode())
    assert code == 200
    api.ok("POST", "/events", owner, {"event": "alert.firing", "occurred": "2026-12-05T10:00:00Z",
                                      "resource": {"id": "disk full/db1"},
                                      "payload": {"name": "DiskFull", "service": "db", "severity": "warning"}},
           status=202)


def test_alerts_list_filters(sre, alerts):
    listed = ok(sre("alerts", "list"))
    assert listed.splitlines()[0].split() == ["KEY", "NAME", "SERVICE", "SEVERITY", "STATUS", "LAST", "START", "FIRED"]
    assert len(listed.splitlines()) == 4
    firing = ok(sre("alerts", "list", "--status", "firing")).splitlines()[1:]
    assert sorted(r.split()[0] for r in firing) == ["alertmanager#d21e778854749ccb", "events#disk"]
    critical = ok(sre("alerts", "list", "--status", "firing", "--severity", "critical")).splitlines()[1:]
    assert [r.split()[:6] for r in critical] == [["alertmanager#d21e778854749ccb", "HighErrorRate", "checkout-api",
                                                 "critical", "firing", "2026-12-06T21:20:27Z"]]
    db = ok(sre("alerts", "list", "--service", "db")).splitlines()[1:]
    assert [r.split()[:2] for r in db] == [["events#disk", "full/db1"]]
    assert ok(sre("alerts", "list", "--service", "db", "--status", "resolved")) == "no alerts\n"
    assert [json.loads(ok(sre("alerts", "list", "--status", "resolved", "--json")))["alerts"][0]["key"]] == [
        "alertmanager#6760336f7be5bae2"]
    paged = ok(sre("alerts", "list", "--limit", "1"))
    assert len(paged.splitlines()) == 3 and paged.splitlines()[2].startswith("more: --cursor ")
    cursor = paged.splitlines()[2].removeprefix("more: --cursor ")
    assert len(ok(sre("alerts", "list", "--limit", "1", "--cursor", cursor)).splitlines()) >= 2
    refused = sre("alerts", "list", "--limit", "0")
    assert (refused.exit_code, refused.output) == (1, "Error: --limit: limit must be an integer 1-200\n")


def test_alerts_show_an_alert_and_its_firings(sre, alerts):
    shown = ok(sre("alerts", "show", "alertmanager#6760336f7be5bae2"))
    assert "name        HighErrorRate\nservice     checkout-api\nseverity    critical\nstatus      resolved\n" in shown
    assert "labels:\n  alertname=HighErrorRate\n" in shown and "  team=payments\n" in shown
    assert "annotations:\n  description=5xx ratio is 6.02%" in shown
    assert "  runbook_url=https://runbooks.example.com/checkout-api/high-error-rate\n" in shown
    assert shown.endswith("firings:\nSTART                 END                   DURATION   ACKNOWLEDGED BY\n"
                          "2026-12-06T21:20:27Z  2026-12-06T21:23:35Z  3 min 8 s  -\n")
    missing = sre("alerts", "show", "events#nope")
    assert (missing.exit_code, missing.output) == (1, "Error: No alert with key 'events#nope' in this account. "
                                                      "(HTTP 404)\n")
    bad = sre("alerts", "show", "6760336f7be5bae2")
    assert bad.exit_code == 2 and "a key is <source>#<id>, such as alertmanager#6760336f7be5bae2" in bad.output


def test_a_key_whose_id_holds_a_space_and_a_slash(sre, alerts):
    """Each part of the path is URL-encoded, so an id the tool chose freely still names its alert."""
    odd = ok(sre("alerts", "show", "events#disk full/db1"))
    assert "key         events#disk full/db1\n" in odd and "2026-12-05T10:00:00Z  -    firing" in odd


# --- incidents and changes ---------------------------------------------------------------------


@pytest.fixture
def incident(api, owner):
    """INC-7 on db: an alert five minutes before it, a deploy before that, triggered, then acknowledged by Alice."""
    api.ok("POST", "/events", owner, [
        {"event": "change.deployed", "occurred": "2026-12-05T09:30:00Z", "resource": {"id": "deploy-42"},
         "payload": {"service": "db", "kind": "config", "environment": "production", "who": "bob",
                     "link": "https://ci.example.com/42"}},
        {"event": "alert.firing", "occurred": "2026-12-05T10:00:00Z", "resource": {"id": "disk-full-db1"},
         "payload": {"name": "DiskFull", "service": "db", "severity": "warning"}},
        {"event": "incident.triggered", "occurred": "2026-12-05T10:05:00Z", "resource": {"id": "INC-7"},
         "payload": {"title": "Database disk full", "service": "db", "urgency": "high", "who": "monitoring",
                     "assignees": ["Alice"], "alert_keys": ["events#disk-full-db1"]}},
        {"event": "incident.acknowledged", "occurred": "2026-12-05T10:09:00Z", "resource": {"id": "INC-7"},
         "payload": {"title": "Database disk full", "who": "Alice"}},
    ], status=202)


def test_incidents_list_in_a_window(sre, incident):
    listed = ok(sre("incidents", "list", *WINDOW))
    header, row = listed.splitlines()
    assert header.split() == ["KEY", "TITLE", "SERVICE", "URGENCY", "STATUS", "OPENED", "RESOLVED"]
    assert row.split() == ["events#INC-7", "Database", "disk", "full", "db", "high", "acknowledged",
                           "2026-12-05T10:05:00Z", "-"]
    assert ok(sre("incidents", "list", "--status", "open", *WINDOW)) == listed
    assert ok(sre("incidents", "list", "--status", "resolved", *WINDOW)) == "no incidents in this window\n"
    assert ok(sre("incidents", "list", "--service", "web", *WINDOW)) == "no incidents in this window\n"
    refused = sre("incidents", "list", "--since", "yesterday")
    assert refused.exit_code == 1 and refused.output.startswith("Error: --since: since must be an ISO 8601 time")
    too_long = sre("incidents", "list", "--since", "2026-10-01T00:00:00Z", "--until", "2026-12-01T00:00:00Z")
    assert (too_long.exit_code, too_long.output) == (1, "Error: --since: the window may be at most 31 days\n")


def test_incidents_show_the_timeline_alerts_changes_and_times(sre, incident):
    shown = ok(sre("incidents", "show", "events#INC-7"))
    assert shown.startswith("key           events#INC-7\ntitle         Database disk full\nservice       db\n"
                            "status        acknowledged\nurgency       high\n")
    assert "assignees     Alice\n" in shown
    assert ("time to detect 5 min, acknowledge 4 min, resolve - (first alert 2026-12-05T10:00:00Z)\n"
            "\ntimeline:\n"
            "AT                    WHAT          STATUS        WHO\n"
            "2026-12-05T10:05:00Z  triggered     triggered     monitoring\n"
            "2026-12-05T10:09:00Z  acknowledged  acknowledged  Alice\n") in shown
    alerts = shown.split("\nalerts:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert alerts[1].split() == ["events#disk-full-db1", "DiskFull", "warning", "2026-12-05T10:00:00Z", "1", "linked"]
    changes = shown.split("changes on its service in the 24 h before:\n", 1)[1].splitlines()
    assert changes[1].split() == ["2026-12-05T09:30:00Z", "events#deploy-42", "db", "config", "production", "bob",
                                  "success", "https://ci.example.com/42"]
    as_json = json.loads(ok(sre("incidents", "show", "events#INC-7", "--json")))
    assert as_json["metrics"]["time_to_acknowledge_seconds"] == 240
    missing = sre("incidents", "show", "pagerduty#NOPE")
    assert (missing.exit_code, missing.output) == (
        1, "Error: No incident with key 'pagerduty#NOPE' in this account. (HTTP 404)\n")


def test_incidents_show_a_pagerduty_incident_with_who_did_what(sre, api):
    made = json.loads(ok(sre("integrations", "create", "--type", "pagerduty", "--name", "PagerDuty", "--json")))
    iid, url = made["integration"]["id"], made["integration"]["url"]
    ok(sre("integrations", "set-secret", iid, input=SIGNED[PD_LIFECYCLE[0]]["secret"]))
    for fixture in PD_LIFECYCLE:
        deliver_pagerduty(api, url, fixture)
    listed = ok(sre("incidents", "list", *WINDOW)).splitlines()
    assert listed[1].startswith("pagerduty#Q1QH8K2ZJ7XW3M  [FIRING:2] HighErrorRate checkout-api")
    shown = ok(sre("incidents", "show", "pagerduty#Q1QH8K2ZJ7XW3M"))
    assert "service       checkout-api\nstatus        resolved\nurgency       high\n" in shown
    timeline = shown.split("\ntimeline:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [row.split()[1:] for row in timeline[1:]] == [
        ["triggered", "triggered", "Alertmanager"], ["escalated", "triggered", "Dana", "Whitfield"],
        ["reassigned", "triggered", "Marcus", "Oyelaran"], ["acknowledged", "acknowledged", "Priya", "Raman"],
        ["resolved", "resolved", "Priya", "Raman"]], timeline


def test_changes_list(sre, incident):
    listed = ok(sre("changes", "list", "--service", "db", *WINDOW))
    header, row = listed.splitlines()
    assert header.split() == ["AT", "KEY", "SERVICE", "KIND", "ENVIRONMENT", "WHO", "OUTCOME", "LINK"]
    assert row.split()[:3] == ["2026-12-05T09:30:00Z", "events#deploy-42", "db"]
    assert ok(sre("changes", "list", "--service", "web", *WINDOW)) == "no changes in this window\n"


def test_a_postmortem_automation_runs_when_an_incident_is_triggered(sre, api, owner):
    """The docs' recipe: the incident-postmortem preset with an event trigger on incident.triggered."""
    output = ok(sre("automations", "create", "--template", "incident-postmortem", "--event", "incident.triggered"))
    automation_id = re.fullmatch(r"created (aut_\w+) \(Incident post-mortem draft\)\n", output).group(1)
    sent = ok(sre("events", "send", "incident.triggered", "--resource-id", "INC-9",
                  "--payload", '{"title": "Checkout down", "service": "checkout"}'))
    run_id = re.fullmatch(r"accepted 1, duplicates 0, rejected 0; runs started: (run_\w+)\n", sent).group(1)
    run = api.ok("GET", f"/runs/{run_id}", owner)["run"]
    assert run["automation_id"] == automation_id and run["trigger"] == "event"


# --- account settings --------------------------------------------------------------------------


def test_account_settings_round_trip(sre, api, owner, people):
    assert ok(sre("account", "settings")) == "time zone       UTC\nbusiness hours  Mon-Fri 09:00-18:00\n"
    output = ok(sre("account", "settings", "--timezone", "Asia/Shanghai", "--business-hours", "Mon-Sat 10-19"))
    assert output == "time zone       Asia/Shanghai\nbusiness hours  Mon-Sat 10:00-19:00\n"
    assert api.ok("GET", "/account/settings", owner) == {
        "timezone": "Asia/Shanghai", "business_hours": {"days": [1, 2, 3, 4, 5, 6], "start": 10, "end": 19}}
    ok(sre("account", "settings", "--business-hours", "Sun-Thu 08:00-17:00"))
    assert ok(sre("account", "settings")) == "time zone       Asia/Shanghai\nbusiness hours  Sun-Thu 08:00-17:00\n"
    assert json.loads(ok(sre("account", "settings", "--json")))["business_hours"]["days"] == [0, 1, 2, 3, 4]

    zone = sre("account", "settings", "--timezone", "Mars/Olympus")
    assert (zone.exit_code, zone.output) == (
        1, "Error: --timezone: timezone must be an IANA time zone such as Europe/Berlin; got 'Mars/Olympus'\n")
    reversed_hours = sre("account", "settings", "--business-hours", "Mon-Fri 18-09")
    assert (reversed_hours.exit_code, reversed_hours.output) == (
        1, "Error: --business-hours: business_hours.start must be before end\n")
    half = sre("account", "settings", "--business-hours", "Mon-Fri 09:30-18")
    assert half.exit_code == 2 and "Invalid value for --business-hours: write it as DAYS HOURS" in half.output
    member = sre("account", "settings", "--timezone", "UTC", key=people["bob"]["key"])
    assert member.exit_code == 1 and "(HTTP 403)" in member.output
    assert api.ok("GET", "/account/settings", owner)["timezone"] == "Asia/Shanghai"


@pytest.mark.parametrize(("text", "hours", "shown"), [
    ("Mon-Fri 09-18", {"days": [1, 2, 3, 4, 5], "start": 9, "end": 18}, "Mon-Fri 09:00-18:00"),
    ("mon,wed,FRI 9-17", {"days": [1, 3, 5], "start": 9, "end": 17}, "Mon,Wed,Fri 09:00-17:00"),
    ("Sun-Thu 08:00-17:00", {"days": [0, 1, 2, 3, 4], "start": 8, "end": 17}, "Sun-Thu 08:00-17:00"),
    ("Fri-Mon 0-24", {"days": [0, 1, 5, 6], "start": 0, "end": 24}, "Fri-Mon 00:00-24:00"),
    ("Monday-Sunday 7-23", {"days": [0, 1, 2, 3, 4, 5, 6], "start": 7, "end": 23}, "every day 07:00-23:00"),
    ("Sat 10-14", {"days": [6], "start": 10, "end": 14}, "Sat 10:00-14:00"),
    ('{"days": [1], "start": 9, "end": 12}', {"days": [1], "start": 9, "end": 12}, "Mon 09:00-12:00"),
])
def test_business_hours_in_words(text, hours, shown):
    assert parse_business_hours(text) == hours
    assert format_business_hours(hours) == shown


@pytest.mark.parametrize("text", ["Mon-Fri", "9-18", "Mon-Fry 9-18", "Mo-Fr 9-18", "Mon-Fri 9.30-18"])
def test_business_hours_that_are_not(text):
    with pytest.raises(ValueError):
        parse_business_hours(text)


def test_keys_and_times_of_the_operations_commands():
    assert key_path("incidents", "pagerduty#Q1QH8K2ZJ7XW3M") == "/incidents/pagerduty/Q1QH8K2ZJ7XW3M"
    assert key_path("alerts", "events#a b/c#d") == "/alerts/events/a%20b%2Fc%23d"
    from datetime import UTC, datetime
    now = datetime(2026, 12, 6, 12, 0, 30, 5, tzinfo=UTC)
    assert when("24h", now) == "2026-12-05T12:00:30Z" and when("7d", now) == "2026-11-29T12:00:30Z"
    assert when("30m", now) == "2026-12-06T11:30:30Z" and when("2026-12-01T00:00:00Z", now) == "2026-12-01T00:00:00Z"


# --- automations: the language of their reports -------------------------------------------------


@pytest.mark.parametrize(("flags", "shell", "locale", "name"), [
    (["--locale", "zh-CN"], {}, "zh-CN", "故障复盘草稿"),
    ([], {"LANG": "zh_CN.UTF-8"}, "zh-CN", "故障复盘草稿"),
    ([], {"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en-US", "Incident post-mortem draft"),
    ([], {"LANG": "de_DE.UTF-8"}, "en-US", "Incident post-mortem draft"),
    (["--locale", "en-US"], {"LANG": "zh_CN.UTF-8"}, "en-US", "Incident post-mortem draft"),
])
def test_create_from_a_template_in_the_report_language(sre, api, owner, flags, shell, locale, name):
    output = ok(sre("automations", "create", "--template", "incident-postmortem", "--event", "incident.triggered",
                    *flags, more_env=shell))
    automation_id = re.fullmatch(rf"created (aut_\w+) \({name}\)\n", output).group(1)
    saved = api.ok("GET", f"/automations/{automation_id}", owner)["automation"]
    assert saved["locale"] == locale and saved["template_id"] == "incident-postmortem"
    assert f"locale       {locale}\ntemplate     incident-postmortem\n" in ok(sre("automations", "show", automation_id))


def test_edit_changes_the_report_language(sre, api, owner):
    output = ok(sre("automations", "create", "--name", "n", "--prompt", "p", "--event", "deploy.*"))
    automation_id = re.match(r"created (aut_\w+)", output).group(1)
    assert api.ok("GET", f"/automations/{automation_id}", owner)["automation"]["locale"] == "en-US"
    ok(sre("automations", "edit", automation_id, "--locale", "zh-CN"))
    assert api.ok("GET", f"/automations/{automation_id}", owner)["automation"]["locale"] == "zh-CN"
    bad = sre("automations", "create", "--name", "n", "--prompt", "p", "--event", "x", "--locale", "fr-FR")
    assert bad.exit_code == 2 and "'fr-FR' is not one of 'en-US', 'zh-CN'" in bad.output
