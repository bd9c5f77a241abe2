"""Integrations: an owner or admin makes one per monitoring tool and pastes
its URL (and secret) into the tool. Everyone of the account sees those of
the account (team 0) and of their teams; only owners and admins change them.

The secret is shown once, when made and when rotated: a bearer token
(Alertmanager, Grafana) or a URL secret (SNS) is kept only as its hash; a
signing secret (PagerDuty, GitHub) must verify signatures, so it is kept and
never shown again. PagerDuty makes its own signing secret: store it with
`PUT /integrations/{id}` {"signing_secret": "..."}."""
import secrets as random_secrets

from chalicelib.clock import iso
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.identity import permissions, tokens
from chalicelib.identity.directory import scope_team
from chalicelib.ops.vendors import VENDORS, vendor
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import Integration
from chalicelib.validation import name as checked_name

SECRET_PREFIX = "srein_"  # an integration's secret: a secret scanner can spot a leaked one
MAPPING_KEYS = ("service", "severity")
MAX_PER_ACCOUNT = 200


def url(base_url: str, integration: Integration, secret: str | None = None) -> str:
    """What the user pastes into the tool (for SNS, with the secret in the path)."""
    base = f"{base_url}/hooks/{integration.id}"
    if VENDORS[integration.type].secret_in_url:
        return f"{base}/{secret}" if secret else f"{base}/<secret>"
    return base


def integration_json(integration: Integration, base_url: str) -> dict:
    """An integration as the API shows it (never its secret)."""
    kind = VENDORS[integration.type]
    return {"id": integration.id, "type": integration.type, "title": kind.title, "name": integration.name,
            "team_id": int(integration.team_id or 0), "url": url(base_url, integration),
            "secret_kind": kind.secret_kind, "secret_set": bool(integration.token_hash or integration.signing_secret),
            "mapping": {**kind.default_mapping, **(integration.mapping or {})},
            "created_at": integration.created_at, "created_by": integration.created_by,
            "updated_at": integration.updated_at, "last_received_at": integration.last_received_at,
            "received": int(integration.received or 0), "refused": int(integration.refused or 0),
            "errors": list(reversed(integration.errors or [])), "confirmed_at": integration.confirmed_at}


def shown_once(integration: Integration, secret: str, base_url: str) -> dict:
    """The answer that carries the secret: the only time it is shown, with what to paste where."""
    kind = VENDORS[integration.type]
    pasted = url(base_url, integration, secret)
    return {"integration": {**integration_json(integration, base_url), "url": pasted}, "secret": secret,
            "setup": kind.setup(pasted, secret)}


def _visible(caller, integration: Integration | None) -> bool:
    return integration is not None and integration.account_id == caller.account_id and (
        caller.is_admin or int(integration.team_id or 0) == 0 or int(integration.team_id) in caller.team_ids)


def get(caller, integration_id: str) -> Integration:
    """An integration the caller may see, or 404."""
    integration = repos.integrations.get(caller.account_id, integration_id)
    if not _visible(caller, integration):
        raise NotFound(f"No integration {integration_id} in this account.")
    return integration


def listing(caller) -> list[Integration]:
    """The integrations the caller may see, newest first."""
    found = [i for i in repos.integrations.of_account(caller.account_id) if _visible(caller, i)]
    return sorted(found, key=lambda i: i.created_at, reverse=True)


def _mapping(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - set(MAPPING_KEYS):
        raise Invalid(f"mapping must be an object with the keys {', '.join(MAPPING_KEYS)}", field="mapping")
    out = {}
    for key, spec in value.items():
        names = [spec] if isinstance(spec, str) else spec
        if not isinstance(names, list) or not 0 < len(names) <= 10 or not all(
                isinstance(n, str) and 0 < len(n) <= 128 for n in names):
            raise Invalid(f"mapping.{key} must be a name or a list of 1-10 names (the first one set wins)",
                          field=f"mapping.{key}")
        out[key] = names
    return out


def _team(caller, value) -> int:
    return scope_team(caller.account_id, value)


def new_secret() -> str:
    """A fresh secret of 256 random bits (URL-safe: SNS carries it in the path)."""
    return SECRET_PREFIX + random_secrets.token_urlsafe(32)


def create(caller, body: dict, now) -> tuple[Integration, str]:
    """A new integration (owners and admins); returns it and its secret, shown once."""
    permissions.require_admin(caller)
    kind = vendor(body.get("type"))
    if len(repos.integrations.of_account(caller.account_id)) >= MAX_PER_ACCOUNT:
        raise Invalid(f"An account may have at most {MAX_PER_ACCOUNT} integrations; delete one first.", field="type")
    integration = Integration(account_id=caller.account_id, id="int_" + tokens.new_id(10), type=kind.type,
                              name=checked_name(body.get("name")), team_id=_team(caller, body.get("team_id")),
                              created_at=iso(now), created_by=caller.user_id, updated_at=iso(now),
                              mapping=_mapping(body.get("mapping")))
    given = _given_signing_secret(body)
    if given is not None and kind.secret_kind != "signing":  # a bearer token or URL secret is never chosen
        raise Invalid(f"{kind.title} integrations have no signing secret; the service makes their secret",
                      field="signing_secret")
    secret = given or new_secret()
    _set_secret(integration, kind, secret)
    repos.integrations.add(integration)
    return integration, secret


def _given_signing_secret(body: dict) -> str | None:
    value = body.get("signing_secret")
    if value is None:
        return None
    if not isinstance(value, str) or not 8 <= len(value) <= 256:
        raise Invalid("signing_secret must be the tool's secret: 8-256 characters", field="signing_secret")
    return value


def _set_secret(integration: Integration, kind, secret: str) -> None:
    if kind.secret_kind == "signing":
        integration.signing_secret, integration.token_hash = secret, None
    else:
        integration.token_hash, integration.signing_secret = tokens.hash_token(secret), None


def update(caller, integration_id: str, body: dict, now) -> Integration:
    """Change the name, team, mapping, or (signing vendors) store the tool's own signing secret."""
    permissions.require_admin(caller)
    integration = get(caller, integration_id)
    kind = VENDORS[integration.type]
    unknown = set(body) - {"name", "team_id", "mapping", "signing_secret"}
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    changes = {"updated_at": iso(now)}
    if "name" in body:
        changes["name"] = checked_name(body["name"])
    if "team_id" in body:
        changes["team_id"] = _team(caller, body["team_id"])
    if "mapping" in body:
        changes["mapping"] = _mapping(body["mapping"])
    if "signing_secret" in body:
        if kind.secret_kind != "signing":
            raise Invalid(f"{kind.title} integrations have no signing secret; rotate to get a new secret",
                          field="signing_secret")
        changes["signing_secret"] = _given_signing_secret(body) or _missing("signing_secret")
    try:
        repos.integrations.change(integration, changes)
    except ConditionFailed:
        raise NotFound(f"No integration {integration_id} in this account.") from None
    return integration


def _missing(field: str):
    raise Invalid(f"{field} must be given", field=field)


def rotate(caller, integration_id: str, now) -> tuple[Integration, str]:
    """A new secret; the old one stops at once (as a trigger URL's token)."""
    permissions.require_admin(caller)
    integration = get(caller, integration_id)
    kind = VENDORS[integration.type]
    if kind.tool_makes_secret:
        raise Conflict(f"{kind.title} makes its own signing secret: make a new one there, then store it with "
                       'PUT /integrations/{id} {"signing_secret": "..."}')
    secret = new_secret()
    _set_secret(integration, kind, secret)
    try:
        repos.integrations.change(integration, {"token_hash": integration.token_hash,
                                                "signing_secret": integration.signing_secret,
                                                "updated_at": iso(now)})
    except ConditionFailed:
        raise NotFound(f"No integration {integration_id} in this account.") from None
    return integration, secret


def delete(caller, integration_id: str) -> None:
    """Stop taking its deliveries (what it brought in stays, for the retention)."""
    permissions.require_admin(caller)
    repos.integrations.delete(get(caller, integration_id))
