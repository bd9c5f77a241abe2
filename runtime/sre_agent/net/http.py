"""Guarded outbound HTTP: the URL is checked by `guard.check_url` and the
connection goes to the address that was checked (TLS still verifies the real
host name), so a DNS answer that changes between check and connect cannot
reach an internal address. No redirects are followed; bodies are capped.
A `deadline` bounds the whole exchange (connect, send, headers, body), not
only each socket read, so a server that answers a byte at a time cannot hold
a request open for longer than that."""
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from sre_agent.net import guard
from sre_agent.settings import Outbound

MAX_BODY = 1_000_000


@dataclass
class HttpResult:
    """What came back: status, headers, a capped body, timing, certificate."""
    status: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    elapsed_ms: float = 0.0
    cert_expires: datetime | None = None


def _open(conn) -> socket.socket:
    """The TCP connection to the checked address (not to a new DNS answer)."""
    sock = socket.create_connection((conn._ip, conn.port), conn.timeout)
    if conn.watch is not None:
        conn.watch.watch(sock)
    return sock


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, ip, timeout, context):
        super().__init__(host, port, timeout=timeout, context=context)
        self._ip, self.watch = ip, None

    def connect(self):
        self.sock = self._context.wrap_socket(_open(self), server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, ip, timeout):
        super().__init__(host, port, timeout=timeout)
        self._ip, self.watch = ip, None

    def connect(self):
        self.sock = _open(self)


def retry_after(headers: dict) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), or None."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class DeadlinePassed(TimeoutError):
    """The whole-request deadline passed before the answer was complete."""


class Watchdog:
    """Shuts the connection's socket down when the deadline passes, which ends
    whatever read or write is blocked on it. The TCP socket is kept from the
    moment it opens (`watch(sock)`): http.client lets go of `conn.sock` once
    a response that closes the connection (HTTP/1.0, `Connection: close`)
    has begun, while its body is still being read from that socket."""

    def __init__(self, conn, seconds: float | None):
        self.conn, self.expired, self.sock = conn, False, None
        self.timer = threading.Timer(seconds, self._expire) if seconds else None

    def watch(self, sock: socket.socket) -> None:
        """Keep the connection's TCP socket; DeadlinePassed if the deadline passed while it opened."""
        self.sock = sock
        if self.expired:
            sock.close()
            raise DeadlinePassed("the deadline passed while connecting")

    def _expire(self):
        self.expired = True
        for sock in {id(s): s for s in (self.sock, self.conn.sock) if s is not None}.values():
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        if self.timer:
            self.timer.daemon = True
            self.timer.start()
        return self

    def __exit__(self, *exc):
        if self.timer:
            self.timer.cancel()


def request(url: str, policy: Outbound, method: str = "GET", headers: dict | None = None,
            body: bytes | None = None, timeout: float = 10.0, context: ssl.SSLContext | None = None,
            deadline: float | None = None) -> HttpResult:
    """Send one request through the guard, under `policy`. `timeout` bounds
    each socket operation; `deadline` (seconds) the whole request. Raises
    guard.BlockedAddress, OSError (connection, timeout: DeadlinePassed, a
    TimeoutError, when the deadline passed) or ssl.SSLError."""
    host, port, ip = guard.check_url(url, policy)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        conn = _PinnedHTTPS(host, port, ip, timeout, context or ssl.create_default_context())
    else:
        conn = _PinnedHTTP(host, port, ip, timeout)
    start = time.perf_counter()
    watch = conn.watch = Watchdog(conn, deadline)
    try:
        with watch:
            conn.request(method, path, body=body, headers={"User-Agent": "sre-automations/0.1", **(headers or {})})
            resp = conn.getresponse()
            data = resp.read(MAX_BODY)
        if watch.expired:
            raise DeadlinePassed(f"no complete answer within {deadline:g} s")
        elapsed = (time.perf_counter() - start) * 1000
        cert = None
        if parts.scheme == "https" and conn.sock is not None:
            not_after = (conn.sock.getpeercert() or {}).get("notAfter")
            if not_after:
                cert = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
        return HttpResult(resp.status, dict(resp.getheaders()), data, round(elapsed, 1), cert)
    except (OSError, http.client.HTTPException) as exc:
        if watch.expired:  # the deadline closed the socket under the read or write
            raise DeadlinePassed(f"no complete answer within {deadline:g} s") from exc
        raise
    finally:
        conn.close()
