"""Test harness: real boto3/pynamodb calls against moto's in-memory AWS, and
the real Chalice app through chalice.test.Client."""
import json
import os

# Before anything imports boto3/pynamodb: fake credentials, no real endpoint.
os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                   "TABLE_PREFIX": "sre-automations-test", "PUBLIC_BASE_URL": "http://testserver",
                   "CLOUD_SANDBOX": "inline"})  # the sandbox's session worked in-process (see environments/sandbox.py)
for _name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(_name, None)

from contextlib import ExitStack  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import pytest  # noqa: E402
from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import aws as aws_clients  # noqa: E402
from chalicelib import settings  # noqa: E402
from chalicelib import store as repositories  # noqa: E402
from chalicelib.identity import directory  # noqa: E402
from chalicelib.store import tables  # noqa: E402
from tests import loopback_only  # noqa: E402

TEST_SETTINGS = settings.load()  # the environment above, read once, as a function would


def sqs():
    """The SQS client of the tests' moto."""
    return aws_clients.client("sqs")

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def _loopback_only():
    """No test sends a packet outside loopback, even when the outbound guard
    under test is wrong: the socket layer stops such connects (see
    tests/loopback_only.py)."""
    yield loopback_only.install()
    loopback_only.uninstall()


@pytest.fixture(autouse=True)
def _no_connect_left_loopback(_loopback_only):
    """A test that tried to connect outside loopback fails, even if the code
    under test swallowed the error (a test of the guard itself takes its
    attempts with `loopback_only.expected()`)."""
    mark = len(_loopback_only)
    yield
    stray = _loopback_only[mark:]
    if stray:
        del _loopback_only[mark:]
        pytest.fail(f"the test tried to connect outside loopback: {', '.join(stray)}", pytrace=False)


@pytest.fixture(scope="session")
def _moto():
    from devstack.atomic import serialise_dynamodb_writes
    serialise_dynamodb_writes()  # conditional writes race as on DynamoDB (moto checks and writes unlocked)
    with mock_aws() as mock:
        yield mock


@pytest.fixture(scope="session")
def _resources(_moto):
    tables.ensure_tables()
    return tables.ensure_queues()


@pytest.fixture
def aws(_resources):
    """Empty tables and queues for each test (created once, emptied between
    tests: much cheaper than recreating them), and the settings of the
    tests, with the new queues' URLs (restored after the test)."""
    repositories.use(repositories.dynamo_repositories())
    tables.empty_tables()
    secrets_client = aws_clients.client("secretsmanager")
    for page in secrets_client.get_paginator("list_secrets").paginate(IncludePlannedDeletion=True):
        for secret in page["SecretList"]:
            secrets_client.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True)
    for url in _resources.values():
        sqs().delete_queue(QueueUrl=url)  # PurgeQueue is limited to once a minute
    queues = tables.ensure_queues()
    settings.install(replace(TEST_SETTINGS, runs_queue_url=queues["runs"], fanout_queue_url=queues["fanout"],
                             runs_dlq_url=queues["runs_dlq"], sandbox_queue_url=queues["sandbox"]))
    _resources.update(queues)
    yield queues
    settings.install(TEST_SETTINGS)


class Api:
    """The app over chalice's test client, speaking JSON with an API key."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, key=None, body=None, headers=None, raw=None):
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if key:
            hdrs["Authorization"] = f"Bearer {key}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        resp = self.client.http.request(method, path, headers=hdrs, body=payload or b"")
        text = resp.body.decode() if resp.body else ""
        return resp.status_code, (json.loads(text) if text else None)

    def ok(self, method, path, key, body=None, status=200, **kw):
        """Call and assert the status; return the JSON answer."""
        code, data = self.call(method, path, key, body, **kw)
        assert code == status, (code, data)
        return data


@pytest.fixture
def api(aws):
    from app import app
    with Client(app, stage_name="local") as client:
        yield Api(client)


@pytest.fixture
def owner(aws):
    """The account owner's API key, as bootstrapped on first start."""
    _, key = directory.create_account("Test account", "owner@example.com", NOW)
    return key


@pytest.fixture
def people(api, owner):
    """An account with an admin, two teams and members of each."""
    def user(email, role="member"):
        data = api.ok("POST", "/users", owner, {"email": email, "role": role}, status=201)
        return {"id": data["user"]["id"], "key": data["api_key"]}
    admin, alice, bob, carol = user("admin@example.com", "admin"), user("alice@example.com"), \
        user("bob@example.com"), user("carol@example.com")
    red = api.ok("POST", "/teams", owner, {"name": "red"}, status=201)["team"]["id"]
    blue = api.ok("POST", "/teams", owner, {"name": "blue"}, status=201)["team"]["id"]
    api.ok("PUT", f"/teams/{red}/members/{alice['id']}", owner)
    api.ok("PUT", f"/teams/{red}/members/{bob['id']}", owner)
    api.ok("PUT", f"/teams/{blue}/members/{carol['id']}", owner)
    return {"owner": {"key": owner}, "admin": admin, "alice": alice, "bob": bob, "carol": carol,
            "red": red, "blue": blue}


def receive_all(url: str) -> list[dict]:
    """Every message now visible in a queue, deleted as it is read (bounded)."""
    client, out = sqs(), []
    for _ in range(10_000):
        got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return out
        client.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
        out += got
    raise AssertionError(f"{url} did not drain")


def rule_body(**over):
    """A valid automation body with a schedule and an api trigger."""
    body = {"name": "Daily health check", "team_id": 0, "task_prompt": "Check https://example.com and report.",
            "triggers": [{"type": "schedule", "mode": "daily", "hour": 9, "timezone": "Europe/Berlin"},
                         {"type": "api"}]}
    body.update(over)
    return body


def work_queue(queue_url: str, clock=lambda: NOW, rounds: int = 20) -> list[dict]:
    """Work the runs queue as the worker Lambda does, until it is empty (or
    `rounds` batches): returns the message bodies handled."""
    from chalicelib import worker
    client, handled = sqs(), []
    for _ in range(rounds):
        got = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
                   for m in got]
        failed = {f["itemIdentifier"] for f in worker.handle_batch(records, clock=clock)["batchItemFailures"]}
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)
                if m["MessageId"] not in failed]
        if done:
            client.delete_message_batch(QueueUrl=queue_url, Entries=done)
        handled += [json.loads(m["Body"]) for m in got]
    return handled


@pytest.fixture
def transport(api):
    from devstack.transport import ChaliceTransport
    return ChaliceTransport(api.client)


@pytest.fixture
def override(request):
    """`override(name=value)` changes the settings for the rest of the test
    (on top of the tests' own, which the `aws` fixture installs first)."""
    if "aws" in request.fixturenames:
        request.getfixturevalue("aws")
    with ExitStack() as changes:
        yield lambda **values: changes.enter_context(settings.override(**values))


@pytest.fixture
def loopback(request):
    """Outbound HTTP may reach 127.0.0.1 for the test: the stand-in services listen there."""
    from tests.servers import outbound
    if "aws" in request.fixturenames:
        request.getfixturevalue("aws")  # it installs the tests' settings: the change goes on top of them
    with outbound(allow_loopback=True):
        yield
