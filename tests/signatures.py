"""Webhook signature checks taken from the README itself (the Python blocks
after `<!-- verify-signature -->`, which uses the `standardwebhooks` package,
and `<!-- verify-legacy-signature -->`) and run as written, so the snippets
users copy are the ones the tests prove; and a local receiver built on them."""
import re
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from unittest import mock

import standardwebhooks.webhooks

from tests.servers import serve

_README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _snippet(marker: str) -> dict:
    block = re.search(rf"<!-- {marker} -->\s*```python\n(.*?)```", _README, re.S)
    assert block, f"README.md has no verification snippet after <!-- {marker} -->"
    namespace: dict = {}
    exec(compile(block.group(1), f"README.md ({marker})", "exec"), namespace)  # noqa: S102
    return namespace


verify = _snippet("verify-signature")["verify"]  # verify(secret, body, headers) -> bool
verify_legacy = _snippet("verify-legacy-signature")["verify_legacy"]  # (secret, header, body, now) -> bool

_CLOCK = threading.Lock()


@contextmanager
def receiver_clock(now: datetime):
    """The standardwebhooks package judges timestamps against `now` instead
    of the wall clock (its tolerance is 5 minutes; the tests' sends pass their
    own `now` in, as the worker does)."""
    class At(datetime):
        @classmethod
        def now(cls, tz=None):
            return now.astimezone(tz) if tz else now.replace(tzinfo=None)

    with _CLOCK, mock.patch.object(standardwebhooks.webhooks, "datetime", At):
        yield


class Receiver:
    """A webhook receiver on a loopback port: it verifies each request with
    the README's `verify` (the standardwebhooks package) against its secret,
    at its clock `now` (None: the wall clock), and answers 204 when the
    signature holds, 401 when not. `seen` lists every request with "verified".
    The secret may be set after it starts (once the API has shown it)."""

    def __init__(self, secret: str | None = None, now: datetime | None = None):
        self.secret, self.now, self.seen, self.url = secret, now, [], None

    def accepts(self, body: bytes, headers: dict) -> bool:
        """Whether this receiver verifies a request with these headers and body."""
        if self.now is None:
            return verify(self.secret, body, headers)
        with receiver_clock(self.now):
            return verify(self.secret, body, headers)

    def answer(self, method, path, body, headers):
        ok = self.accepts(body, headers)
        self.seen.append({"method": method, "path": path, "headers": headers, "body": body, "verified": ok})
        return 204 if ok else (401, "signature does not verify")

    @contextmanager
    def running(self):
        """Serve until the `with` ends; yields the receiver (its `url` set)."""
        with serve(self.answer, with_headers=True) as url:
            self.url = url
            yield self
