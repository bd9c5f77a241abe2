"""The reporter of an environment outside the service (a runner, the cloud
sandbox): the session in batches, lease renewals and the outcome go to the
API with the run's lease token, which is good for that one run and only while
the environment holds it. Transient failures (connection errors, 5xx, 429)
are retried with backoff; batches carry their sequence numbers, so a batch
sent twice is written once."""
import json
import logging
import time

import requests

from sre_agent.executor import Cancelled

log = logging.getLogger(__name__)
RETRY_DELAYS = (0.5, 1, 2, 4, 8, 8, 8)  # about half a minute: less than a lease


class LeaseReporter:
    """Reports one run's session and outcome to the API."""

    def __init__(self, api_url: str, run_id: str, lease_token: str, http=None, timeout: float = 30.0):
        self.base = f"{api_url.rstrip('/')}/runs/{run_id}"
        self.http = http or requests.Session()
        self.headers = {"Authorization": f"Bearer {lease_token}", "Content-Type": "application/json"}
        self.timeout, self.requests, self.bytes_sent = timeout, 0, 0

    def _post(self, path: str, body: dict) -> dict:
        data = json.dumps(body, ensure_ascii=True).encode()
        for delay in (*RETRY_DELAYS, None):
            try:
                self.requests += 1
                self.bytes_sent += len(data)
                resp = self.http.post(self.base + path, data=data, headers=self.headers, timeout=self.timeout)
            except requests.RequestException as exc:
                problem = f"cannot reach the API: {exc}"
            else:
                if resp.status_code < 300:
                    return resp.json() if resp.content else {}
                message = _message(resp)
                if resp.status_code in (401, 404, 409):  # the lease is gone: stop working
                    raise Cancelled(message)
                if resp.status_code != 429 and resp.status_code < 500:
                    raise RuntimeError(f"the API refused {path}: HTTP {resp.status_code}: {message}")
                problem = f"HTTP {resp.status_code}: {message}"
            if delay is None:
                raise RuntimeError(f"gave up reporting {path}: {problem}")
            log.warning("%s failed (%s); retrying in %.1f s", path, problem, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")

    def append(self, items: list[dict]) -> None:
        self._post("/session", {"items": items})

    def renew(self) -> None:
        self._post("/lease", {})

    def tool(self, name: str, args: dict) -> dict:
        """A service tool (the operations data), answered for the run's account."""
        return self._post(f"/tools/{name}", {"arguments": args})["output"]

    def finish(self, status: str, reason: str | None) -> dict:
        return self._post("/outcome", {"status": status, "reason": reason})


def _message(resp) -> str:
    try:
        return resp.json().get("Message") or resp.text[:300]
    except ValueError:
        return resp.text[:300]
