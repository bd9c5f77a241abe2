"""Guarded outbound HTTP: the URL is checked by `guard.check_url` and the
connection goes to the address that was checked (TLS still verifies the real
host name), so a DNS answer that changes between check and connect cannot
reach an internal address. No redirects are followed; bodies are capped."""
import http.client
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from chalicelib.net import guard

MAX_BODY = 1_000_000


@dataclass
class HttpResult:
    """What came back: status, headers, a capped body, timing, certificate."""
    status: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    elapsed_ms: float = 0.0
    cert_expires: datetime | None = None


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, ip, timeout, context):
        super().__init__(host, port, timeout=timeout, context=context)
        self._ip = ip

    def connect(self):
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, ip, timeout):
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self):
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


def request(url: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None,
            timeout: float = 10.0, context: ssl.SSLContext | None = None) -> HttpResult:
    """Send one request through the guard. Raises guard.BlockedAddress, OSError
    (connection, timeout) or ssl.SSLError."""
    host, port, ip = guard.check_url(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        conn = _PinnedHTTPS(host, port, ip, timeout, context or ssl.create_default_context())
    else:
        conn = _PinnedHTTP(host, port, ip, timeout)
    start = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers={"User-Agent": "sre-automations/0.1", **(headers or {})})
        resp = conn.getresponse()
        data = resp.read(MAX_BODY)
        elapsed = (time.perf_counter() - start) * 1000
        cert = None
        if parts.scheme == "https" and conn.sock is not None:
            not_after = (conn.sock.getpeercert() or {}).get("notAfter")
            if not_after:
                cert = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
        return HttpResult(resp.status, dict(resp.getheaders()), data, round(elapsed, 1), cert)
    finally:
        conn.close()
