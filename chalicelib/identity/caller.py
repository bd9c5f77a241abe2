"""Who is calling: resolved from the API key on every authenticated route."""
from dataclasses import dataclass, field

from chalicelib.errors import Unauthorized
from chalicelib.identity import tokens
from chalicelib.observability import bind
from chalicelib.store import repos

_BAD_KEY = "Missing or invalid API key: send 'Authorization: Bearer <api key>'."


@dataclass
class Caller:
    """The authenticated user of a request."""
    user_id: str
    account_id: str
    role: str
    email: str
    key_id: str | None = None  # the API key this request came with
    _team_ids: frozenset | None = field(default=None, repr=False)

    @property
    def is_admin(self) -> bool:
        """Owner and admins manage everything in the account."""
        return self.role in ("owner", "admin")

    @property
    def team_ids(self) -> frozenset:
        """The teams this user belongs to (read once per request)."""
        if self._team_ids is None:
            self._team_ids = team_ids_of(self.user_id)
        return self._team_ids


def team_ids_of(user_id: str) -> frozenset:
    """The ids of the teams a user belongs to."""
    return repos.accounts.team_ids_of(user_id)


def as_user(user_id: str) -> Caller | None:
    """The Caller a user would be now (for acting with the rights of the user
    who saved an action), or None when the user no longer exists."""
    user = repos.accounts.user(user_id)
    if user is None:
        return None
    return Caller(user_id=user.id, account_id=user.account_id, role=user.role, email=user.email)


def authenticate(headers) -> Caller:
    """Resolve the caller from `Authorization: Bearer <api key>`, or 401."""
    token = tokens.bearer(headers)
    key_id = tokens.api_key_id(token) if token else None
    key = repos.accounts.key(key_id) if key_id else None
    if key is None or not tokens.matches(token, key.key_hash):
        raise Unauthorized(_BAD_KEY)
    user = repos.accounts.user(key.user_id)
    if user is None:
        raise Unauthorized(_BAD_KEY)
    bind(account_id=user.account_id, user_id=user.id)
    return Caller(user_id=user.id, account_id=user.account_id, role=user.role, email=user.email, key_id=key_id)
