"""The domain's errors: what the core raises when a request cannot be done.
They know nothing of HTTP; one mapper at the edge (chalicelib/http/errors.py)
turns each into the answer the API documents.

    DomainError                 what went wrong, in words a user can act on
    ├── Invalid                 bad input; names the field(s) at fault (400)
    ├── Unauthorized            a missing or wrong credential (401)
    ├── Forbidden               a known caller without the right (403)
    ├── NotFound                nothing there, or nothing the caller may see (404)
    ├── Conflict                the state does not allow it now (409)
    ├── TooLarge                a body or value over its limit (413)
    └── Unavailable             a dependency cannot answer now; try again (503)

A failed conditional write is not one of these: the store raises its own
`chalicelib.store.ConditionFailed`, and the core decides what it means.
"""


class DomainError(Exception):
    """Base of the errors the edge turns into answers; `str()` is the message."""

    @property
    def message(self) -> str:
        return str(self)


class Invalid(DomainError):
    """Bad input. `field` is the path of what is wrong in the request: a body
    field (`triggers[0].hour`), a query or path parameter (`limit`), a header
    (`Idempotency-Key`) or `body` for the body as a whole. `errors` lists one
    {"field", "message"} per problem (one, unless given)."""

    def __init__(self, message: str, *, field: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.field = field
        self.errors = errors or [{"field": field, "message": message}]

    def within(self, prefix: str) -> "Invalid":
        """The same problem, inside `prefix` (an event in a test fire: `event.id`)."""
        def join(field: str) -> str:
            return prefix if field in ("", "body") else f"{prefix}.{field}"
        return Invalid(f"{prefix}: {self}", field=join(self.field),
                       errors=[{"field": join(e["field"]), "message": f"{prefix}: {e['message']}"}
                               for e in self.errors])


class Unauthorized(DomainError):
    """A missing, wrong or revoked credential."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class NotFound(DomainError):
    """Nothing there, or nothing the caller may see (the same answer for both)."""


class Conflict(DomainError):
    """The thing is in a state that does not allow this now."""


class TooLarge(DomainError):
    """A body or value over its size limit."""


class Unavailable(DomainError):
    """A dependency cannot answer now; the same call may work later."""
