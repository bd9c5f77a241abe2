"""Actions against stand-ins: a local HTTP server for the webhook, Slack,
Teams, Twilio and PagerDuty; moto for SES and Secrets Manager."""
import base64
import json
import socket
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from urllib.parse import parse_qs

import boto3
import pytest

from chalicelib import secrets, settings
from chalicelib.actions import registry
from chalicelib.actions.base import ActionFailed, ActionRetry, retry_delay
from chalicelib.actions.messages import build_context, default_message, default_title
from chalicelib.errors import Invalid
from sre_agent.net.http import retry_after
from tests.servers import outbound, serve
from tests.signatures import Receiver, verify, verify_legacy

pytestmark = pytest.mark.usefixtures("loopback")  # the stand-in services listen on 127.0.0.1

ACCOUNT = "acct_1"
EVENT = {"id": "evt_1", "event": "automation.run.failed", "resource": {"id": "auto_1", "name": "Daily health check"},
         "payload": {"run_id": "run_1", "status": "failed", "reason": "the agent timed out",
                     "link": "http://testserver/runs/run_1"}}
KEY = "run_1:0"
SIGNING = "srews_test-signing-secret"  # a secret of the form made before Standard Webhooks
WHSEC = "whsec_" + base64.b64encode(bytes(range(32))).decode()  # the form made now
TWILIO_SID, TWILIO_SERVICE = "AC" + "0123456789abcdef" * 2, "MG" + "fedcba9876543210" * 2






@pytest.fixture
def received():
    """A stand-in service answering 200; yields (base URL, recorded requests)."""
    record = []
    with serve(lambda method, path, body: (200, {"ok": True}), record) as url:
        yield url, record


def context(**over) -> dict:
    ctx = build_context(ACCOUNT, EVENT, run={"id": "run_1", "status": "failed", "reason": "the agent timed out"},
                        automation={"id": "auto_1", "name": "Daily health check"}, outcome="failed")
    return {**ctx, "_signing_secret": SIGNING, **over}


def configured(item: dict) -> dict:
    return registry.validate_actions([item])[0]


def send(item: dict, ctx: dict | None = None, key: str = KEY):
    config = configured(item)
    return registry.action_for(config["type"]).send(config, ctx or context(), key)


def preview(item: dict, ctx: dict | None = None) -> dict:
    config = configured(item)
    return registry.action_for(config["type"]).preview(config, ctx or context())


# --- webhook -----------------------------------------------------------------------------------------------------

def test_webhook_defaults_send_the_whole_event_signed_with_the_idempotency_key(received):
    url, record = received
    result = send({"type": "webhook", "url": f"{url}/hook?x=1"})
    assert (result.status, result.code) == ("sent", 200)
    [req] = record
    assert (req["method"], req["path"]) == ("POST", "/hook?x=1")
    assert req["headers"]["X-Automation-Event-Id"] == "evt_1" and req["headers"]["Idempotency-Key"] == KEY
    assert req["headers"]["Content-Type"] == "application/json"
    assert json.loads(req["body"]) == EVENT
    # the receiver checks the signature as the README shows, with the automation's secret
    legacy = req["headers"]["X-Automation-Signature"]
    assert verify_legacy(SIGNING, legacy, req["body"], now=time.time())
    assert not verify_legacy("srews_another-secret", legacy, req["body"], time.time())
    assert not verify_legacy(SIGNING, legacy, req["body"] + b" ", time.time())
    assert not verify_legacy(SIGNING, legacy, req["body"], now=time.time() + 3600)
    # and with the standardwebhooks package, as the README shows: an older secret keys with its own bytes
    assert req["headers"]["webhook-id"] == KEY and verify(SIGNING, req["body"], req["headers"])
    assert not verify("srews_another-secret", req["body"], req["headers"])


def _replay(request: dict, **headers) -> int:
    """Send a captured request again as an attacker would, with some headers
    changed; the receiver's HTTP status."""
    sent = {name: value for name, value in request["headers"].items()
            if name.lower() not in ("host", "content-length", "connection", "accept-encoding")}
    sent.update(headers)
    replay = urllib.request.Request(request["url"] + request["path"], data=request["body"], headers=sent,
                                    method=request["method"])
    try:
        with urllib.request.urlopen(replay, timeout=5) as answer:  # noqa: S310 - the loopback receiver
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_receiver_verifies_standard_webhooks_and_refuses_replays():
    with Receiver(WHSEC).running() as receiver:
        result = send({"type": "webhook", "url": f"{receiver.url}/hook"}, context(_signing_secret=WHSEC))
        assert (result.status, result.code) == ("sent", 204)  # the receiver verified it with the package
        [delivered] = receiver.seen
        headers = {name.lower(): value for name, value in delivered["headers"].items()}
        assert delivered["verified"] and headers["webhook-id"] == KEY == headers["idempotency-key"]
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 5
        assert headers["webhook-signature"].startswith("v1,") and " " not in headers["webhook-signature"]
        captured = {**delivered, "url": receiver.url}
        # a replay under a new id no longer verifies: the id is signed
        assert _replay(captured, **{"webhook-id": "run_other:failed:0"}) == 401
        assert _replay(captured, **{"webhook-timestamp": str(int(time.time()) + 1)}) == 401
        assert _replay(captured) == 204  # as sent, within the tolerance (a duplicate by its id)
        # the same request 6 minutes later: outside the package's tolerance of 5
        receiver.now = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC) + timedelta(minutes=6)
        assert _replay(captured) == 401
    assert [seen["verified"] for seen in receiver.seen] == [True, False, False, True, False]
    # a receiver holding another secret refuses the genuine request
    assert not Receiver("whsec_" + base64.b64encode(b"x" * 32).decode()).accepts(delivered["body"],
                                                                                 delivered["headers"])


def test_during_a_rotation_both_secrets_sign_and_the_legacy_header_uses_the_current_one(received):
    url, record = received
    new, old = WHSEC, SIGNING
    at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    send({"type": "webhook", "url": url}, context(_signing_secret=new, _previous_signing_secret=old, _now=at))
    [req] = record
    assert len(req["headers"]["webhook-signature"].split(" ")) == 2  # v1,<new> v1,<old>
    assert req["headers"]["webhook-timestamp"] == str(int(at.timestamp()))
    for secret in (new, old):  # a receiver with either secret verifies
        assert Receiver(secret, now=at).accepts(req["body"], req["headers"])
    assert not Receiver(new, now=at + timedelta(minutes=6)).accepts(req["body"], req["headers"])
    legacy = req["headers"]["X-Automation-Signature"]
    assert verify_legacy(new, legacy, req["body"], at.timestamp()) and \
        not verify_legacy(old, legacy, req["body"], at.timestamp())


def test_a_custom_header_saved_before_its_name_was_reserved_cannot_replace_ours(received):
    url, record = received
    saved_long_ago = {"url": url, "method": "POST", "headers": {"Webhook-Id": "evt_chosen", "WEBHOOK-SIGNATURE": "v1,x",
                                                                "X-Team": "sre"}}
    registry.action_for("webhook").send(saved_long_ago, context(_signing_secret=WHSEC), KEY)
    [req] = record
    assert [name for name in req["headers"] if name.lower() in ("webhook-id", "webhook-signature")] == \
        ["webhook-id", "webhook-signature"]  # ours only, once each
    assert req["headers"]["webhook-id"] == KEY and req["headers"]["X-Team"] == "sre"
    assert verify(WHSEC, req["body"], req["headers"])


def test_a_webhook_is_never_sent_unsigned(received):
    url, record = received
    with pytest.raises(ActionFailed, match="no webhook signing secret"):
        send({"type": "webhook", "url": url}, context(_signing_secret=None))
    assert record == []
    shown = preview({"type": "webhook", "url": url}, context(_signing_secret=None))
    shown_headers = shown["requests"][0]["headers"]
    assert "HMAC-SHA256" in shown_headers["X-Automation-Signature"]
    assert "HMAC-SHA256" in shown_headers["webhook-signature"] and shown_headers["webhook-id"] == "<idempotency key>"


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
    # custom headers add to the defaults: the event id and the signature stay
    assert req["headers"]["X-Automation-Event-Id"] == "evt_1" and req["headers"]["Idempotency-Key"] == KEY
    assert verify_legacy(SIGNING, req["headers"]["X-Automation-Signature"], req["body"], time.time())


def test_webhook_header_values_can_name_secrets(received, aws):
    url, record = received
    secrets.put_secret(ACCOUNT, "api-token", "s3cr3t-T0KEN")
    item = {"type": "webhook", "url": url, "headers": {"Authorization": "Bearer {secret.api-token}",
                                                       "X-Who": "{automation.name} {secret.api-token}"}}
    shown = preview(item)
    assert shown["requests"][0]["headers"]["Authorization"] == "Bearer <secret api-token>"
    assert "s3cr3t" not in json.dumps(shown)
    send(item)
    assert record[0]["headers"]["Authorization"] == "Bearer s3cr3t-T0KEN"
    assert record[0]["headers"]["X-Who"] == "Daily health check s3cr3t-T0KEN"
    with pytest.raises(ActionFailed, match="no secret named 'missing'"):
        send({"type": "webhook", "url": url, "headers": {"Authorization": "{secret.missing}"}})
    with pytest.raises(Invalid, match=r"actions\[0\].payload: secrets can be named in header values only"):
        configured({"type": "webhook", "url": url, "payload": {"token": "{secret.api-token}"}})
    with pytest.raises(Invalid, match=r"actions\[0\].headers.X-A"):
        configured({"type": "webhook", "url": url, "headers": {"X-A": "{secret.a/b}"}})
    for reserved in ("X-Automation-Signature", "X-Automation-Event-Id", "Webhook-Id", "webhook-signature",
                     "webhook-timestamp"):
        with pytest.raises(Invalid, match="is not a header name you can set"):
            configured({"type": "webhook", "url": url, "headers": {reserved: "x"}})


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
    assert 15 <= retry_delay(1, err.value.retry_after) <= 30 and retry_delay(1, 70) == 70


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_other_answers_fail_for_good(status):
    with serve(lambda m, p, b: (status, "nope")) as url:
        with pytest.raises(ActionFailed, match=f"answered HTTP {status}"):
            send({"type": "webhook", "url": url})


def test_timeout_retries():
    with settings.override(action_http_timeout=0.2), serve(lambda m, p, b: time.sleep(1) or 200) as url:
        with pytest.raises(ActionRetry, match="cannot reach 127.0.0.1: (timed out|no complete answer within 0.2 s)"):
            send({"type": "webhook", "url": url})


def test_the_timeout_is_a_total_deadline_not_a_socket_timeout(override):
    """A receiver that sends its answer a byte every 0.3 s never lets a socket
    read time out at 1 s; the whole request still ends at the 1 s deadline."""
    import socketserver
    import threading

    class Drip(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" * 10:
                time.sleep(0.3)
                try:
                    self.request.sendall(bytes([byte]))
                except OSError:
                    return

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    override(action_http_timeout=1.0)
    try:
        start = time.monotonic()
        with pytest.raises(ActionRetry, match="no complete answer within 1 s"):
            send({"type": "webhook", "url": f"http://127.0.0.1:{server.server_address[1]}/"})
        assert time.monotonic() - start < 2.5
    finally:
        server.shutdown()
        server.server_close()


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
    with pytest.raises(Invalid, match=r"actions\[0\].url: 169.254.169.254 .* internal address"):
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


def test_loopback_is_refused_by_default(received):
    url, record = received
    with outbound(allow_loopback=False), pytest.raises(ActionFailed, match=r"internal address \(loopback\); refused"):
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


def test_slack_escapes_what_templates_substitute_but_keeps_the_templates_own_markup(received, aws):
    url, record = received
    secrets.put_secret(ACCOUNT, "slack-ops", f"{url}/hook")
    hostile = context(run={"id": "run_1", "status": "failed", "reason": "<!channel> & <https://evil.example|click>"})
    escaped = "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"
    for template in ("<{link}|Run {run.id}> failed: {run.reason} & more",
                     "<{{ link }}|Run {{ run.id }}> failed: {{ run.reason }} & more"):
        send({"type": "slack", "webhook_url_secret": "slack-ops", "message": template}, hostile)
        text = json.loads(record[-1]["body"])["text"]
        assert text == f"<http://testserver/runs/run_1|Run run_1> failed: {escaped} & more"
    send({"type": "slack", "webhook_url_secret": "slack-ops"},
         context(message="Run <x> of A&B entered state failed"))
    assert json.loads(record[-1]["body"])["text"] == "Run &lt;x&gt; of A&amp;B entered state failed"


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


def test_twilio_sends_one_form_post_per_number_with_basic_auth(received, aws, override):
    url, record = received
    override(twilio_api_base=url)
    secrets.put_secret(ACCOUNT, "twilio-token", "tok_secret")
    result = send({"type": "twilio", "account_sid": TWILIO_SID, "auth_token_secret": "twilio-token",
                   "messaging_service_sid": TWILIO_SERVICE, "phone_numbers": ["+15551230001", "+4930123456"],
                   "message": "Run {run.id} {run.status}"})
    assert result.detail == "sent to 2 of 2" and [d["to"] for d in result.deliveries] == ["+15551230001",
                                                                                          "+4930123456"]
    assert [parse_qs(r["body"].decode())["To"] for r in record] == [["+15551230001"], ["+4930123456"]]
    for req in record:
        assert (req["method"], req["path"]) == ("POST", f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
        assert req["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        assert base64.b64decode(req["headers"]["Authorization"].removeprefix("Basic ")) == \
            f"{TWILIO_SID}:tok_secret".encode()
        form = parse_qs(req["body"].decode())
        assert req["headers"]["Idempotency-Key"] == f"{KEY}:{form['To'][0]}"
        assert (form["MessagingServiceSid"], form["Body"]) == ([TWILIO_SERVICE], ["Run run_1 failed"])
        assert "From" not in form


def test_twilio_a_failing_middle_number_stops_no_other_and_a_retry_skips_the_delivered(aws, override):
    """+15550000002 is refused for good (Twilio's 400 for an invalid number),
    +15550000003 hits a 503 once: the first and the refused one are not sent
    again by the retry, the third is."""
    calls, record = {"+15550000003": 0}, []

    def twilio(method, path, body):
        to = parse_qs(body.decode())["To"][0]
        if to == "+15550000002":
            return 400, {"code": 21211, "message": "The 'To' number +15550000002 is not a valid phone number."}
        if to == "+15550000003":
            calls[to] += 1
            if calls[to] == 1:
                return 503, "busy"
        return 201, {"sid": "SM" + "0" * 32, "status": "queued"}

    with serve(twilio, record) as url:
        override(twilio_api_base=url)
        secrets.put_secret(ACCOUNT, "twilio-token", "tok_secret")
        item = {"type": "twilio", "account_sid": TWILIO_SID, "auth_token_secret": "twilio-token",
                "from_number": "+15557654321", "phone_numbers": ["+15550000001", "+15550000002", "+15550000003"]}
        with pytest.raises(ActionRetry) as first:
            send(item)
        by_number = {d["to"]: d["status"] for d in first.value.deliveries}
        assert by_number == {"+15550000001": "sent", "+15550000002": "failed", "+15550000003": "retrying"}
        assert "not a valid phone number" in str(first.value)
        done = frozenset(n for n, status in by_number.items() if status != "retrying")
        # the retry goes to the third only (the refused second is not tried again)
        second = registry.action_for("twilio").send(configured(item), context(), KEY, skip=done)
    assert [(d["to"], d["status"]) for d in second.deliveries] == [("+15550000003", "sent")]
    sent_to = [parse_qs(r["body"].decode())["To"][0] for r in record]
    assert sent_to == ["+15550000001", "+15550000002", "+15550000003", "+15550000003"]
    assert all(parse_qs(r["body"].decode())["From"] == ["+15557654321"] for r in record)
    assert all("MessagingServiceSid" not in parse_qs(r["body"].decode()) for r in record)


def test_twilio_needs_a_sender():
    base = {"type": "twilio", "account_sid": TWILIO_SID, "auth_token_secret": "t", "phone_numbers": ["+15551230001"]}
    with pytest.raises(Invalid, match="set messaging_service_sid .* or from_number"):
        configured(base)
    with pytest.raises(Invalid, match=r"actions\[0\].from_number must be a Twilio number"):
        configured({**base, "from_number": "not-a-sender!"})
    assert configured({**base, "from_number": "SREbot"})["from_number"] == "SREbot"
    both = configured({**base, "from_number": "+15557654321", "messaging_service_sid": TWILIO_SERVICE})
    assert (both["from_number"], both["messaging_service_sid"]) == ("+15557654321", TWILIO_SERVICE)


def test_pagerduty_trigger_then_resolve_with_one_dedup_key(aws, override):
    record = []
    with serve(lambda m, p, b: (202, {"status": "success", "dedup_key": json.loads(b)["dedup_key"]}), record) as url:
        override(pagerduty_events_url=f"{url}/v2/enqueue")
        secrets.put_secret(ACCOUNT, "pd-routing", "R0UT1NGKEY")
        item = {"type": "pagerduty", "routing_key_secret": "pd-routing", "severity": "critical",
                "on": ["failed", "succeeded"]}
        for run_id in ("run_1", "run_2"):  # two failed runs of one automation: one alert, updated
            assert send(item, context(dedup_key="auto_1", run={"id": run_id, "status": "failed"}),
                        key=f"{run_id}:failed:0").code == 202
        send(item, context(dedup_key="auto_1", outcome="succeeded", run={"id": "run_3", "status": "succeeded"}),
             key="run_3:succeeded:0")
        send({**item, "event_action": "acknowledge"}, context(dedup_key="auto_1"))
        send({**item, "event_action": "trigger"}, context(dedup_key="auto_1", outcome="succeeded"))
        send({**item, "dedup_key": "{automation.id}-{event.resource.id}"}, context())
    first, second, resolve, ack, forced, custom = (json.loads(r["body"]) for r in record)
    assert record[0]["path"] == "/v2/enqueue"
    assert first == {"routing_key": "R0UT1NGKEY", "event_action": "trigger", "dedup_key": "auto_1",
                     "payload": {"summary": default_message(EVENT), "source": "Daily health check",
                                 "severity": "critical", "custom_details": {"id": "run_1", "status": "failed"}},
                     "links": [{"href": "http://testserver/runs/run_1", "text": "Automation run"}],
                     "client": "AI SRE automations", "client_url": "http://testserver/runs/run_1"}
    assert second["dedup_key"] == first["dedup_key"] and second["event_action"] == "trigger"
    # a success resolves the same alert, and carries nothing but what resolve takes
    assert resolve == {"routing_key": "R0UT1NGKEY", "event_action": "resolve", "dedup_key": "auto_1"}
    assert ack == {"routing_key": "R0UT1NGKEY", "event_action": "acknowledge", "dedup_key": "auto_1"}
    assert forced["event_action"] == "trigger"  # only when asked for explicitly
    assert custom["dedup_key"] == "auto_1-auto_1"


def test_pagerduty_sends_only_absolute_links(aws, override):
    record = []
    with serve(lambda m, p, b: 202, record) as url:
        override(pagerduty_events_url=f"{url}/v2/enqueue")
        secrets.put_secret(ACCOUNT, "pd-routing", "R0UT1NGKEY")
        send({"type": "pagerduty", "routing_key_secret": "pd-routing"}, context(link="/runs/run_1"))
    body = json.loads(record[0]["body"])
    assert "links" not in body and "client_url" not in body
    with pytest.raises(Invalid, match=r"actions\[0\].event_action must be one of auto, trigger"):
        configured({"type": "pagerduty", "routing_key_secret": "pd", "event_action": "page"})


# --- email through SES ---------------------------------------------------------------------------------------------

def test_email_through_ses_one_message_per_recipient(aws, override):
    override(email_from="alerts@example.com")
    ses = boto3.client("ses", region_name="us-east-1")
    item = {"type": "email", "to_emails": ["oncall@example.com", "sre@example.org"], "subject": "[{run.status}] {{x}}"}
    with pytest.raises(Invalid, match=r"actions\[0\].subject: bad template"):
        configured({**item, "subject": "{{ x"})
    with pytest.raises(ActionFailed, match="SES refused the email: MessageRejected"):
        send(item)
    ses.verify_email_identity(EmailAddress="alerts@example.com")
    before = ses.get_send_quota()["SentLast24Hours"]
    result = send({**item, "subject": "[{run.status}] {automation.name}"})
    assert result.status == "sent" and result.detail == "sent to 2 of 2"
    assert [d["to"] for d in result.deliveries] == ["oncall@example.com", "sre@example.org"]
    assert ses.get_send_quota()["SentLast24Hours"] == before + 2  # two messages, not one to both
    again = registry.action_for("email").send(configured(item), context(), KEY, skip=frozenset(["sre@example.org"]))
    assert [d["to"] for d in again.deliveries] == ["oncall@example.com"]
    shown = preview({**item, "subject": "[{run.status}] {automation.name}", "body": "Line\n{message}"})
    assert shown["email"] == {"from": "alerts@example.com", "to": ["oncall@example.com", "sre@example.org"],
                              "subject": "[failed] Daily health check", "body": f"Line\n{default_message(EVENT)}"}
    assert preview({"type": "email", "to_emails": ["a@example.com"]})["email"]["subject"] == default_title(EVENT)


def test_email_quota_is_not_retried_as_a_throttle(aws, override):
    """SES answers both limits with Throttling; only the sending rate passes soon."""
    from botocore.stub import Stubber

    from chalicelib import aws as aws_clients
    override(email_from="alerts@example.com")
    ses = aws_clients.client("ses")
    item = {"type": "email", "to_emails": ["oncall@example.com"]}
    with Stubber(ses) as stub:
        stub.add_client_error("send_email", "Throttling", "Daily message quota exceeded.", 400)
        stub.add_client_error("send_email", "Throttling", "Maximum sending rate exceeded.", 400)
        with pytest.raises(ActionFailed, match="daily sending quota exceeded"):
            send(item)
        with pytest.raises(ActionRetry, match="Maximum sending rate exceeded"):
            send(item)


def test_email_needs_the_deployments_sender(aws, override):
    override(email_from="")
    with pytest.raises(ActionFailed, match="no EMAIL_FROM setting"):
        send({"type": "email", "to_emails": ["oncall@example.com"]})


def test_a_prod_lambda_refuses_to_start_without_a_real_sender():
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    for sender in ("", "automations@example.com"):
        env = {**os.environ, "APP_STAGE": "prod", "EMAIL_FROM": sender, "AWS_LAMBDA_FUNCTION_NAME": "worker"}
        done = subprocess.run([sys.executable, "-c", "import app"], cwd=root, env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode != 0 and "EMAIL_FROM is not set to a real sender address" in done.stderr
    env = {**os.environ, "APP_STAGE": "prod", "EMAIL_FROM": "sre-bot@acme.io", "AWS_LAMBDA_FUNCTION_NAME": "worker"}
    assert subprocess.run([sys.executable, "-c", "import app"], cwd=root, env=env, capture_output=True,
                          timeout=60).returncode == 0


# --- previews never read secrets -------------------------------------------------------------------------------------

def test_previews_show_secret_names_never_values(aws, override):
    override(twilio_api_base="https://twilio.test")
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
    assert shown[2]["requests"][0]["body"]["To"] == "+15551230001" and shown[2]["requests"][0]["to"] == "+15551230001"
    assert shown[3]["requests"][0]["body"]["routing_key"] == "<secret pd>"
    boto3.client("secretsmanager").delete_secret(SecretId=f"sre-automations/{ACCOUNT}/slack")
    assert preview(items[0])["requests"][0]["body"] == {"text": default_message(EVENT)}  # no secret read


# --- validation ------------------------------------------------------------------------------------------------------

def test_validation_normalises_defaults():
    assert registry.validate_actions(None) == []
    assert registry.validate_actions([{"type": "webhook", "url": "https://hooks.example.com/x"},
                                      {"type": "pagerduty", "routing_key_secret": "pd", "on": "abandoned"}]) == [
        {"type": "webhook", "on": ["failed"], "retries": 3, "url": "https://hooks.example.com/x", "method": "POST"},
        {"type": "pagerduty", "on": ["abandoned"], "retries": 3, "routing_key_secret": "pd", "severity": "error",
         "event_action": "auto"}]


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
    ([{"type": "webhook", "url": "https://a.example", "headers": {"X-Trace\n": "x"}}], "is not a header name"),
    ([{"type": "webhook", "url": "https://a.example", "headers": {"\u00b6x": "x"}}], "is not a header name"),
    ([{"type": "webhook", "url": "https://a.example", "headers": {"X-A": "{{ x"}}],
     r"actions\[0\].headers.X-A: bad template"),
    ([{"type": "email", "to_emails": []}], r"actions\[0\].to_emails must be a list of 1-50"),
    ([{"type": "email", "to_emails": ["ok@example.com", "not an email"]}], r"actions\[0\].to_emails\[1\] must be"),
    ([{"type": "run_automation"}], r"actions\[0\].automation_id must be the id of an automation"),
    ([{"type": "cancel_run", "run_id": "{{ x"}], r"actions\[0\].run_id: bad template"),
    ([{"type": "pause_automation", "automation_id": "a b"}], r"actions\[0\].automation_id must be the id"),
    ([{"type": "resume_automation", "target": "x"}], r"actions\[0\].target is not a setting of a resume"),
    ([{"type": "twilio", "account_sid": "AC1", "auth_token_secret": "t", "messaging_service_sid": TWILIO_SERVICE,
       "phone_numbers": ["+15551230001"]}], r"actions\[0\].account_sid must be a Twilio account SID"),
    ([{"type": "twilio", "account_sid": TWILIO_SID, "auth_token_secret": "t", "messaging_service_sid": TWILIO_SERVICE,
       "phone_numbers": ["555-1234"]}], r"actions\[0\].phone_numbers\[0\] must be E.164"),
    ([{"type": "pagerduty", "routing_key_secret": "pd", "severity": "fatal"}],
     r"actions\[0\].severity must be one of info, warning, error, critical"),
])
def test_validation_errors_name_the_field(actions, error):
    with pytest.raises(Invalid, match=error):
        registry.validate_actions(actions)


def test_triggered_only_for_event_triggered_automations():
    item = {"type": "slack", "webhook_url_secret": "s", "on": ["triggered", "failed", "failed"]}
    assert registry.validate_actions([item])[0]["on"] == ["triggered", "failed"]
    with pytest.raises(Invalid, match=r"actions\[0\].on .*only for automations with an event trigger"):
        registry.validate_actions([item], allow_triggered=False)


# --- helpers, messages -----------------------------------------------------------------------------------------------

def test_retry_after_forms_and_backoff():
    assert retry_after({"retry-after": "12"}) == 12
    assert 50 <= retry_after({"Retry-After": formatdate(time.time() + 60, usegmt=True)}) <= 60
    assert retry_after({"Retry-After": "soon"}) is None and retry_after({}) is None
    assert [retry_delay(n, rand=lambda: 1.0) for n in (1, 2, 3, 10)] == [30, 60, 120, 900]  # the most
    assert [retry_delay(n, rand=lambda: 0.0) for n in (1, 2, 3, 10)] == [15, 30, 60, 450]  # the least
    assert len({retry_delay(2) for _ in range(50)}) > 5  # jittered: sends that failed together spread out


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


def test_a_host_that_does_not_resolve_fails_unless_dns_says_try_again(monkeypatch):
    import socket as sockets

    def no_answer(errno):
        def resolve(*_args, **_kw):
            raise sockets.gaierror(errno, "DNS says so")
        return resolve
    monkeypatch.setattr(sockets, "getaddrinfo", no_answer(sockets.EAI_NONAME))
    with pytest.raises(ActionFailed, match="cannot send: cannot resolve hooks.example.com"):
        send({"type": "webhook", "url": "https://hooks.example.com/x"})
    monkeypatch.setattr(sockets, "getaddrinfo", no_answer(sockets.EAI_AGAIN))
    with pytest.raises(ActionRetry, match="cannot resolve hooks.example.com"):
        send({"type": "webhook", "url": "https://hooks.example.com/x"})
