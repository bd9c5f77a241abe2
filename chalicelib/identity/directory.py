"""Accounts, users, teams, memberships and API keys."""
import re

from chalicelib.clock import iso
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.http.request import whole_number
from chalicelib.identity import tokens
from chalicelib.store.models import Account, ApiKey, Membership, Team, User

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")  # whole string (fullmatch: no trailing newline)
MAX_TEAM_ID = 2**31 - 1
ROLES = ("admin", "member")


def user_json(user: User) -> dict:
    return {"id": user.id, "email": user.email, "role": user.role}


def team_json(team: Team) -> dict:
    return {"id": int(team.team_id), "name": team.name}


def issue_api_key(user: User, now) -> str:
    """Create an API key for the user; the token is returned once, never stored."""
    item, token = new_api_key_item(user, now)
    item.save(condition=ApiKey.key_id.does_not_exist())
    return token


def new_api_key_item(user: User, now) -> tuple[ApiKey, str]:
    """A new key item for the user (not saved) and its token."""
    key_id, token = tokens.new_api_key()
    return ApiKey(key_id, key_hash=tokens.hash_token(token), user_id=user.id, account_id=user.account_id,
                  created_at=iso(now), hint=tokens.hint(token)), token


def create_account(name: str, owner_email: str, now, account_id: str | None = None) -> tuple[User, str]:
    """A new account with its owner; returns (owner, owner's API key). A
    given `account_id` that exists already raises pynamodb's PutError."""
    account = Account(account_id or tokens.new_id(), name=name, next_team_id=0, created_at=iso(now),
                      markers=True, has_runners=False)
    account.save(condition=Account.id.does_not_exist())
    owner = _new_user(account.id, owner_email, "owner", now)
    return owner, issue_api_key(owner, now)


def checked_email(email) -> str:
    """A valid email address, trimmed and lower-cased; 400 otherwise."""
    if not isinstance(email, str) or not _EMAIL.fullmatch(email.strip()) or len(email) > 254:
        raise BadRequest("email must be a valid email address, e.g. 'oncall@example.com'")
    return email.strip().lower()


def create_user(caller, body: dict, now) -> tuple[User, str]:
    """POST /users: a new admin or member of the caller's account."""
    email = checked_email(body.get("email"))
    role = body.get("role", "member")
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    user = _new_user(caller.account_id, email, role, now)
    return user, issue_api_key(user, now)


def _new_user(account_id: str, email: str, role: str, now) -> User:
    if any(True for _ in User.by_email.query(email, limit=1)):
        raise Conflict(f"A user with email {email!r} already exists.")
    user = User(f"usr_{tokens.new_id()}", account_id=account_id, email=email, role=role,
                created_at=iso(now))
    user.save()
    return user


def get_user(account_id: str, user_id: str) -> User:
    """A user of the account, or 404."""
    try:
        user = User.get(user_id)
    except User.DoesNotExist:
        user = None
    if user is None or user.account_id != account_id:
        raise NotFound(f"No user {user_id!r} in this account.")
    return user


def create_team(caller, body: dict, now) -> Team:
    """POST /teams: a team with the next integer id of the account."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise BadRequest("name must be a non-empty string of at most 255 characters")
    account = Account(caller.account_id)
    account.update(actions=[Account.next_team_id.add(1)])
    team = Team(caller.account_id, int(account.next_team_id), name=name.strip(), created_at=iso(now))
    team.save()
    return team


def get_team(account_id: str, team_id) -> Team:
    """A team of the account, or 404."""
    tid = parse_team_id(team_id)
    try:
        return Team.get(account_id, tid)
    except Team.DoesNotExist:
        raise NotFound(f"No team {tid} in this account.")


def parse_team_id(value, field: str = "team_id") -> int:
    """An integer team id >= 0 from JSON or a path/query string."""
    if isinstance(value, bool):
        raise BadRequest(f"{field} must be an integer (0 for personal)")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    value = whole_number(value) if not isinstance(value, str) else None
    if value is None or not 0 <= value <= MAX_TEAM_ID:
        raise BadRequest(f"{field} must be an integer 0-{MAX_TEAM_ID} (0 for personal); got {value!r}")
    return value


def add_member(caller, team_id, user_id) -> None:
    """PUT /teams/{team_id}/members/{user_id} (idempotent)."""
    team = get_team(caller.account_id, team_id)
    user = get_user(caller.account_id, user_id)
    Membership(user.id, int(team.team_id), account_id=caller.account_id).save()


def remove_member(caller, team_id, user_id) -> None:
    """DELETE /teams/{team_id}/members/{user_id} (idempotent)."""
    team = get_team(caller.account_id, team_id)
    user = get_user(caller.account_id, user_id)
    Membership(user.id, int(team.team_id)).delete()


def teams_of(caller) -> list[dict]:
    """The caller's teams, for GET /me."""
    ids = sorted(caller.team_ids)
    if not ids:
        return []
    teams = Team.batch_get([(caller.account_id, tid) for tid in ids])
    return sorted((team_json(t) for t in teams), key=lambda t: t["id"])


def visible_teams(caller) -> list[dict]:
    """GET /teams: every team of the account for the owner and admins (they see
    every rule, so they need every team's name); a member's own teams otherwise."""
    if not caller.is_admin:
        return teams_of(caller)
    return [team_json(t) for t in Team.query(caller.account_id)]


def any_account_exists() -> bool:
    """Whether the stack has been bootstrapped (used once at local start-up)."""
    return any(True for _ in Account.scan(limit=1))

