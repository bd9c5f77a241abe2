"""The cloud sandbox's worst overrun past its stop: runs worked by the
sandbox function's handler with a small SANDBOX_SECONDS against scripted
model servers that would hold a model call or a wait past the stop.

    .venv/bin/python bench/deadlines.py [--sandbox-seconds 12] [--only NAME]

Each case starts a model server on 127.0.0.1, hands one run's work to
`sandbox.handle` (the code the sandbox Lambda runs), and notes when the
outcome reached the API (the reporter's HTTP calls go to a stand-in that
answers 200 and records the time). Printed per case: the stop the handler
set (its `time_limit`), when the outcome arrived, how far past the stop
that was, whether a deployed function of SANDBOX_SECONDS would have been
killed before it reported, the requests the model server saw, and the
reported status and reason. The last line is the worst overrun.

Cases (the defaults of the agent settings otherwise: AGENT_MODEL_TIMEOUT
120, AGENT_MODEL_RETRIES 3, AGENT_MODEL_RETRY_MAX_SECONDS 60):
- slow: the Chat Completions reply starts after 25 s;
- trickle: the reply comes one byte every 0.5 s (about 25 s);
- retry-after: 429 with `Retry-After: 30`, then an answer;
- bedrock: a Converse endpoint that answers 503 ServiceUnavailable after 6 s.
Nothing leaves loopback; no AWS call is made (Bedrock's endpoint is the
local server, with fake credentials).
"""
import argparse
import json
import os
import sys
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "runtime"))
os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench",
                   "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
                   "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"})
for _name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(_name, None)

ANSWER = json.dumps({"choices": [{"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": "ok"}}]}).encode()
SERVER_CAP = 40.0  # no scripted server holds a request longer than this, whatever the client does


def _scripted(name: str, requests: list):
    """The request handler of one case's model server."""
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            requests.append(time.monotonic())
            try:
                getattr(self, name.replace("-", "_"))()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up: that is what a deadline does

        def _send(self, status, body, headers=()):
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def slow(self):
            time.sleep(25)
            self._send(200, ANSWER)

        def trickle(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(ANSWER)))
            self.end_headers()
            self.wfile.flush()
            ends = time.monotonic() + SERVER_CAP
            for byte in ANSWER:
                if time.monotonic() > ends:
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(25 / len(ANSWER))

        def retry_after(self):
            if len(requests) == 1:
                self._send(429, b'{"error": {"message": "slow down", "type": "requests"}}', [("Retry-After", "30")])
            else:
                self._send(200, ANSWER)

        def bedrock(self):
            time.sleep(6)
            self._send(503, b'{"message": "Bedrock is unavailable"}',
                       [("x-amzn-ErrorType", "ServiceUnavailableException")])

        def log_message(self, *args):
            pass

    return Handler


class _Reply:
    status_code, content = 200, b"{}"

    def json(self):
        return {}


class _Api:
    """The API's lease routes, as the sandbox's reporter calls them: every call
    answers 200; the time of the outcome is noted."""

    def __init__(self):
        self.outcome, self.reported = None, None

    def post(self, url, data=None, headers=None, timeout=None):
        if url.endswith("/outcome"):
            self.outcome, self.reported = json.loads(data), time.monotonic()
        return _Reply()


def run_case(name: str, sandbox_seconds: int) -> dict:
    from chalicelib import settings
    from chalicelib.environments import sandbox

    requests: list = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _scripted(name, requests))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    agent = replace(settings.current().agent, backend="bedrock" if name == "bedrock" else "openai",
                    openai_base_url=f"{url}/v1", openai_api_key_secret="", openai_api_key="")
    os.environ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = url
    work = {"run_id": f"run_bench_{name}", "session_id": "ses_bench", "attempt": 1,
            "automation": {"id": "aut_bench", "name": "bench"}, "prompt": "Check the service.",
            "context": {}, "recent_runs": [], "first_seq": 1, "lease": {"token": "srels_bench", "renew_seconds": 20}}
    stops, execute = [], sandbox.execute

    def noting_the_stop(*args, **kwargs):  # the time limit the handler gives the executor
        stops.append(kwargs.get("time_limit"))
        return execute(*args, **kwargs)

    api = _Api()
    sandbox.execute = noting_the_stop
    try:
        with settings.override(sandbox_seconds=sandbox_seconds, sandbox_api_url="http://api.bench.invalid",
                               agent=agent):
            started = time.monotonic()
            sandbox.handle([{"messageId": "m1", "body": json.dumps(work)}], http=api)
    finally:
        sandbox.execute = execute
        server.shutdown()
        server.server_close()
    reported = (api.reported - started) if api.reported else None
    stop = stops[0] if stops else None
    return {"case": name, "stop": stop, "reported": reported, "limit": sandbox_seconds,
            "overrun": None if reported is None or stop is None else reported - stop,
            "killed": reported is None or reported > sandbox_seconds, "requests": len(requests),
            "status": (api.outcome or {}).get("status"), "reason": (api.outcome or {}).get("reason")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sandbox-seconds", type=int, default=12)
    parser.add_argument("--only", choices=("slow", "trickle", "retry-after", "bedrock"))
    args = parser.parse_args(argv)
    cases = [args.only] if args.only else ["slow", "trickle", "retry-after", "bedrock"]
    print(f"SANDBOX_SECONDS={args.sandbox_seconds}")
    print(f"{'case':<12} {'stop s':>7} {'reported s':>10} {'overrun s':>9}  {'killed':<6} {'model requests':>14}  "
          "status: reason")
    results = []
    for name in cases:
        r = run_case(name, args.sandbox_seconds)
        results.append(r)
        print(f"{r['case']:<12} {r['stop']:>7.1f} {r['reported']:>10.2f} {r['overrun']:>+9.2f}  "
              f"{'yes' if r['killed'] else 'no':<6} {r['requests']:>14}  {r['status']}: {(r['reason'] or '')[:150]}",
              flush=True)
    worst = max(results, key=lambda r: r["overrun"])
    print(f"worst overrun past the stop: {worst['overrun']:+.2f} s ({worst['case']}); "
          f"reported after the function's {args.sandbox_seconds} s limit: "
          f"{sum(r['killed'] for r in results)} of {len(results)} case(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
