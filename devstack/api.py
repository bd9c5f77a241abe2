"""`chalice local` with Nagle's algorithm off, and response compression as API
Gateway does it.

chalice local's handler writes headers and body separately; with Nagle on,
every keep-alive response waits ~40 ms for a delayed ACK. Behind API Gateway
this does not exist, so the local stack should not pretend it does.

API Gateway gzips a response of at least `minimum_compression_size` bytes
(.chalice/config.json) when the client accepts gzip; chalice local does not,
so this handler does the same, and what the console transfers on the local
stack is what it transfers when deployed. A client that disconnects
mid-answer (a runner killed during its long poll) is not logged as a server
error.
"""
import gzip
import json
import sys
from pathlib import Path

from chalice.cli import main as chalice_main
from chalice.local import ChaliceRequestHandler, ThreadedHTTPServer

CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"


def minimum_compression_size() -> int | None:
    """The deployment's threshold (None: API Gateway compresses nothing)."""
    return json.loads(CONFIG.read_text()).get("minimum_compression_size")


_send_uncompressed = ChaliceRequestHandler._send_http_response_with_body
_THRESHOLD = minimum_compression_size()


def _send_compressed(self, code, headers, body):
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    accepts = "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
    if _THRESHOLD is not None and accepts and len(raw) >= _THRESHOLD \
            and not any(k.lower() == "content-encoding" for k in headers):
        headers = {**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        raw = gzip.compress(raw, compresslevel=6, mtime=0)
    _send_uncompressed(self, code, headers, raw)


ChaliceRequestHandler.disable_nagle_algorithm = True


def _any_method(self, name):
    """do_<METHOD> for any other method (TRACE, QUERY, ...): the app answers
    405 with an Allow header, as API Gateway refuses a method a route does
    not have, not http.server's HTML 501."""
    if name.startswith("do_"):
        return self._generic_handle
    raise AttributeError(name)


ChaliceRequestHandler.__getattr__ = _any_method
ChaliceRequestHandler._send_http_response_with_body = _send_compressed
_handle_error = ThreadedHTTPServer.handle_error


def _quiet_disconnects(self, request, client_address):
    """A client that went away mid-answer (a runner killed during its long
    poll) is not an error of the server: no traceback in the stack's log."""
    if isinstance(sys.exc_info()[1], ConnectionError):
        return
    _handle_error(self, request, client_address)


ThreadedHTTPServer.handle_error = _quiet_disconnects

if __name__ == "__main__":
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(chalice_main())
