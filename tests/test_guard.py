"""The internal-address guard on outbound HTTP, and http_check through it
against real local servers."""
from datetime import UTC, datetime

import pytest

from sre_agent.agents import tools
from sre_agent.net import guard
from sre_agent.settings import AgentSettings, Outbound
from tests.servers import serve

LOOPBACK = AgentSettings(outbound=Outbound(allow_loopback=True))


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
                                 "http://10.0.0.5/", "http://192.168.1.1/", "http://172.16.0.1/",
                                 "http://127.0.0.1:9/", "http://localhost/", "http://[::1]/", "http://0.0.0.0/",
                                 "http://[::ffff:169.254.169.254]/", "file:///etc/passwd", "gopher://x/",
                                 "http:///nohost"])
def test_internal_and_odd_urls_are_refused_by_default(url):
    with pytest.raises(guard.BlockedAddress):
        guard.check_url(url, Outbound())


def test_loopback_only_when_allowed_and_metadata_never():
    policy = Outbound(allow_loopback=True)
    assert guard.check_url("http://127.0.0.1:8080/x", policy)[2] == "127.0.0.1"
    with pytest.raises(guard.BlockedAddress):
        guard.check_url("http://169.254.169.254/", policy)
    policy = Outbound(allow_loopback=True, allow_private_networks=True)
    with pytest.raises(guard.BlockedAddress):
        guard.check_url("http://169.254.169.254/", policy)


@pytest.fixture
def servers():
    with serve(lambda method, path, body: 200 if path == "/healthy" else 503) as url:
        yield url


def test_http_check_against_healthy_and_failing_servers(servers):
    now = datetime(2026, 11, 23, tzinfo=UTC)
    healthy = tools.http_check(f"{servers}/healthy", now, LOOPBACK)
    assert healthy["ok"] is True and healthy["status"] == 200 and healthy["latency_ms"] >= 0
    failing = tools.http_check(f"{servers}/broken", now, LOOPBACK)
    assert failing["ok"] is False and failing["status"] == 503
    refused = tools.http_check(f"{servers}/healthy", now, AgentSettings(outbound=Outbound(allow_loopback=False)))
    assert refused["ok"] is False and "internal address" in refused["error"]


def test_http_check_reports_a_closed_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = tools.http_check(f"http://127.0.0.1:{port}/", datetime(2026, 11, 23, tzinfo=UTC), LOOPBACK)
    assert result["ok"] is False and "connection failed" in result["error"]


def test_a_runners_allow_list_opens_only_its_ranges_and_never_link_local():
    from sre_agent.settings import agent_settings
    policy = agent_settings({"ALLOW_LOOPBACK": "false", "ALLOW_PRIVATE_NETWORKS": "false",
                             "ALLOW_NETWORKS": "10.1.0.0/16, 127.0.0.0/8,169.254.0.0/16"}).outbound
    assert guard.check_url("http://10.1.2.3/health", policy)[2] == "10.1.2.3"
    assert guard.check_url("http://127.0.0.1:8080/", policy)[2] == "127.0.0.1"
    for refused in ("http://10.2.0.1/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(guard.BlockedAddress, match="internal address"):
            guard.check_url(refused, policy)


def test_the_runners_default_guard_reaches_private_networks_and_narrows_with_allow_network():
    from sre_client.runner import runner_settings
    wide = runner_settings((), environ={}).outbound
    assert guard.check_url("http://192.168.1.1/", wide)[2] == "192.168.1.1"
    narrow = runner_settings(("10.9.0.0/16",), environ={}).outbound
    assert guard.check_url("http://10.9.0.5/", narrow)[2] == "10.9.0.5"
    with pytest.raises(guard.BlockedAddress):
        guard.check_url("http://192.168.1.1/", narrow)
    with pytest.raises(ValueError):
        runner_settings(("not-a-cidr",), environ={})
