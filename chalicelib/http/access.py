"""Each API request and Lambda invocation through Chalice's middleware: the
invocation's function, request id and the ids in its path on every log line
(chalicelib/observability), and one access line per API request."""
import logging
import time

from chalice.app import Request

from chalicelib.observability import logger, logs

_access = logging.getLogger("chalicelib.http.access")


def install(app) -> None:
    """Structured logs for a Chalice app: every handler's records, and each
    invocation's function, request id and correlation ids."""
    logger()
    app.register_middleware(_middleware, "all")


def _middleware(event, get_response):
    if not isinstance(event, Request):
        with logs.invocation(getattr(event, "context", None)):
            return get_response(event)
    route = event.context.get("resourcePath") or event.path
    ids = {k: v for k, v in (event.uri_params or {}).items() if k.endswith("_id")}
    with logs.invocation(event.lambda_context, method=event.method, route=route,
                         api_request_id=event.context.get("requestId"), **ids):
        started = time.monotonic()
        response = get_response(event)
        ms = int((time.monotonic() - started) * 1000)
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        _access.log(level, "api request", extra={"status": response.status_code, "duration_ms": ms})
        return response
