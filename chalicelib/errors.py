"""Errors the API answers with. Each carries its HTTP status; Chalice turns
them into `{"Code": <class name>, "Message": <what to fix>}`, the same shape as
its own errors (unknown route, wrong method), so clients see one error shape."""
from chalice import ChaliceViewError


class ApiError(ChaliceViewError):
    STATUS_CODE = 500

    @property
    def message(self) -> str:
        return str(self)


class BadRequest(ApiError):
    STATUS_CODE = 400


class Unauthorized(ApiError):
    STATUS_CODE = 401


class Forbidden(ApiError):
    STATUS_CODE = 403


class NotFound(ApiError):
    STATUS_CODE = 404


class Conflict(ApiError):
    STATUS_CODE = 409


class PayloadTooLarge(ApiError):
    STATUS_CODE = 413


class ServiceUnavailable(ApiError):
    STATUS_CODE = 503
