"""Counting AWS calls: every API call any botocore client makes (pynamodb's
and ours), by operation and table or queue, through a wrapper around
botocore's `_make_api_call`. Used by bench/worker.py and tests/test_cost.py."""
import contextlib
from collections import Counter

from chalicelib.store import config


class CallMeter:
    """Every AWS API call made while `counting()` is open, by (operation,
    table or queue): a wrapper around botocore's `_make_api_call`, so all
    clients (pynamodb's, SQS) are counted the same way."""

    def __init__(self):
        self.calls = Counter()
        self.active = False

    @staticmethod
    def target(params: dict) -> str:
        """The table(s) or queue a call is about, without the table prefix."""
        prefix = config()["table_prefix"] + "-"
        names = [params["TableName"]] if params.get("TableName") else sorted(params.get("RequestItems") or [])
        if params.get("TransactItems"):
            names = sorted({next(iter(op.values()))["TableName"] for op in params["TransactItems"]})
        if names:
            return "+".join(name.removeprefix(prefix) for name in names)
        return params.get("QueueUrl", "").rsplit("/", 1)[-1]

    def __enter__(self):
        from botocore.client import BaseClient
        self.original, meter = BaseClient._make_api_call, self

        def counted(client, operation, params):
            if meter.active:
                meter.calls[(operation, meter.target(params))] += 1
            return meter.original(client, operation, params)
        BaseClient._make_api_call = counted
        return self

    def __exit__(self, *exc):
        from botocore.client import BaseClient
        BaseClient._make_api_call = self.original

    @contextlib.contextmanager
    def counting(self):
        self.active = True
        try:
            yield
        finally:
            self.active = False

    def total(self) -> int:
        """All the calls counted."""
        return sum(self.calls.values())

    def summary(self, runs: int) -> str:
        """"N (op table xK, ...)" per run."""
        total = self.total() / max(runs, 1)
        parts = [f"{op} {target} x{n / max(runs, 1):g}" for (op, target), n in
                 sorted(self.calls.items(), key=lambda kv: (-kv[1], kv[0]))]
        return f"{total:g} (" + ", ".join(parts) + ")"
