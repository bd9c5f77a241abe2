"""A small local HTTP server standing in for the outside world (an endpoint to
health-check, a model endpoint) on 127.0.0.1."""
import http.server
import threading
from contextlib import contextmanager


@contextmanager
def serve(answer):
    """Serve `answer(method, path, body) -> status` on a free loopback port;
    yields the base URL."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def _reply(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(answer(self.command, self.path, body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _reply

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
