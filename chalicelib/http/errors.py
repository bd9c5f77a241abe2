"""The one place the core's errors become HTTP answers.

Every error answer keeps the shape Chalice gives its own errors (`Code`, the
kind, and `Message`, what to fix), so clients see one shape for all, and adds
the members of RFC 9457 problem details: `type`, `title`, `status`, `detail`;
a 400 also lists what is wrong field by field in `errors` ([{"field",
"message"}]), for the console and the `sre` command to show each at its field.
"""
import functools

from chalice import Response

from chalicelib.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooLarge, Unauthorized, Unavailable

# (error, HTTP status, Code as the API has always said it, title)
KINDS = ((Invalid, 400, "BadRequest", "Bad Request"),
         (Unauthorized, 401, "Unauthorized", "Unauthorized"),
         (Forbidden, 403, "Forbidden", "Forbidden"),
         (NotFound, 404, "NotFound", "Not Found"),
         (Conflict, 409, "Conflict", "Conflict"),
         (TooLarge, 413, "PayloadTooLarge", "Payload Too Large"),
         (Unavailable, 503, "ServiceUnavailable", "Service Unavailable"))


def problem(status: int, code: str, title: str, message: str, errors: list[dict] | None = None) -> dict:
    """The body of an error answer."""
    body = {"Code": code, "Message": message, "type": "about:blank", "title": title, "status": status,
            "detail": message}
    if errors is not None:
        body["errors"] = errors
    return body


def answer(exc: DomainError) -> Response:
    """The HTTP answer to a domain error."""
    for kind, status, code, title in KINDS:
        if isinstance(exc, kind):
            errors = exc.errors if isinstance(exc, Invalid) else None
            return Response(problem(status, code, title, str(exc), errors), status_code=status)
    return Response(problem(500, "InternalServerError", "Internal Server Error", str(exc)), status_code=500)


def invalid(message: str, errors: list[dict], **members) -> Response:
    """A 400 built by the edge itself (with members of its own beside the problem's)."""
    return Response({**problem(400, "BadRequest", "Bad Request", message, errors), **members}, status_code=400)


def answering(view):
    """A route's view with the core's errors answered as the API documents them."""
    @functools.wraps(view)
    def answered(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except DomainError as exc:
            return answer(exc)
    return answered
