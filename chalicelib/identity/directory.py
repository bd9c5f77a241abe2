"""Accounts, users, teams, memberships and API keys."""
import re

from chalicelib.clock import iso
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.identity import tokens
from chalicelib.store import repos
from chalicelib.store.records import Account, ApiKey, Team, User
from chalicelib.validation import name as checked_name
from chalicelib.validation import whole_number

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
    repos.accounts.add_key(item)
    return token


def new_api_key_item(user: User, now) -> tuple[ApiKey, str]:
    """A new key item for the user (not saved) and its token."""
    key_id, token = tokens.new_api_key()
    return ApiKey(key_id, key_hash=tokens.hash_token(token), user_id=user.id, account_id=user.account_id,
                  created_at=iso(now), hint=tokens.hint(token)), token


def create_account(name: str, owner_email: str, now, account_id: str | None = None) -> tuple[User, str]:
    """A new account with its owner; returns (owner, owner's API key). A
    given `account_id` that exists already raises store.ConditionFailed."""
    account = Account(account_id or tokens.new_id(), name=name, next_team_id=0, created_at=iso(now),
                      markers=True, has_runners=False)
    repos.accounts.create(account)
    owner = _new_user(account.id, owner_email, "owner", now)
    return owner, issue_api_key(owner, now)


def checked_email(email, field: str = "email") -> str:
    """A valid email address, trimmed and lower-cased; Invalid otherwise."""
    if not isinstance(email, str) or not _EMAIL.fullmatch(email.strip()) or len(email) > 254:
        raise Invalid(f"{field} must be a valid email address, e.g. 'oncall@example.com'", field=field)
    return email.strip().lower()


def create_user(caller, body: dict, now) -> tuple[User, str]:
    """POST /users: a new admin or member of the caller's account."""
    email = checked_email(body.get("email"))
    role = body.get("role", "member")
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}; got {role!r}", field="role")
    user = _new_user(caller.account_id, email, role, now)
    return user, issue_api_key(user, now)


def _new_user(account_id: str, email: str, role: str, now) -> User:
    if repos.accounts.email_taken(email):
        raise Conflict(f"A user with email {email!r} already exists.")
    user = User(f"usr_{tokens.new_id()}", account_id=account_id, email=email, role=role, created_at=iso(now))
    repos.accounts.add_user(user)
    return user


def get_user(account_id: str, user_id: str) -> User:
    """A user of the account, or 404."""
    user = repos.accounts.user(user_id)
    if user is None or user.account_id != account_id:
        raise NotFound(f"No user {user_id!r} in this account.")
    return user


def create_team(caller, body: dict, now) -> Team:
    """POST /teams: a team with the next integer id of the account."""
    team_name = checked_name(body.get("name"))
    team = Team(caller.account_id, repos.accounts.next_team_id(caller.account_id), name=team_name,
                created_at=iso(now))
    repos.accounts.add_team(team)
    return team


def get_team(account_id: str, team_id, field: str = "team_id") -> Team:
    """A team of the account, or 404."""
    tid = parse_team_id(team_id, field)
    team = repos.accounts.team(account_id, tid)
    if team is None:
        raise NotFound(f"No team {tid} in this account.")
    return team


def existing_team_id(account_id: str, value, field: str = "team_id") -> int:
    """A body's team id (absent: 0, personal or the whole account) naming a team
    of the account; 400 naming `field` otherwise."""
    team_id = parse_team_id(0 if value is None else value, field)
    if team_id:
        try:
            get_team(account_id, team_id, field)
        except NotFound as exc:
            raise Invalid(f"{field}: there is no team {team_id} in this account", field=field) from exc
    return team_id


def parse_team_id(value, field: str = "team_id") -> int:
    """An integer team id >= 0 from JSON or a path/query string."""
    if isinstance(value, bool):
        raise Invalid(f"{field} must be an integer (0 for personal)", field=field)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    value = whole_number(value) if not isinstance(value, str) else None
    if value is None or not 0 <= value <= MAX_TEAM_ID:
        raise Invalid(f"{field} must be an integer 0-{MAX_TEAM_ID} (0 for personal); got {value!r}", field=field)
    return value


def add_member(caller, team_id, user_id) -> None:
    """PUT /teams/{team_id}/members/{user_id} (idempotent)."""
    team = get_team(caller.account_id, team_id)
    user = get_user(caller.account_id, user_id)
    repos.accounts.add_member(caller.account_id, user.id, int(team.team_id))


def remove_member(caller, team_id, user_id) -> None:
    """DELETE /teams/{team_id}/members/{user_id} (idempotent)."""
    team = get_team(caller.account_id, team_id)
    user = get_user(caller.account_id, user_id)
    repos.accounts.remove_member(user.id, int(team.team_id))


def teams_of(caller) -> list[dict]:
    """The caller's teams, for GET /me."""
    ids = sorted(caller.team_ids)
    if not ids:
        return []
    return sorted((team_json(t) for t in repos.accounts.teams_by_id(caller.account_id, ids)), key=lambda t: t["id"])


def visible_teams(caller) -> list[dict]:
    """GET /teams: every team of the account for the owner and admins (they see
    every rule, so they need every team's name); a member's own teams otherwise."""
    if not caller.is_admin:
        return teams_of(caller)
    return [team_json(t) for t in repos.accounts.teams(caller.account_id)]


def any_account_exists() -> bool:
    """Whether the stack has been bootstrapped (used once at local start-up)."""
    return repos.accounts.any_exists()
