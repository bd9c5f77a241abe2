"""Structured logs through Powertools' Logger.

One handler on the root logger, so every module's `logging.getLogger(__name__)`
and every library writes through it: JSON in Lambda (one object per line:
timestamp, level, message, function, request_id and the ids in play), or a
readable line for a person on the local stack (`LOG_FORMAT=text`).

Correlation ids live in Powertools' thread-safe keys (a ContextVar), so the
local stack's engine threads never mix one run's ids into another's lines.
"""
import logging
import sys
import time
from contextlib import contextmanager

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from chalicelib import settings
from chalicelib.observability import metrics

SERVICE = "sre-automations"
ORDER = ["timestamp", "level", "message", "function", "request_id"]
IDS = ("account_id", "automation_id", "run_id", "event_id")
# At DEBUG these libraries dump whole AWS requests (a secret's value in
# PutSecretValue, say), and at INFO they say where they found credentials on
# every client: they log warnings and errors only, whatever LOG_LEVEL says.
QUIET = ("botocore", "boto3", "urllib3", "pynamodb", "s3transfer")
TEXT_HIDDEN = ("cold_start", "request_id", "api_request_id", "message_id")  # in every JSON line; noise for a person

_logger: Logger | None = None
_cold = True


class _Stdout(logging.StreamHandler):
    """Writes to whatever sys.stdout is now (the test runner swaps it)."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


class TextFormatter(LambdaPowertoolsFormatter):
    """The local stack's readable line: time, level, logger, message, then the
    ids and fields (the same keys the JSON lines carry)."""

    def format(self, record):
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created))
        fields = {**self.thread_safe_get_current_keys(),
                  **{k: v for k, v in vars(record).items() if k not in _STANDARD}}
        shown = " ".join(f"{k}={v}" for k, v in fields.items() if v not in (None, "") and k not in TEXT_HIDDEN)
        line = f"{when} {record.levelname:<5} {record.name}: {record.getMessage()}" + (f"  [{shown}]" if shown else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "", None, None))) | {"message", "asctime"}


def logger() -> Logger:
    """The Powertools Logger behind every record (made once per process)."""
    global _logger
    if _logger is None:
        level = settings.current().log_level
        handler = _Stdout()
        text = TextFormatter() if settings.current().log_format == "text" else None
        _logger = Logger(service=SERVICE, level=level, logger_handler=handler, logger_formatter=text,
                         use_rfc3339=True, utc=True, log_record_order=ORDER)
        if text is None:
            _logger.append_keys(name="%(name)s")
        own = logging.getLogger(SERVICE)  # also Chalice's app.log, which Lambda would print plainly
        own.handlers, own.propagate = [handler], False
        root = logging.getLogger()
        root.handlers = [handler]
        root.setLevel(level)
        for name in QUIET:
            logging.getLogger(name).setLevel(logging.WARNING)
    return _logger


def bind(**ids) -> None:
    """Add ids (account_id, automation_id, run_id, event_id, …) to every later
    line of this invocation; None values are left out."""
    logger().thread_safe_append_keys(**{k: v for k, v in ids.items() if v is not None})


@contextmanager
def bound(**ids):
    """Ids for the lines inside the block only (one message of a batch)."""
    before = dict(logger().thread_safe_get_current_keys())
    bind(**ids)
    try:
        yield
    finally:
        logger().thread_safe_clear_keys()
        logger().thread_safe_append_keys(**before)


@contextmanager
def invocation(context, **fields):
    """One Lambda invocation: its function and request id on every line; no
    id of the previous invocation left over."""
    global _cold
    log = logger()
    log.thread_safe_clear_keys()
    log.thread_safe_append_keys(function=getattr(context, "function_name", None) or _env_function(),
                                request_id=getattr(context, "aws_request_id", None), cold_start=_cold, **fields)
    _cold = False
    metrics.start_tally()
    try:
        yield
    finally:
        metrics.flush_tally()
        log.thread_safe_clear_keys()


def _env_function():
    import os
    return os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
