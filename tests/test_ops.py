"""Operations data through the real routes: integrations (made, shown once,
rotated, who may), Alertmanager deliveries (good, wrong token, malformed,
redelivered, repeated), the model built from them (alerts, firings, day
aggregates), POST /events feeding the same model, event triggers firing on
arrivals, and the reads (alerts, incidents, changes, account settings)."""
import json
from pathlib import Path

import pytest

from bench.aws_calls import CallMeter
from chalicelib.store import repos
from tests.conftest import rule_body

FIXTURES = Path(__file__).parent / "fixtures" / "vendors"
WINDOW = "since=2026-12-01T00:00:00Z&until=2026-12-07T00:00:00Z"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _integration(api, key, type_="alertmanager", **body):
    return api.ok("POST", "/integrations", key, {"type": type_, "name": f"{type_} prod", **body}, status=201)


def _deliver(api, made, raw: bytes, token: str | None = None, status=200, headers=None):
    path = made["integration"]["url"].removeprefix("http://testserver")
    hdrs = {"Authorization": f"Bearer {token or made['secret']}", **(headers or {})}
    code, answer = api.call("POST", path, body=None, headers=hdrs, raw=raw)
    assert code == status, (code, answer)
    return answer


def _account(owner_key):
    return repos.accounts.key(owner_key[len("sreak_"):len("sreak_") + 16]).account_id


# --- integrations ------------------------------------------------------------------------------


def test_an_admin_makes_an_integration_and_sees_its_url_and_secret_once(api, owner):
    made = _integration(api, owner)
    integration, secret = made["integration"], made["secret"]
    assert integration["type"] == "alertmanager" and integration["name"] == "alertmanager prod"
    assert integration["url"] == f"http://testserver/hooks/{integration['id']}"
    assert secret.startswith("srein_") and "Bearer" not in secret
    assert integration["url"] in made["setup"] and secret in made["setup"]  # the receivers block to paste
    shown = api.ok("GET", f"/integrations/{integration['id']}", owner)["integration"]
    assert secret not in json.dumps(shown) and shown["secret_set"] is True
    assert shown["last_received_at"] is None and shown["received"] == 0 and shown["errors"] == []
    listed = api.ok("GET", "/integrations", owner)["integrations"]
    assert [i["id"] for i in listed] == [integration["id"]]
    assert secret not in json.dumps(listed)
    stored = repos.integrations.get(_account(owner), integration["id"])
    assert stored.token_hash and secret not in json.dumps(stored.__dict__, default=str)  # only its hash at rest


def test_bad_integration_requests_say_what_is_wrong(api, owner):
    code, answer = api.call("POST", "/integrations", owner, {"type": "nagios", "name": "x"})
    assert code == 400 and answer["errors"][0]["field"] == "type" and "alertmanager" in answer["Message"]
    code, answer = api.call("POST", "/integrations", owner, {"type": "alertmanager", "name": ""})
    assert code == 400 and answer["errors"][0]["field"] == "name"
    code, answer = api.call("POST", "/integrations", owner, {"type": "alertmanager", "name": "a", "team_id": 99})
    assert code == 400 and answer["errors"][0]["field"] == "team_id"
    code, answer = api.call("POST", "/integrations", owner,
                            {"type": "alertmanager", "name": "a", "mapping": {"service": 3}})
    assert code == 400 and answer["errors"][0]["field"] == "mapping.service"
    assert api.call("GET", "/integrations/int_nope", owner)[0] == 404


def test_only_owners_and_admins_change_integrations(api, owner, people):
    member = people["alice"]["key"]
    made = _integration(api, owner)
    iid = made["integration"]["id"]
    assert api.call("POST", "/integrations", member, {"type": "alertmanager", "name": "m"})[0] == 403
    assert api.call("PUT", f"/integrations/{iid}", member, {"name": "renamed"})[0] == 403
    assert api.call("POST", f"/integrations/{iid}/rotate", member, {})[0] == 403
    assert api.call("DELETE", f"/integrations/{iid}", member)[0] == 403
    assert api.ok("GET", f"/integrations/{iid}", member)["integration"]["name"] == "alertmanager prod"  # may see it
    team_only = _integration(api, owner, team_id=people["blue"])["integration"]["id"]
    assert api.call("GET", f"/integrations/{team_only}", member)[0] == 404  # another team's
    assert [i["id"] for i in api.ok("GET", "/integrations", member)["integrations"]] == [iid]
    assert api.call("GET", "/integrations", None)[0] == 401
    admin = people["admin"]["key"]
    renamed = api.ok("PUT", f"/integrations/{iid}", admin, {"name": "renamed", "mapping": {"service": ["app"]}})
    assert renamed["integration"]["name"] == "renamed" and renamed["integration"]["mapping"]["service"] == ["app"]


def test_rotating_stops_the_old_secret_at_once(api, owner):
    made = _integration(api, owner)
    rotated = api.ok("POST", f"/integrations/{made['integration']['id']}/rotate", owner, {})
    assert rotated["secret"] != made["secret"]
    _deliver(api, made, fixture("alertmanager-firing.json"), status=401)
    _deliver(api, rotated, fixture("alertmanager-firing.json"))


def test_a_deleted_integration_takes_nothing(api, owner):
    made = _integration(api, owner)
    api.ok("DELETE", f"/integrations/{made['integration']['id']}", owner, status=204)
    answer = _deliver(api, made, fixture("alertmanager-firing.json"), status=404)
    assert "No integration has this URL" in answer["Message"]


# --- Alertmanager deliveries ------------------------------------------------------------------


def test_an_alertmanager_delivery_becomes_alerts_firings_days_and_events(api, owner):
    made = _integration(api, owner)
    answer = _deliver(api, made, fixture("alertmanager-firing.json"))
    assert answer["received"] == {"alerts": 2, "incidents": 0, "changes": 0} and answer["duplicate"] is False
    assert len(answer["events"]) == 2
    alerts = api.ok("GET", "/alerts?status=firing", owner)["alerts"]
    assert {a["key"] for a in alerts} == {"alertmanager#6760336f7be5bae2", "alertmanager#ad3b3e4fb6b2a5ef"} or \
        len(alerts) == 2
    first = next(a for a in alerts if a["key"] == "alertmanager#6760336f7be5bae2")
    assert first["name"] == "HighErrorRate" and first["service"] == "checkout-api" and first["severity"] == "critical"
    assert first["labels"]["team"] == "payments" and first["last_start"] == "2026-12-06T21:20:27Z"
    assert first["annotations"]["runbook_url"].startswith("https://runbooks.example.com/")
    assert first["generator_url"].startswith("http://prometheus.prod.example.internal:9090/graph")
    events = api.ok("GET", "/events?event=alert.*&since=2026-12-01T00:00:00Z", owner)["events"]
    assert sorted(e["event"] for e in events) == ["alert.firing", "alert.firing"]
    assert events[0]["payload"]["service"] == "checkout-api" and events[0]["resource"]["type"] == "alert"
    integration = api.ok("GET", f"/integrations/{made['integration']['id']}", owner)["integration"]
    assert integration["received"] == 1 and integration["last_received_at"]

    resolved = _deliver(api, made, fixture("alertmanager-resolved.json"))
    assert resolved["received"]["alerts"] == 2
    history = api.ok("GET", "/alerts/alertmanager/6760336f7be5bae2", owner)
    assert history["alert"]["status"] == "resolved"
    assert history["firings"] == [{"start": "2026-12-06T21:20:27Z", "end": "2026-12-06T21:23:35Z",
                                   "acked_by": None, "acked_at": None, "duration_seconds": 188}]
    days = repos.operations.day_page(_account(owner), "2026-12-06", 10, None, lambda d: True)[0]
    day = next(d for d in days if d.key == "alertmanager#6760336f7be5bae2")
    assert (day.fired, day.resolved, day.quick_resolved, day.firing_seconds) == (1, 1, 1, 188)
    assert day.start_minutes == {21 * 60 + 20}


def test_a_redelivery_or_a_repeat_notification_is_stored_once(api, owner):
    made = _integration(api, owner)
    first = _deliver(api, made, fixture("alertmanager-firing.json"))
    again = _deliver(api, made, fixture("alertmanager-firing.json"))  # the same bytes: a retry
    assert again["duplicate"] is True and again["events"] == [] and again["received"]["alerts"] == 0
    repeat = json.loads(fixture("alertmanager-firing.json"))
    repeat["notification_reason"] = "repeat interval elapsed"  # another body, the same firings
    answer = _deliver(api, made, json.dumps(repeat).encode())
    assert answer["duplicate"] is True and answer["received"]["alerts"] == 0 and answer["events"] == []
    assert len(api.ok("GET", "/events?event=alert.*&since=2026-12-01T00:00:00Z", owner)["events"]) == 2
    assert len(first["events"]) == 2
    history = api.ok("GET", "/alerts/alertmanager/6760336f7be5bae2", owner)
    assert len(history["firings"]) == 1


def test_a_wrong_or_missing_token_is_refused_and_counted(api, owner):
    made = _integration(api, owner)
    answer = _deliver(api, made, fixture("alertmanager-firing.json"), token="srein_wrong", status=401)
    assert "not this integration's secret" in answer["Message"]
    path = made["integration"]["url"].removeprefix("http://testserver")
    code, _ = api.call("POST", path, raw=fixture("alertmanager-firing.json"))
    assert code == 401
    integration = api.ok("GET", f"/integrations/{made['integration']['id']}", owner)["integration"]
    assert integration["refused"] == 2 and integration["received"] == 0
    assert integration["errors"][0]["reason"].startswith("refused: Missing credentials")
    assert api.ok("GET", "/alerts", owner)["alerts"] == []


def test_a_malformed_delivery_is_refused_with_its_reason_and_nothing_is_stored(api, owner):
    made = _integration(api, owner)
    body = json.loads(fixture("alertmanager-firing.json"))
    body["alerts"][1]["startsAt"] = "yesterday"  # the second alert is bad: the first is not stored either
    answer = _deliver(api, made, json.dumps(body).encode(), status=400)
    assert answer["errors"][0]["field"] == "alerts[1].startsAt" and "not a time" in answer["Message"]
    answer = _deliver(api, made, b"{not json", status=400)
    assert "not JSON" in answer["Message"]
    assert api.ok("GET", "/alerts", owner)["alerts"] == []
    assert api.ok("GET", "/events?since=2026-01-01T00:00:00Z", owner)["events"] == []
    integration = api.ok("GET", f"/integrations/{made['integration']['id']}", owner)["integration"]
    assert [e["reason"][:10] for e in integration["errors"]] == ["malformed:", "malformed:"]
    assert integration["refused"] == 0


def test_the_service_label_mapping_is_set_per_integration(api, owner):
    made = _integration(api, owner, mapping={"service": ["namespace"]})
    _deliver(api, made, fixture("alertmanager-firing.json"))
    assert {a["service"] for a in api.ok("GET", "/alerts", owner)["alerts"]} == {"prod"}
    body = json.loads(fixture("alertmanager-firing.json"))
    for alert in body["alerts"]:
        del alert["labels"]["service"]
        alert["fingerprint"] = "f" + alert["fingerprint"][1:]
    other = _integration(api, owner)
    _deliver(api, other, json.dumps(body).encode())
    listed = api.ok("GET", "/alerts", owner)["alerts"]
    services = {a["service"] for a in listed if a["key"].startswith("alertmanager#f")}
    assert services == {"checkout-api"}  # no `service` label: `job` by default


def test_ingestion_costs_about_one_dynamodb_request_per_alert(api, owner):
    made = _integration(api, owner)
    body = json.loads(fixture("alertmanager-firing.json"))
    template = body["alerts"][0]
    body["alerts"] = [{**template, "fingerprint": f"{n:016x}", "labels": {**template["labels"], "n": str(n)}}
                      for n in range(50)]
    with CallMeter() as meter:
        answer = _deliver(api, made, json.dumps(body).encode())
    assert answer["received"]["alerts"] == 50
    dynamodb = sum(n for (op, _), n in meter.calls.items() if op not in ("SendMessage", "SendMessageBatch"))
    assert dynamodb <= 2 * 50, meter.calls


# --- events from POST /events, and triggers ---------------------------------------------------


def test_canonical_events_feed_the_same_model(api, owner):
    api.ok("POST", "/events", owner, [
        {"event": "alert.firing", "occurred": "2026-12-05T10:00:00Z", "resource": {"id": "disk-full-db1"},
         "payload": {"name": "DiskFull", "service": "db", "severity": "warning", "labels": {"host": "db1"}}},
        {"event": "incident.triggered", "occurred": "2026-12-05T10:05:00Z", "resource": {"id": "INC-7"},
         "payload": {"title": "Database disk full", "service": "db", "urgency": "high", "who": "monitoring",
                     "assignees": ["Alice"], "alert_keys": ["events#disk-full-db1"]}},
        {"event": "incident.acknowledged", "occurred": "2026-12-05T10:09:00Z", "resource": {"id": "INC-7"},
         "payload": {"title": "Database disk full", "who": "Alice"}},
        {"event": "change.deployed", "occurred": "2026-12-05T09:30:00Z", "resource": {"id": "deploy-42"},
         "payload": {"service": "db", "kind": "config", "who": "bob", "link": "https://ci.example.com/42"}},
    ], status=202)
    alert = api.ok("GET", "/alerts/events/disk-full-db1", owner)["alert"]
    assert alert["name"] == "DiskFull" and alert["service"] == "db" and alert["labels"] == {"host": "db1"}
    timeline = api.ok("GET", "/incidents/events/INC-7", owner)
    assert timeline["incident"]["status"] == "acknowledged" and timeline["incident"]["assignees"] == ["Alice"]
    assert [(e["status"], e["who"]) for e in timeline["timeline"]] == [("triggered", "monitoring"),
                                                                        ("acknowledged", "Alice")]
    assert timeline["metrics"]["time_to_acknowledge_seconds"] == 240
    assert timeline["metrics"]["time_to_detect_seconds"] == 300
    assert [a["key"] for a in timeline["alerts"]] == ["events#disk-full-db1"]
    assert [c["key"] for c in timeline["changes"]] == ["events#deploy-42"]
    changes = api.ok("GET", f"/changes?{WINDOW}", owner)["changes"]
    assert changes[0]["who"] == "bob" and changes[0]["outcome"] == "success"


def test_a_canonical_event_with_bad_fields_is_rejected_alone(api, owner):
    answer = api.ok("POST", "/events", owner, [
        {"event": "alert.firing", "resource": {"id": "a1"}, "payload": {"service": "db", "labels": "db"}},
        {"event": "alert.note", "resource": {"id": "a2"}, "payload": {}},  # not a model event: a plain one
    ], status=202)
    assert answer["rejected"][0]["field"] == "[0].payload.labels" and len(answer["accepted"]) == 1
    assert api.ok("GET", "/alerts", owner)["alerts"] == []


def test_an_incident_event_trigger_starts_the_postmortem_with_the_incident(api, owner):
    body = rule_body(name="post-mortem", template_id="incident-postmortem",
                     triggers=[{"type": "event", "expect": ["incident.triggered"]}])
    rule = api.ok("POST", "/automations", owner, body, status=201)["automation"]
    answer = api.ok("POST", "/events", owner, {
        "event": "incident.triggered", "resource": {"id": "INC-9"},
        "payload": {"title": "Checkout down", "service": "checkout"}}, status=202)
    assert len(answer["runs"]) == 1
    run = repos.runs.get(answer["runs"][0])
    assert run.automation_id == rule["id"] and run.trigger_event["payload"]["title"] == "Checkout down"


def test_an_alert_delivery_fires_event_triggers(api, owner):
    body = rule_body(name="on critical alerts", triggers=[
        {"type": "event", "expect": ["alert.firing"], "match": {"payload.severity": "critical"}}])
    rule = api.ok("POST", "/automations", owner, body, status=201)["automation"]
    made = _integration(api, owner)
    answer = _deliver(api, made, fixture("alertmanager-firing.json"))
    assert len(answer["runs"]) == 2
    assert {repos.runs.get(r).automation_id for r in answer["runs"]} == {rule["id"]}


# --- reads ------------------------------------------------------------------------------------


def test_reads_check_their_arguments(api, owner):
    assert api.call("GET", "/alerts?status=burning", owner)[1]["errors"][0]["field"] == "status"
    assert api.call("GET", "/incidents?since=yesterday", owner)[1]["errors"][0]["field"] == "since"
    code, answer = api.call("GET", "/changes?since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z", owner)
    assert code == 400 and "31 days" in answer["Message"]
    assert api.call("GET", "/alerts?cursor=bogus", owner)[1]["errors"][0]["field"] == "cursor"
    assert api.call("GET", "/alerts/events/nope", owner)[0] == 404
    assert api.call("GET", "/incidents/events/nope", owner)[0] == 404
    assert api.call("GET", "/alerts", None)[0] == 401


def test_account_settings_set_business_hours_and_time_zone(api, owner, people):
    assert api.ok("GET", "/account/settings", owner) == {
        "business_hours": {"days": [1, 2, 3, 4, 5], "start": 9, "end": 18}, "timezone": "UTC"}
    saved = api.ok("PUT", "/account/settings", owner, {"timezone": "Asia/Shanghai",
                                                       "business_hours": {"days": [1, 2, 3, 4, 5, 6], "start": 10,
                                                                          "end": 19}})
    assert saved["timezone"] == "Asia/Shanghai"
    assert api.ok("GET", "/account/settings", owner)["business_hours"]["days"] == [1, 2, 3, 4, 5, 6]
    code, answer = api.call("PUT", "/account/settings", owner, {"timezone": "Mars/Olympus"})
    assert code == 400 and answer["errors"][0]["field"] == "timezone"
    code, answer = api.call("PUT", "/account/settings", owner,
                            {"business_hours": {"days": [1], "start": 18, "end": 9}})
    assert code == 400 and answer["errors"][0]["field"] == "business_hours.start"
    assert api.call("PUT", "/account/settings", people["bob"]["key"], {"timezone": "UTC"})[0] == 403


@pytest.mark.parametrize("path", ["/alerts", "/incidents", "/changes", "/integrations", "/account/settings"])
def test_another_account_sees_none_of_it(api, owner, path):
    from chalicelib.identity import directory
    from tests.conftest import NOW
    made = _integration(api, owner)
    _deliver(api, made, fixture("alertmanager-firing.json"))
    _, other = directory.create_account("Other", "other@example.com", NOW, account_id="acc_other")
    answer = api.ok("GET", path, other)
    assert "alertmanager" not in json.dumps(answer) and made["integration"]["id"] not in json.dumps(answer)


def test_a_canonical_alert_without_a_name_or_start_still_reads_sensibly(api, owner):
    api.ok("POST", "/events", owner, [
        {"event": "alert.firing", "occurred": "2026-12-05T10:00:00Z",
         "resource": {"id": "cpu-web1", "name": "HighCPU"}},
        {"event": "incident.triggered", "occurred": "2026-12-05T10:02:00Z", "resource": {"id": "INC-1"}},
        {"event": "alert.resolved", "occurred": "2026-12-05T10:30:00Z", "resource": {"id": "cpu-web1"}},
    ], status=202)
    history = api.ok("GET", "/alerts/events/cpu-web1", owner)
    assert history["alert"]["name"] == "HighCPU" and history["alert"]["status"] == "resolved"
    assert [(f["start"], f["end"]) for f in history["firings"]] == [("2026-12-05T10:00:00Z", "2026-12-05T10:30:00Z")]
    assert api.ok("GET", "/incidents/events/INC-1", owner)["incident"]["title"] == "INC-1"


def test_keys_are_read_from_percent_encoded_path_parts(api, owner):
    api.ok("POST", "/events", owner, {"event": "alert.firing", "occurred": "2026-12-05T10:00:00Z",
                                      "resource": {"id": "disk full/db1"}, "payload": {"name": "DiskFull"}}, status=202)
    assert api.ok("GET", "/alerts/events/disk%20full%2Fdb1", owner)["alert"]["key"] == "events#disk full/db1"


def test_a_pagerduty_integration_is_not_rotated_here(api, owner):
    made = _integration(api, owner, "pagerduty")
    code, answer = api.call("POST", f"/integrations/{made['integration']['id']}/rotate", owner, {})
    assert code == 409 and "makes its own signing secret" in answer["Message"]
