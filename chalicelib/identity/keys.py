"""API key rotation and revocation.

A user rotates the key they call with (the old one stops at once: it is
deleted in the same transaction that writes the new one), lists and revokes
their own keys; the owner and admins list, revoke and issue keys of any user
of the account. A revoked key is deleted, so the next request with it is a
401 like any unknown key."""
from chalicelib.errors import Forbidden, NotFound
from chalicelib.identity import directory
from chalicelib.store import repos
from chalicelib.store.records import ApiKey


def key_json(key: ApiKey, caller) -> dict:
    return {"id": key.key_id, "user_id": key.user_id, "created_at": key.created_at, "hint": key.hint,
            "current": key.key_id == caller.key_id}


def _user_for(caller, user_id: str | None):
    """The caller themselves (no `user_id`: a query that names nobody), or
    (owner/admin) another user of the account."""
    if user_id is None or user_id == caller.user_id:
        return directory.get_user(caller.account_id, caller.user_id)
    if not caller.is_admin:
        raise Forbidden("Only the account owner and admins can manage other users' API keys.")
    return directory.get_user(caller.account_id, user_id)


def list_keys(caller, user_id: str | None = None) -> list[dict]:
    """GET /api-keys[?user_id=]: a user's keys (never their secrets)."""
    user = _user_for(caller, user_id)
    return [key_json(k, caller) for k in repos.accounts.keys_of(user.id)]


def rotate(caller, now) -> tuple[dict, str]:
    """POST /api-keys/rotate: a new key for the caller; the key of this request stops working at once."""
    user = directory.get_user(caller.account_id, caller.user_id)
    item, token = directory.new_api_key_item(user, now)
    repos.accounts.replace_key(item, caller.key_id)
    return key_json(item, caller), token


def revoke(caller, key_id: str) -> None:
    """DELETE /api-keys/{key_id}: the caller's own key, or (owner/admin) any key of the account."""
    key = repos.accounts.key(key_id)
    if key is None or key.account_id != caller.account_id or (key.user_id != caller.user_id and not caller.is_admin):
        raise NotFound(f"No API key {key_id!r} you can revoke.")
    repos.accounts.delete_key(key.key_id)


def revoke_all(caller, user_id: str) -> int:
    """DELETE /users/{user_id}/api-keys (owner/admin): every key of that user; returns how many."""
    return repos.accounts.delete_keys_of(_user_for(caller, user_id).id)


def issue(caller, user_id: str, now) -> tuple[dict, str]:
    """POST /users/{user_id}/api-keys (owner/admin): a new key for that user, shown once."""
    if not caller.is_admin:
        raise Forbidden("Only the account owner and admins can issue API keys for users.")
    user = directory.get_user(caller.account_id, user_id)
    item, token = directory.new_api_key_item(user, now)
    repos.accounts.add_key(item)
    return key_json(item, caller), token
