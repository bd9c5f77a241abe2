"""Actions against stand-ins: a local HTTP server for the webhook, Slack,
Teams, Twilio and PagerDuty; moto for SES and Secrets Manager."""
import base64
import json
import socket
import time
from email.utils import formatdate
from urllib.parse import parse_qs

import boto3
import pytest

from chalicelib import secrets
from chalicelib.actions import registry
from chalicelib.actions.base import ActionFailed, ActionRetry, retry_delay
from chalicelib.actions.messages import build_context, default_message, default_title
from chalicelib.actions.outbound import retry_after
from chalicelib.errors import BadRequest
from tests.servers import serve

ACCOUNT = "acct_1"
EVENT = {"id": "evt_1", "event": "automation.run.failed", "resource": {"id": "auto_1", "name": "Daily health check"},
         "payload": {"run_id": "run_1", "status": "failed", "reason": "the agent timed out",
                     "link": "http://testserver/runs/run_1"}}
KEY = "run_1:0"
TWILIO_SID, TWILIO_SERVICE = "AC" + "0123456789abcdef" * 2, "MG" + "fedcba9876543210" * 2


@pytest.fixture(autouse=True)
def loopback(monkeypatch):
    """The stand-in services listen on 127.0.0.1, which only the tests allow."""
    monkeypatch.setenv("ALLOW_LOOPBACK", "true")


@pytest.fixture
def received():
    """A stand-in service answering 200; yields (base URL, recorded requests)."""
    record = []
    with serve(lambda method, path, body: (200, {"ok": True}), record) as url:
        yield url, record


def context(**over) -> dict:
    ctx = build_context(ACCOUNT, EVENT, run={"id": "run_1", "status": "failed", "reason": "the agent timed out"},
                        automation={"id": "auto_1", "name": "Daily health check"})
    return {**ctx, **over}


def configured(item: dict) -> dict:
    return registry.validate_actions([item])[0]


def send(item: dict, ctx: dict | None = None, key: str = KEY):
    config = configured(item)
    return registry.action_for(config["type"]).send(config, ctx or context(), key)


def preview(item: dict, ctx: dict | None = None) -> dict:
    config = configured(item)
    return registry.action_for(config["type"]).preview(config, ctx or context())


# --- webhook -----------------------------------------------------------------------------------------------------

def test_webhook_defaults_send_the_whole_event_with_the_idempotency_key(received):
    url, record = received
    result = send({"type": "webhook", "url": f"{url}/hook?x=1"})
    assert (result.status, result.code) == ("sent", 200)
    [req] = record
    assert (req["method"], req["path"]) == ("POST", "/hook?x=1")
    assert req["headers"]["X-Automation-Event-Id"] == KEY and req["headers"]["Idempotency-Key"] == KEY
    assert req["headers"]["Content-Type"] == "application/json"
    assert json.loads(req["body"]) == EVENT


def test_webhook_without_event_sends_the_run(received):
    url, record = received
    send({"type": "webhook", "url": url}, context(event=None))
    assert json.loads(record[0]["body"])["id"] == "run_1"


def test_webhook_templated_payload_and_headers(received):
    url, record = received
    item = {"type": "webhook", "url": url, "method": "PUT",
            "payload": '{"text": "{message}", "run": "{run.id}", "attempts": {run.attempt}}',
            "headers": {"X-Run": "{run.id}", "X-Status": "{{ run.status | upper }}"}}
    send(item, context(message='Run "run_1" failed\nbadly', run={"id": "run_1", "status": "failed", "attempt": 2}))
    [req] = record
    assert req["method"] == "PUT"
    assert json.loads(req["body"]) == {"text": 'Run "run_1" failed\nbadly', "run": "run_1", "attempts": 2}
    assert (req["headers"]["X-Run"], req["headers"]["X-Status"]) == ("run_1", "FAILED")
    assert "X-Automation-Event-Id" not in req["headers"] and req["headers"]["Idempotency-Key"] == KEY


def test_webhook_object_payload_keeps_values_and_templates_keys(received):
    url, record = received
    item = {"type": "webhook", "url": url, "method": "PATCH",
            "payload": {"resource": "{event.resource}", "{run.id}": ["{run.status} at {event.resource.id}", 3]}}
    send(item)
    assert json.loads(record[0]["body"]) == {"resource": EVENT["resource"], "run_1": ["failed at auto_1", 3]}


def test_webhook_jinja_payload(received):
    url, record = received
    send({"type": "webhook", "url": url, "payload": '{"summary": {{ message | tojson }}, "n": {{ 1 + 1 }}}'})
    assert json.loads(record[0]["body"]) == {"summary": context()["message"], "n": 2}


def test_webhook_get_sends_no_body(received):
    url, record = received
    send({"type": "webhook", "url": url, "method": "GET"})
    assert (record[0]["method"], record[0]["body"]) == ("GET", b"")


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_sent(status):
    with serve(lambda m, p, b: status) as url:
        result = send({"type": "webhook", "url": url})
    assert (result.status, result.code) == ("sent", status)


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_transient_answers_retry(status):
    with serve(lambda m, p, b: (status, "busy")) as url:
        with pytest.raises(ActionRetry, match=f"127.0.0.1 answered HTTP {status}: busy") as err:
            send({"type": "webhook", "url": url})
    assert err.value.retry_after is None


def test_429_honours_retry_after():
    with serve(lambda m, p, b: (429, "slow down", {"Retry-After": "7"})) as url:
        with pytest.raises(ActionRetry) as err:
            send({"type": "webhook", "url": url})
    assert err.value.retry_after == 7
    assert retry_delay(1, err.value.retry_after) == 30 and retry_delay(1, 70) == 70


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_other_answers_fail_for_good(status):
    with serve(lambda m, p, b: (status, "nope")) as url:
        with pytest.raises(ActionFailed, match=f"answered HTTP {status}"):
            send({"type": "webhook", "url": url})


def test_timeout_retries(monkeypatch):
    monkeypatch.setenv("ACTION_HTTP_TIMEOUT", "0.2")
    with serve(lambda m, p, b: time.sleep(1) or 200) as url:
        with pytest.raises(ActionRetry, match="cannot reach 127.0.0.1: timed out"):
            send({"type": "webhook", "url": url})


def test_connection_refused_retries():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ActionRetry, match="cannot reach 127.0.0.1"):
        send({"type": "webhook", "url": f"http://127.0.0.1:{port}/"})


def test_metadata_address_is_refused_even_with_loopback_allowed():
    action = registry.action_for("webhook")
    with pytest.raises(ActionFailed, match="refused to send: 169.254.169.254 resolves to 169.254.169.254, an internal"):
        action.send({"url": "http://169.254.169.254/latest/meta-data/", "method": "POST"}, context(), KEY)
    with pytest.raises(BadRequest, match=r"actions\[0\].url: 169.254.169.254 .* internal address"):
        configured({"type": "webhook", "url": "http://169.254.169.254/latest/meta-data/"})


def test_malformed_secret_url_fails_for_good_without_showing_it(aws):
    secrets.put_secret(ACCOUNT, "slack", "http://[::1/hooks/SECRETPART")
    with pytest.raises(ActionFailed) as err:
        send({"type": "slack", "webhook_url_secret": "slack"})
    assert "SECRETPART" not in str(err.value)
    secrets.put_secret(ACCOUNT, "slack", "file:///etc/passwd")
    with pytest.raises(ActionFailed, match="refused to send: only http") as err:
        send({"type": "slack", "webhook_url_secret": "slack"})
    assert "passwd" not in str(err.value)


def test_loopback_is_refused_by_default(monkeypatch, received):
    monkeypatch.setenv("ALLOW_LOOPBACK", "false")
    url, record = received
    with pytest.raises(ActionFailed, match="internal address; refused"):
        registry.action_for("webhook").send({"url": url}, context(), KEY)
    assert record == []


def test_render_failure_at_send_fails_the_action_with_the_template_error(received):
    url, record = received
    with pytest.raises(ActionFailed, match="payload: template error: undefined value: 'str object' has no attr"):
        send({"type": "webhook", "url": url, "payload": '{"s": "{{ run.status.upper() }}"}'})
    with pytest.raises(ActionFailed, match=r"payload: template error: refused: range\(\) of 5000 items"):
        send({"type": "webhook", "url": url, "payload": "[{% for i in range(run.n) %}1,{% endfor %}1]"},
             context(run={"n": 5000}))
    with pytest.raises(ActionFailed, match="payload did not render to JSON"):
        send({"type": "webhook", "url": url, "payload": '{"s": {{ message }}}'})
    with pytest.raises(ActionFailed, match="header X-Run rendered to a value that cannot be sent"):
        send({"type": "webhook", "url": url, "headers": {"X-Run": "{message}"}}, context(message="a\r\nEvil: 1"))
    assert record == []


def test_injection_in_a_message_is_harmless_at_send(received, aws):
    url, record = received
    secrets.put_secret(ACCOUNT, "slack", f"{url}/hook")
    action = registry.action_for("slack")  # unvalidated configs reach send only through a bug; still harmless
    with pytest.raises(ActionFailed, match="message: template error: placeholder {event.__class__} is not allowed"):
        action.send({"webhook_url_secret": "slack", "message": "{event.__class__}"}, context(), KEY)
    with pytest.raises(ActionFailed, match="message: template error: refused: the name '__mro__' is not allowed"):
        action.send({"webhook_url_secret": "slack", "message": "{{ ''.__class__.__mro__ }}"}, context(), KEY)
    assert record == []


# --- Slack, Teams, Twilio, PagerDuty -------------------------------------------------------------------------------

def test_slack_posts_the_default_message_to_the_url_in_the_secret(received, aws):
    url, record = received
    secrets.put_secret(ACCOUNT, "slack-ops", f"{url}/services/T000/B000/XXXX")
    assert send({"type": "slack", "webhook_url_secret": "slack-ops"}).status == "sent"
    [req] = record
    assert (req["method"], req["path"]) == ("POST", "/services/T000/B000/XXXX")
    assert json.loads(req["body"]) == {"text": default_message(EVENT)}
    assert req["headers"]["Idempotency-Key"] == KEY


def test_slack_custom_message_and_missing_secret(received, aws):
    url, record = received
    item = {"type": "slack", "webhook_url_secret": "slack-ops", "message": "{automation.name}: {run.status}"}
    with pytest.raises(ActionFailed, match="no secret named 'slack-ops'"):
        send(item)
    secrets.put_secret(ACCOUNT, "slack-ops", f"{url}/hook")
    send(item)
    assert json.loads(record[0]["body"]) == {"text": "Daily health check: failed"}
    with pytest.raises(ActionFailed, match="names no account"):
        send(item, context(account_id=None))


def test_teams_posts_an_adaptive_card(received, aws):
    url, record = received
    secrets.put_secret(ACCOUNT, "teams-hook", f"{url}/workflows/abc")
    send({"type": "teams", "webhook_url_secret": "teams-hook", "title": "{{ automation.name }} {{ run.status }}"})
    body = json.loads(record[0]["body"])
    assert body["type"] == "message"
    card = body["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert [block["text"] for block in card["content"]["body"]] == ["Daily health check failed", default_message(EVENT)]


def test_twilio_sends_one_form_post_per_number_with_basic_auth(received, aws, monkeypatch):
    url, record = received
    monkeypatch.setenv("TWILIO_API_BASE", url)
    secrets.put_secret(ACCOUNT, "twilio-token", "tok_secret")
    result = send({"type": "twilio", "account_sid": TWILIO_SID, "auth_token_secret": "twilio-token",
                   "messaging_service_sid": TWILIO_SERVICE, "phone_numbers": ["+15551230001", "+4930123456"],
                   "message": "Run {run.id} {run.status}"})
    assert result.detail == "2 requests sent"
    assert [parse_qs(r["body"].decode())["To"] for r in record] == [["+15551230001"], ["+4930123456"]]
    for index, req in enumerate(record):
        assert (req["method"], req["path"]) == ("POST", f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
        assert req["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        assert base64.b64decode(req["headers"]["Authorization"].removeprefix("Basic ")) == \
            f"{TWILIO_SID}:tok_secret".encode()
        assert req["headers"]["Idempotency-Key"] == f"{KEY}:{index}"
        form = parse_qs(req["body"].decode())
        assert (form["MessagingServiceSid"], form["Body"]) == ([TWILIO_SERVICE], ["Run run_1 failed"])


def test_pagerduty_trigger_with_a_stable_dedup_key(aws, monkeypatch):
    record = []
    with serve(lambda m, p, b: (202, {"status": "success"}), record) as url:
        monkeypatch.setenv("PAGERDUTY_EVENTS_URL", f"{url}/v2/enqueue")
        secrets.put_secret(ACCOUNT, "pd-routing", "R0UT1NGKEY")
        item = {"type": "pagerduty", "routing_key_secret": "pd-routing", "severity": "critical"}
        assert send(item, context(dedup_key="auto_1@firing_9")).code == 202
        send(item, key="run_2:0")
    first, second = (json.loads(r["body"]) for r in record)
    assert record[0]["path"] == "/v2/enqueue"
    assert first == {"routing_key": "R0UT1NGKEY", "event_action": "trigger", "dedup_key": "auto_1@firing_9",
                     "payload": {"summary": default_message(EVENT), "source": "Daily health check",
                                 "severity": "critical"},
                     "links": [{"href": "http://testserver/runs/run_1", "text": "Automation run"}]}
    assert second["dedup_key"] == "run_2:0"


# --- email through SES ---------------------------------------------------------------------------------------------

def test_email_through_ses(aws, monkeypatch):
    monkeypatch.setenv("EMAIL_FROM", "alerts@example.com")
    ses = boto3.client("ses", region_name="us-east-1")
    item = {"type": "email", "to_emails": ["oncall@example.com", "sre@example.org"], "subject": "[{run.status}] {{x}}"}
    with pytest.raises(BadRequest, match=r"actions\[0\].subject: bad template"):
        configured({**item, "subject": "{{ x"})
    with pytest.raises(ActionFailed, match="SES refused the email: MessageRejected"):
        send(item)
    ses.verify_email_identity(EmailAddress="alerts@example.com")
    before = ses.get_send_quota()["SentLast24Hours"]
    result = send({**item, "subject": "[{run.status}] {automation.name}"})
    assert result.status == "sent" and result.detail.endswith("sent to 2 recipients")
    assert ses.get_send_quota()["SentLast24Hours"] > before
    shown = preview({**item, "subject": "[{run.status}] {automation.name}", "body": "Line\n{message}"})
    assert shown["email"] == {"from": "alerts@example.com", "to": ["oncall@example.com", "sre@example.org"],
                              "subject": "[failed] Daily health check", "body": f"Line\n{default_message(EVENT)}"}
    assert preview({"type": "email", "to_emails": ["a@example.com"]})["email"]["subject"] == default_title(EVENT)


# --- previews never read secrets -------------------------------------------------------------------------------------

def test_previews_show_secret_names_never_values(aws, monkeypatch):
    monkeypatch.setenv("TWILIO_API_BASE", "https://twilio.test")
    for name in ("slack", "teams", "twilio", "pd"):
        secrets.put_secret(ACCOUNT, name, f"VALUE-OF-{name}")
    items = [{"type": "slack", "webhook_url_secret": "slack"}, {"type": "teams", "webhook_url_secret": "teams"},
             {"type": "twilio", "account_sid": TWILIO_SID, "auth_token_secret": "twilio",
              "messaging_service_sid": TWILIO_SERVICE, "phone_numbers": ["+15551230001"]},
             {"type": "pagerduty", "routing_key_secret": "pd"}]
    shown = [preview(item) for item in items]
    assert "VALUE-OF" not in json.dumps(shown)
    assert shown[0]["requests"][0]["url"] == "<secret slack>"
    assert shown[2]["requests"][0]["auth"] == {"username": TWILIO_SID, "password": "<secret twilio>"}
    assert shown[2]["requests"][0]["body"]["To"] == "+15551230001"
    assert shown[3]["requests"][0]["body"]["routing_key"] == "<secret pd>"
    boto3.client("secretsmanager").delete_secret(SecretId=f"sre-automations/{ACCOUNT}/slack")
    assert preview(items[0])["requests"][0]["body"] == {"text": default_message(EVENT)}  # no secret read


# --- validation ------------------------------------------------------------------------------------------------------

def test_validation_normalises_defaults():
    assert registry.validate_actions(None) == []
    assert registry.validate_actions([{"type": "webhook", "url": "https://hooks.example.com/x"},
                                      {"type": "pagerduty", "routing_key_secret": "pd", "on": "abandoned"}]) == [
        {"type": "webhook", "on": ["failed"], "retries": 3, "url": "https://hooks.example.com/x", "method": "POST"},
        {"type": "pagerduty", "on": ["abandoned"], "retries": 3, "routing_key_secret": "pd", "severity": "error"}]


@pytest.mark.parametrize("actions, error", [
    ("nope", "actions must be a list of at most 20"),
    ([{"type": "webhook", "url": "https://a.example"}] * 21, "at most 20"),
    (["webhook"], r"actions\[0\] must be an object"),
    ([{"type": "fax"}], r"actions\[0\].type must be one of webhook, slack"),
    ([{"type": "slack", "webhook_url_secret": "s"}, {"type": "slack", "webhook_url_secret": "s", "on": []}],
     r"actions\[1\].on must be a non-empty list"),
    ([{"type": "slack", "webhook_url_secret": "s", "on": ["failed", "exploded"]}], r"actions\[0\].on"),
    ([{"type": "slack", "webhook_url_secret": "s", "retries": 11}], r"actions\[0\].retries must be an integer 0-10"),
    ([{"type": "slack"}], r"actions\[0\].webhook_url_secret is required"),
    ([{"type": "slack", "webhook_url_secret": "a/b"}], r"actions\[0\].webhook_url_secret must be a secret name"),
    ([{"type": "slack", "webhook_url_secret": "s", "url": "x"}], r"actions\[0\].url is not a setting of a slack"),
    ([{"type": "slack", "webhook_url_secret": "s", "message": "{{ run.__class__ }}"}],
     r"actions\[0\].message: bad template: refused"),
    ([{"type": "teams", "webhook_url_secret": "s", "title": "{% for %}"}], r"actions\[0\].title: bad template"),
    ([{"type": "webhook"}], r"actions\[0\].url must be an http\(s\) URL"),
    ([{"type": "webhook", "url": "ftp://example.com/"}], r"actions\[0\].url must be an http\(s\) URL"),
    ([{"type": "webhook", "url": "https://a.example", "method": "TRACE"}], r"actions\[0\].method must be one of"),
    ([{"type": "webhook", "url": "https://a.example", "payload": "{not json"}], r"actions\[0\].payload must render"),
    ([{"type": "webhook", "url": "https://a.example", "payload": {"k": "{event.__class__}"}}],
     r"actions\[0\].payload: bad template: placeholder"),
    ([{"type": "webhook", "url": "https://a.example", "method": "GET", "payload": "{}"}], "cannot be sent with GET"),
    ([{"type": "webhook", "url": "https://a.example", "headers": {"Host": "x"}}], "'Host' is not a header name"),
    ([{"type": "webhook", "url": "https://a.example", "headers": {"X-A": "{{ x"}}],
     r"actions\[0\].headers.X-A: bad template"),
    ([{"type": "email", "to_emails": []}], r"actions\[0\].to_emails must be a list of 1-50"),
    ([{"type": "email", "to_emails": ["ok@example.com", "not an email"]}], r"actions\[0\].to_emails\[1\] must be"),
    ([{"type": "twilio", "account_sid": "AC1", "auth_token_secret": "t", "messaging_service_sid": TWILIO_SERVICE,
       "phone_numbers": ["+15551230001"]}], r"actions\[0\].account_sid must be a Twilio account SID"),
    ([{"type": "twilio", "account_sid": TWILIO_SID, "auth_token_secret": "t", "messaging_service_sid": TWILIO_SERVICE,
       "phone_numbers": ["555-1234"]}], r"actions\[0\].phone_numbers\[0\] must be E.164"),
    ([{"type": "pagerduty", "routing_key_secret": "pd", "severity": "fatal"}],
     r"actions\[0\].severity must be one of info, warning, error, critical"),
])
def test_validation_errors_name_the_field(actions, error):
    with pytest.raises(BadRequest, match=error):
        registry.validate_actions(actions)


def test_triggered_only_for_event_triggered_automations():
    item = {"type": "slack", "webhook_url_secret": "s", "on": ["triggered", "failed", "failed"]}
    assert registry.validate_actions([item])[0]["on"] == ["triggered", "failed"]
    with pytest.raises(BadRequest, match=r"actions\[0\].on .*only for automations with an event trigger"):
        registry.validate_actions([item], allow_triggered=False)


# --- helpers, messages -----------------------------------------------------------------------------------------------

def test_retry_after_forms_and_backoff():
    assert retry_after({"retry-after": "12"}) == 12
    assert 50 <= retry_after({"Retry-After": formatdate(time.time() + 60, usegmt=True)}) <= 60
    assert retry_after({"Retry-After": "soon"}) is None and retry_after({}) is None
    assert [retry_delay(n) for n in (1, 2, 3, 10)] == [30, 60, 120, 900]


def test_default_messages():
    assert default_message(EVENT) == ("Run run_1 of automation Daily health check entered state failed: the agent "
                                      "timed out. See http://testserver/runs/run_1 for more details.")
    succeeded = {"event": "automation.run.succeeded", "resource": {"id": "auto_2"}, "payload": {"run_id": "run_9"}}
    assert default_message(succeeded) == "Run run_9 of automation auto_2 entered state succeeded."
    assert default_message({"event": "runner.unhealthy", "resource": {"id": "rnr_1", "name": "eu-runner"},
                            "payload": {"last_seen": "2026-11-23T09:55:00Z"}}) == (
        "Runner eu-runner is unhealthy. It last reported at 2026-11-23T09:55:00Z. "
        "Runs that need it wait until it reports again.")
    assert default_message({"event": "automation.run.late", "resource": {"id": "auto_3", "name": "Nightly backup"},
                            "payload": {"within": 3600}}) == (
        "Automation Nightly backup missed its SLA: the expected run or event did not happen in time "
        "(within 3600 seconds).")
    assert default_message({"event": "deploy.finished", "resource": {"id": "svc-api"}}) == \
        "Event deploy.finished on svc-api"
    assert default_title(EVENT) == "Automation Daily health check: run failed"
