"""Calls to the endpoints the operator configured: the model server (OpenAI,
Bedrock, a vLLM or Ollama on a runner's network).

Not a user's URL, so the outbound guard does not apply: the operator's model
may well listen on a private or loopback address, as it always could. Like
the guarded client (net/http.py), a `deadline` bounds the whole call
(connect, send, headers, body), so a server that answers a byte at a time
cannot hold a session past it. As requests and botocore (which made these
calls before) do, HTTP(S)_PROXY and NO_PROXY from the environment are
honoured, and TLS is verified against certifi's bundle (or the one
REQUESTS_CA_BUNDLE or AWS_CA_BUNDLE names)."""
import base64
import http.client
import os
import socket
import ssl
import time
import urllib.request
from functools import cache
from urllib.parse import unquote, urlsplit

import certifi

from sre_agent.net.http import DeadlinePassed, HttpResult, Watchdog

MAX_REPLY = 16_000_000  # far above any model reply; a bigger one is refused, never cut short


@cache
def _tls(cafile: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)


def _proxy(scheme: str, host: str) -> tuple[str, int, dict] | None:
    """(host, port, headers) of the proxy the environment names for this URL, or None."""
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    headers = {}
    if parts.username:
        token = base64.b64encode(f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()).decode()
        headers["Proxy-Authorization"] = f"Basic {token}"
    return parts.hostname, parts.port or 80, headers


class _Watched:
    """A connection that hands its TCP socket (to the endpoint or to the proxy)
    to its watchdog as soon as it opens."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.watch = None
        self._create_connection = self._open  # http.client's own seam for opening the socket

    def _open(self, *args, **kwargs):
        sock = socket.create_connection(*args, **kwargs)
        self.watch.watch(sock)
        return sock


class _HTTP(_Watched, http.client.HTTPConnection):
    pass


class _HTTPS(_Watched, http.client.HTTPSConnection):
    pass


def _connection(parts, timeout: float):
    """The connection for a URL (through the proxy when there is one) and the request target."""
    host, scheme = parts.hostname, parts.scheme
    port = parts.port or (443 if scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    proxy = _proxy(scheme, host)
    if scheme == "https":
        cafile = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("AWS_CA_BUNDLE") or certifi.where()
        if proxy is None:
            return _HTTPS(host, port, timeout=timeout, context=_tls(cafile)), target, {}
        conn = _HTTPS(proxy[0], proxy[1], timeout=timeout, context=_tls(cafile))
        conn.set_tunnel(host, port, headers=proxy[2])  # CONNECT, then TLS with the endpoint itself
        return conn, target, {}
    if proxy is None:
        return _HTTP(host, port, timeout=timeout), target, {}
    # a plain-HTTP proxy is asked for the whole URL
    return _HTTP(proxy[0], proxy[1], timeout=timeout), parts.geturl(), proxy[2]


def send(url: str, method: str = "POST", headers: dict | None = None, body: bytes | None = None,
         connect_timeout: float = 10.0, deadline: float = 120.0) -> HttpResult:
    """One request to the operator's endpoint; `deadline` (seconds) bounds the
    whole call, `connect_timeout` the connection. Raises ValueError for a URL
    that is not http(s), DeadlinePassed when the deadline passed, OSError
    (connection, TLS, a reply over MAX_REPLY) or http.client.HTTPException."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL with a host: {url!r}")
    if deadline <= 0:
        raise DeadlinePassed("no time was left for the call")
    conn, target, extra = _connection(parts, min(connect_timeout, deadline))
    start = time.perf_counter()
    watch = conn.watch = Watchdog(conn, deadline)
    try:
        with watch:
            conn.connect()
            conn.sock.settimeout(deadline)  # a reply may take the whole deadline to start: the model is thinking
            conn.request(method, target, body=body, headers={**extra, **(headers or {})})
            resp = conn.getresponse()
            data = resp.read(MAX_REPLY + 1)
        if watch.expired:
            raise DeadlinePassed(f"no complete answer within {deadline:g} s")
        if len(data) > MAX_REPLY:
            raise OSError(f"the reply is larger than {MAX_REPLY} bytes")
        return HttpResult(resp.status, dict(resp.getheaders()), data, round((time.perf_counter() - start) * 1000, 1))
    except (OSError, http.client.HTTPException) as exc:
        if watch.expired and not isinstance(exc, DeadlinePassed):  # the deadline closed the socket under it
            raise DeadlinePassed(f"no complete answer within {deadline:g} s") from exc
        raise
    finally:
        conn.close()
