"""The outbound guard: only global addresses unless a policy opens a range.
The address table walks every special range and wrapping through the one
decision (`guard.decide`), then through `check_url`, the agent's `http_check`
and an action's save and send. Nothing here connects outside loopback: the
session's socket guard (tests/loopback_only.py) stops such a connect before
any packet, and the tests below prove that it does."""
import ipaddress
import re
import socket
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.actions import registry
from chalicelib.actions.base import ActionFailed, ActionRetry
from chalicelib.actions.messages import build_context
from chalicelib.errors import Invalid
from devstack.stack import stack_settings
from sre_agent.agents import tools
from sre_agent.net import guard
from sre_agent.settings import AgentSettings, Outbound
from sre_client.runner import runner_settings
from tests import loopback_only
from tests.servers import outbound, serve

LOOPBACK = AgentSettings(outbound=Outbound(allow_loopback=True))
NOW = datetime(2026, 11, 23, tzinfo=UTC)
PORT = 9  # discard: every connect that leaves loopback is stopped before it is made; loopback uses closed_port
POLICIES = {  # the cloud's, a runner's (no --allow-network) and the local stack's, as each builds it
    "cloud": Outbound(),
    "runner": runner_settings((), environ={}).outbound,
    "local": stack_settings({}, {}, "http://127.0.0.1:8000").agent.outbound,
}
A, R = True, False
# address, what it is, then allowed under the cloud's, a runner's and the local stack's policy
TABLE = [
    ("8.8.8.8", "global", A, A, A),
    ("1.1.1.1", "global", A, A, A),
    ("100.63.255.255", "global", A, A, A),  # just below carrier-grade NAT
    ("100.128.0.1", "global", A, A, A),  # just above it
    ("127.0.0.1", "loopback", R, A, A),
    ("127.255.255.254", "loopback", R, A, A),
    ("10.0.0.5", "private network", R, A, R),
    ("172.16.0.1", "private network", R, A, R),
    ("172.31.255.255", "private network", R, A, R),
    ("192.168.1.1", "private network", R, A, R),
    ("169.254.169.254", "link-local cloud metadata", R, R, R),
    ("169.254.1.1", "link-local", R, R, R),
    ("100.64.0.1", "carrier-grade NAT", R, A, R),
    ("100.127.255.254", "carrier-grade NAT", R, A, R),  # the top of the shared address space
    ("100.100.100.200", "cloud metadata", R, R, R),
    ("0.0.0.0", "this network", R, R, R),
    ("0.1.2.3", "this network", R, R, R),
    ("198.18.0.1", "benchmarking", R, R, R),
    ("198.19.255.254", "benchmarking", R, R, R),
    ("192.0.2.1", "documentation", R, R, R),
    ("198.51.100.7", "documentation", R, R, R),
    ("203.0.113.9", "documentation", R, R, R),
    ("192.0.0.8", "IETF protocol assignments", R, R, R),
    ("224.0.0.1", "multicast", R, R, R),
    ("239.255.255.250", "multicast", R, R, R),
    ("240.0.0.1", "reserved", R, R, R),
    ("255.255.255.255", "broadcast", R, R, R),
    ("2606:4700:4700::1111", "global", A, A, A),
    ("::1", "loopback", R, A, A),
    ("::", "unspecified", R, R, R),
    ("fe80::1", "link-local", R, R, R),
    ("fd00:ec2::254", "cloud metadata", R, R, R),
    ("fd12:3456:789a::1", "unique local", R, A, R),
    ("fc00::1", "unique local", R, A, R),
    ("fec0::1", "site-local (deprecated)", R, R, R),
    ("ff02::1", "multicast", R, R, R),
    ("2001:db8::1", "documentation", R, R, R),
    ("3fff::1", "documentation", R, R, R),
    ("2001:2::1", "benchmarking", R, R, R),
    ("100::1", "discard-only", R, R, R),
    ("::7f00:1", "reserved", R, R, R),  # IPv4-compatible (deprecated), not a way to 127.0.0.1
    ("::ffff:10.0.0.1", "an IPv4-mapped address wrapping 10.0.0.1, private network", R, A, R),
    ("::ffff:169.254.169.254", "an IPv4-mapped address wrapping 169.254.169.254, link-local cloud metadata",
     R, R, R),
    ("::ffff:127.0.0.1", "an IPv4-mapped address wrapping 127.0.0.1, loopback", R, A, A),
    ("::ffff:8.8.8.8", "an IPv4-mapped address wrapping 8.8.8.8", A, A, A),
    ("2002:a9fe:a9fe::1", "a 6to4 address wrapping 169.254.169.254, link-local cloud metadata", R, R, R),
    ("2002:808:808::1", "a 6to4 address wrapping 8.8.8.8", R, R, R),  # 6to4 itself is not global
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "a Teredo address wrapping 10.0.0.1, private network", R, R, R),
    ("64:ff9b::a9fe:a9fe", "a NAT64 address wrapping 169.254.169.254, link-local cloud metadata", R, R, R),
    ("64:ff9b::a00:1", "a NAT64 address wrapping 10.0.0.1, private network", R, A, R),
    ("64:ff9b::808:808", "a NAT64 address wrapping 8.8.8.8", A, A, A),
    ("64:ff9b:1::a9fe:a9fe", "a local-use NAT64 address wrapping 169.254.169.254, link-local cloud metadata",
     R, R, R),
    ("64:ff9b:1::808:808", "a local-use NAT64 address wrapping 8.8.8.8", R, R, R),
]
CASES = [pytest.param(address, what, policy, allowed, id=f"{address}-{policy}")
         for address, what, *verdicts in TABLE for policy, allowed in zip(POLICIES, verdicts, strict=True)]


def _url(address: str, port: int = 80) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}/health"


def _stop_expected(address: str, allowed: bool) -> list[str]:
    """The connects the session's socket guard stops: an allowed address
    outside loopback gets as far as the connect, and no further."""
    ip = ipaddress.ip_address(address)
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return [f"{_shown(address)}:{PORT}"] if allowed and not ip.is_loopback else []


def _shown(address: str) -> str:
    """An address as Python writes it (before 3.13, ::ffff:10.0.0.1 is ::ffff:a00:1)."""
    return str(ipaddress.ip_address(address))


@pytest.fixture(scope="module")
def closed_port():
    """A loopback port nobody listens on (an allowed loopback address is refused there)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_table_covers_every_special_range_and_wrapping():
    names = {what.split(",")[-1].strip() for _, what, *_ in TABLE}
    wrappings = {what.split(" wrapping ")[0] for _, what, *_ in TABLE if " wrapping " in what}
    assert len(TABLE) >= 30 and {"loopback", "private network", "link-local", "link-local cloud metadata",
                                 "cloud metadata", "carrier-grade NAT", "this network", "benchmarking",
                                 "documentation", "multicast", "reserved", "broadcast", "unique local",
                                 "site-local (deprecated)", "unspecified"} <= names
    assert wrappings == {"an IPv4-mapped address", "a 6to4 address", "a Teredo address", "a NAT64 address",
                         "a local-use NAT64 address"}


@pytest.mark.parametrize(("address", "what", "policy", "allowed"), CASES)
def test_the_address_table_through_the_decision_and_check_url(address, what, policy, allowed):
    decision = guard.decide(address, POLICIES[policy])
    assert (decision.allowed, decision.what) == (allowed, what)
    if allowed:
        assert guard.check_url(_url(address), POLICIES[policy])[2] == _shown(address)
    else:
        with pytest.raises(guard.BlockedAddress) as refused:
            guard.check_url(_url(address), POLICIES[policy])
        assert str(refused.value) == f"{address} resolves to {_shown(address)}, an internal address ({what}); refused"


@pytest.mark.parametrize(("address", "what", "policy", "allowed"), CASES)
def test_http_check_reaches_the_same_decision(address, what, policy, allowed, closed_port):
    is_loopback = "loopback" in what
    url = _url(address, closed_port if is_loopback else PORT)
    with loopback_only.expected() as stopped:
        result = tools.http_check(url, NOW, AgentSettings(outbound=POLICIES[policy], http_timeout=2))
    assert result["ok"] is False
    if allowed:  # it went as far as the connect: loopback's is refused by the closed port, others by the test guard
        assert result["error"].startswith("connection failed"), result
    else:
        assert result["error"] == f"{address} resolves to {_shown(address)}, an internal address ({what}); refused"
    assert stopped == _stop_expected(address, allowed)


@pytest.mark.parametrize(("address", "what", "policy", "allowed"), CASES)
def test_an_actions_save_and_send_reach_the_same_decision(address, what, policy, allowed, closed_port):
    is_loopback = "loopback" in what
    url = _url(address, closed_port if is_loopback else PORT)
    policy = POLICIES[policy]
    ctx = {**build_context("acct_1", {"id": "evt_1", "event": "automation.run.failed", "payload": {}}),
           "_signing_secret": "srews_test-signing-secret"}
    with outbound(allow_loopback=policy.allow_loopback, allow_private_networks=policy.allow_private_networks,
                  allow_networks=policy.allow_networks), loopback_only.expected() as stopped:
        if allowed:
            [config] = registry.validate_actions([{"type": "webhook", "url": url}])
            # the connect failed (the test guard or the closed port): a retry may reach it
            with pytest.raises(ActionRetry, match=re.escape(f"cannot reach {address}")):
                registry.action_for("webhook").send(config, ctx, "run_1:0")
        else:
            with pytest.raises(Invalid, match="internal address") as at_save:
                registry.validate_actions([{"type": "webhook", "url": url}])
            assert at_save.value.errors[0]["field"] == "actions[0].url"
            with pytest.raises(ActionFailed) as at_send:  # a URL saved when the policy was wider
                registry.action_for("webhook").send({"url": url, "method": "POST"}, ctx, "run_1:0")
            assert str(at_send.value) == \
                f"refused to send: {address} resolves to {_shown(address)}, an internal address ({what}); refused"
    assert stopped == _stop_expected(address, allowed)


def test_a_runners_allow_list_opens_wrapped_addresses_only_when_the_address_inside_is_allowed_too():
    narrow = runner_settings(("10.1.0.0/16", "2002::/16", "169.254.0.0/16"), environ={}).outbound
    allowed = ["10.1.2.3", "::ffff:10.1.2.3", "64:ff9b::a01:203", "2002:a01:203::1", "2002:808:808::1"]
    refused = ["10.2.0.1", "::ffff:10.2.0.1", "64:ff9b::a02:1", "2002:a02:1::1", "2002:a9fe:a9fe::1",
               "169.254.169.254", "::ffff:169.254.169.254", "127.0.0.1", "100.64.0.1",
               "2001:0:4136:e378:8000:63bf:f5fe:fdfc"]  # Teredo of 10.1.2.3: Teredo itself is not on the list
    assert [a for a in allowed + refused if guard.decide(a, narrow).allowed] == allowed


def test_a_refusal_names_the_range_in_words():
    with pytest.raises(guard.BlockedAddress) as refused:
        guard.check_url("http://100.64.0.1/", Outbound())
    assert str(refused.value) == "100.64.0.1 resolves to 100.64.0.1, an internal address (carrier-grade NAT); refused"
    with pytest.raises(guard.BlockedAddress) as refused:
        guard.check_url("https://[2002:a9fe:a9fe::1]/latest/meta-data/", Outbound(allow_networks=(
            ipaddress.ip_network("2002::/16"),)))
    assert "(a 6to4 address wrapping 169.254.169.254, link-local cloud metadata)" in str(refused.value)


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


# --- the session's socket guard: no test sends a packet outside loopback ----------------------------------------

def test_the_socket_guard_stops_a_connect_outside_loopback_before_any_packet():
    with loopback_only.expected() as stopped:
        with socket.socket() as sock:
            with pytest.raises(loopback_only.LeftLoopback, match="no packet sent"):
                sock.connect(("192.0.2.1", 80))
            assert sock.getsockname() == ("0.0.0.0", 0)  # no local port: the kernel never saw a connect
            with pytest.raises(loopback_only.LeftLoopback):
                sock.connect_ex(("192.0.2.1", 443))
        with pytest.raises(loopback_only.LeftLoopback):
            socket.create_connection(("192.0.2.1", 80), timeout=5)
        with socket.socket(socket.AF_INET6) as sock, pytest.raises(loopback_only.LeftLoopback):
            sock.connect(("::ffff:192.0.2.1", 80, 0, 0))
        with socket.socket() as sock, pytest.raises(loopback_only.LeftLoopback):
            sock.connect(("example.com", 80))  # a name is not looked up in DNS: that would be a packet too
        with pytest.raises(socket.gaierror) as no_dns:
            socket.getaddrinfo("example.com", 443)
    assert no_dns.value.errno == socket.EAI_NONAME  # as on a machine without DNS, wherever the tests run
    assert stopped == ["192.0.2.1:80", "192.0.2.1:443", "192.0.2.1:80", "::ffff:192.0.2.1:80", "example.com:80"]


def test_the_socket_guard_leaves_loopback_and_unix_sockets_alone(tmp_path):
    with serve(lambda *_: 200) as url:
        assert tools.http_check(f"{url}/", NOW, LOOPBACK)["status"] == 200
    with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as client:
        server.bind(str(tmp_path / "s"))
        server.listen()
        client.connect(str(tmp_path / "s"))


def test_the_socket_guard_stops_what_a_wrong_guard_lets_through(monkeypatch):
    monkeypatch.setattr(guard, "decide", lambda ip, policy: guard.Decision(True, "global", "global"))
    with loopback_only.expected() as stopped:
        result = tools.http_check("http://169.254.169.254/latest/meta-data/", NOW, AgentSettings())
    assert result["ok"] is False and result["error"].startswith("connection failed")  # the error is swallowed...
    assert stopped == ["169.254.169.254:80"]  # ...but recorded: the test session fails such a test


def test_a_test_that_swallows_the_stopped_connect_still_fails(tmp_path):
    (tmp_path / "conftest.py").write_text("from tests.conftest import _loopback_only, _no_connect_left_loopback  "
                                          "# noqa: F401\n")
    (tmp_path / "test_swallows.py").write_text(textwrap.dedent("""
        import socket

        def test_reaches_out():
            try:
                socket.create_connection(("192.0.2.1", 80), timeout=5)
            except OSError:
                pass  # the code under test hides the failure
    """))
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", tmp_path,
                           tmp_path / "test_swallows.py"], capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the test tried to connect outside loopback: 192.0.2.1:80" in done.stdout
    assert "1 passed, 1 error" in done.stdout


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
