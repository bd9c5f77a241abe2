"""What the service tells its operators: structured logs (one JSON object per
line, with the ids in play) and CloudWatch metrics in Embedded Metric Format.

Modules log with `logging.getLogger(__name__)` and call the small functions of
`metrics` at the places things happen; the Lambda entry points (`app.py`,
through chalicelib/http/access.py) turn every record into JSON and bind each
invocation's function, request id and correlation ids.
"""
from chalicelib.observability.logs import bind, bound, logger

__all__ = ["bind", "bound", "logger"]
