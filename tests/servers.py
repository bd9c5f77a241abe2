"""A small local HTTP server standing in for the outside world (an endpoint to
health-check, a model endpoint, a webhook or notification service) on 127.0.0.1."""
import http.server
import json
import sys
import threading
from contextlib import contextmanager
from dataclasses import replace


def _reply_parts(reply) -> tuple[int, bytes, dict]:
    """`answer` returns a status, or (status, body) or (status, body, headers);
    a body may be bytes, text or a JSON-able object."""
    status, body, headers = (reply, b"", {}) if isinstance(reply, int) else (tuple(reply) + ({},))[:3]
    if not isinstance(body, bytes | str):
        body, headers = json.dumps(body), {"Content-Type": "application/json", **headers}
    return status, body.encode() if isinstance(body, str) else body, headers


@contextmanager
def serve(answer, record: list | None = None, with_headers: bool = False):
    """Serve `answer(method, path, body) -> status | (status, body[, headers])`
    on a free loopback port; yields the base URL. With `record`, each request
    is appended to it as {"method", "path", "headers", "body"}; `with_headers`
    hands `answer` the request's headers too, as a fourth argument (a dict)."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def _reply(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if record is not None:
                record.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                               "body": body})
            asked = (self.command, self.path, body) + ((dict(self.headers),) if with_headers else ())
            status, data, headers = _reply_parts(answer(*asked))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _reply

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that went away (a killed runner)
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def outbound(**changes):
    """The service's settings with the outbound HTTP policy changed for a
    `with` (`allow_loopback=True`: the servers above listen on 127.0.0.1)."""
    from chalicelib import settings
    agent = settings.current().agent
    with settings.override(agent=replace(agent, outbound=replace(agent.outbound, **changes))) as changed:
        yield changed


@contextmanager
def slow(body: bytes, status: int = 200, headers: dict | None = None, first_byte_after: float = 0.0,
         per_byte: float = 0.0, record: list | None = None):
    """A server on 127.0.0.1 whose every answer is `body`, sent late: the
    status line after `first_byte_after` seconds (a model that thinks long),
    then the rest one byte every `per_byte` seconds (a reply that trickles).
    It gives up once the client has gone or the `with` ends. With `record`,
    each request's path is appended to it."""
    done = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if record is not None:
                record.append(self.path)
            if done.wait(first_byte_after):
                return
            try:
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.flush()
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    if done.wait(per_byte):
                        return
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as a deadline makes it

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        done.set()
        server.shutdown()
        server.server_close()
