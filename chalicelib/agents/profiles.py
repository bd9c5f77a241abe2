"""Agent profiles (`/agents`): which model backend an automation's runs use.

Owners and admins make, change and delete profiles; everyone sees the
account-wide ones (team 0) and those of their teams (owners and admins all).
A profile names its key by the name of an account secret (`PUT /secrets/…`),
never by value. One account-wide profile may be the account's default (a
pointer on the account): automations that name no profile use it; with no
default, they use the deployment's AGENT_BACKEND.

A profile some automation uses cannot be deleted (409 naming them), nor moved
to a team those automations are not in; the default one can be deleted, and
the automations that relied on it use the deployment's backend from their
next run."""
from chalicelib.actions.outbound import checked_url
from chalicelib.clock import iso
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.identity import permissions, tokens
from chalicelib.identity.directory import get_team, parse_team_id
from chalicelib.secrets import check_name
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import AgentProfile
from chalicelib.validation import name as checked_name
from chalicelib.validation import whole_number

BACKENDS = ("builtin", "openai", "bedrock")
LIMITS = {"max_steps": (1, 50, 8), "max_tokens": (1000, 2_000_000, 50_000)}  # (least, most, default)
MODEL_FIELDS = ("model", "base_url", "api_key_secret")  # what a model backend takes, and builtin does not
FIELDS = ("name", "team_id", "backend", *MODEL_FIELDS, *LIMITS, "default")
MAX_PER_ACCOUNT = 50
SHOWN_IN_USE = 5


def agent_json(profile: AgentProfile, default_id: str | None) -> dict:
    """A profile as the API shows it (the key only by its secret's name)."""
    return {"id": profile.id, "name": profile.name, "team_id": int(profile.team_id or 0),
            "backend": profile.backend, "model": profile.model, "base_url": profile.base_url,
            "api_key_secret": profile.api_key_secret,
            **{key: int(getattr(profile, key) or LIMITS[key][2]) for key in LIMITS},
            "default": profile.id == default_id, "created_at": profile.created_at,
            "created_by": profile.created_by, "updated_at": profile.updated_at}


def default_id(account_id: str) -> str | None:
    """The id of the account's default profile, or None."""
    account = repos.accounts.get(account_id)
    return account.default_agent_id if account else None


def get(caller, agent_id: str) -> AgentProfile:
    """A profile the caller may see, or 404."""
    return permissions.visible(caller, repos.agents.get(caller.account_id, agent_id),
                               f"No agent profile {agent_id!r} visible to you.")


def listing(caller) -> list[AgentProfile]:
    """The profiles the caller may see, by name."""
    return permissions.visible_by_name(caller, repos.agents.of_account(caller.account_id))


def _team(account_id: str, value) -> int:
    team_id = parse_team_id(0 if value is None else value)
    if team_id:
        try:
            get_team(account_id, team_id)
        except NotFound as exc:
            raise Invalid(f"team_id: there is no team {team_id} in this account", field="team_id") from exc
    return team_id


def _limit(key: str, value) -> int:
    least, most, default = LIMITS[key]
    if value is None:
        return default
    number = whole_number(value)
    if number is None or not least <= number <= most:
        raise Invalid(f"{key} must be a whole number {least}-{most}; got {value!r}", field=key)
    return number


def _text(key: str, value, limit: int = 200) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise Invalid(f"{key} must be a non-empty string of at most {limit} characters", field=key)
    return value.strip()


def _checked(account_id: str, values: dict, given: set) -> dict:
    """The profile's fields, each checked, and checked together: a builtin
    profile takes no model fields, an openai one needs a base_url, a bedrock
    one reaches Bedrock with the environment's AWS role (no key, no URL)."""
    backend = values.get("backend")
    if backend not in BACKENDS:
        raise Invalid(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}", field="backend")
    out = {"name": checked_name(values.get("name")), "team_id": _team(account_id, values.get("team_id")),
           "backend": backend, **{key: _limit(key, values.get(key)) for key in LIMITS}}
    not_taken = {"builtin": MODEL_FIELDS, "openai": (), "bedrock": ("base_url", "api_key_secret")}[backend]
    for key in MODEL_FIELDS:
        if key in not_taken:
            if values.get(key) is not None and key in given:
                why = "the builtin agent calls no model" if backend == "builtin" else \
                    "Bedrock is reached with the environment's AWS role"
                raise Invalid(f"{key} is not used by the {backend} backend ({why}); leave it out", field=key)
            out[key] = None  # left from another backend: it no longer applies
    if backend != "builtin":
        out["model"] = _text("model", values.get("model"))
    if backend == "openai":
        if out["model"] is None:
            raise Invalid("model is required for the openai backend: the model name the endpoint serves",
                          field="model")
        if values.get("base_url") is None:
            raise Invalid("base_url is required for the openai backend: the Chat Completions endpoint, such as "
                          "https://api.openai.com/v1", field="base_url")
        out["base_url"] = checked_url(values["base_url"], "base_url").rstrip("/")
        secret = values.get("api_key_secret")
        out["api_key_secret"] = None if secret is None else check_name(secret, "api_key_secret")
    return out


def _default(body: dict, team_id: int) -> bool | None:
    value = body.get("default")
    if value is None:
        return None
    if not isinstance(value, bool):
        raise Invalid(f"default must be true or false; got {value!r}", field="default")
    if value and team_id:
        raise Invalid("default: only an account-wide profile (team_id 0) can be the account's default, "
                      "as every automation uses it", field="default")
    return value


def _unknown(body: dict) -> None:
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(unknown)}; a profile takes {', '.join(FIELDS)}",
                      field=unknown[0])


def create(caller, body: dict, now) -> tuple[AgentProfile, str | None]:
    """POST /agents (owners and admins): the new profile, and the account's default id after it."""
    permissions.require_admin(caller)
    _unknown(body)
    values = _checked(caller.account_id, body, set(body))
    make_default = _default(body, values["team_id"])
    if len(repos.agents.of_account(caller.account_id)) >= MAX_PER_ACCOUNT:
        raise Conflict(f"An account may have at most {MAX_PER_ACCOUNT} agent profiles; delete one first.")
    profile = AgentProfile(account_id=caller.account_id, id="agt_" + tokens.new_id(10), created_at=iso(now),
                           created_by=caller.user_id, updated_at=iso(now), **values)
    repos.agents.add(profile)
    if make_default:
        repos.accounts.set_default_agent(caller.account_id, profile.id)
    return profile, default_id(caller.account_id)


def update(caller, agent_id: str, body: dict, now) -> tuple[AgentProfile, str | None]:
    """PUT /agents/{id} (owners and admins): change the fields given; the
    others stay (those a new backend does not take are dropped)."""
    permissions.require_admin(caller)
    profile = get(caller, agent_id)
    _unknown(body)
    current = {key: getattr(profile, key) for key in FIELDS if key != "default"}
    values = _checked(caller.account_id, {**current, **body}, set(body))
    make_default = _default(body, values["team_id"])
    was_default = default_id(caller.account_id) == profile.id
    if values["team_id"] != int(profile.team_id or 0):
        if was_default and make_default is not False:
            raise Invalid("team_id: the account's default profile stays account-wide; make another profile the "
                          "default first", field="team_id")
        _refuse_if_used(profile, "moved to another team",
                        keep=lambda rule: values["team_id"] not in (0, int(rule.team_id)))
    try:
        repos.agents.change(profile, {**values, "updated_at": iso(now)})
    except ConditionFailed:
        raise NotFound(f"No agent profile {agent_id!r} visible to you.") from None
    if make_default:
        repos.accounts.set_default_agent(caller.account_id, profile.id)
    elif make_default is False and was_default:
        _clear_default(profile)
    return profile, default_id(caller.account_id)


def _clear_default(profile: AgentProfile) -> None:
    try:
        repos.accounts.set_default_agent(profile.account_id, None, only_if=profile.id)
    except ConditionFailed:
        pass  # another profile became the default meanwhile


def users(profile: AgentProfile) -> list:
    """The automations (not deleted) that name this profile, newest first
    (one Query of the account's automations, filtered in the table)."""
    return sorted(repos.rules.live(profile.account_id, agent_id=profile.id), key=lambda r: r.created_at,
                  reverse=True)


def _refuse_if_used(profile: AgentProfile, what: str, keep=lambda rule: True) -> None:
    using = [rule for rule in users(profile) if keep(rule)]
    if using:
        names = ", ".join(f"{rule.name!r} ({rule.id})" for rule in using[:SHOWN_IN_USE])
        more = f" and {len(using) - SHOWN_IN_USE} more" if len(using) > SHOWN_IN_USE else ""
        raise Conflict(f"Agent profile {profile.name!r} cannot be {what}: automation(s) {names}{more} use it. "
                       "Point them at another profile (agent_id) first.")


def delete(caller, agent_id: str) -> None:
    """DELETE /agents/{id} (owners and admins): 409 while automations name it;
    the default is cleared when it was this one."""
    permissions.require_admin(caller)
    profile = get(caller, agent_id)
    _refuse_if_used(profile, "deleted")
    repos.agents.delete(profile)
    _clear_default(profile)


def check_for_rule(caller, agent_id, team_id: int) -> str | None:
    """An automation's `agent_id`: None (the account's default), or a profile
    the caller sees that the automation's scope may use (account-wide, or of
    the automation's own team); else 400 naming agent_id."""
    if agent_id is None:
        return None
    if not isinstance(agent_id, str) or not agent_id:
        raise Invalid("agent_id must be the id of an agent profile, or null for the account's default",
                      field="agent_id")
    profile = repos.agents.get(caller.account_id, agent_id)
    if profile is None or not permissions.can_view(caller, profile):
        raise Invalid(f"agent_id: there is no agent profile {agent_id!r} visible to you", field="agent_id")
    if int(profile.team_id or 0) not in (0, int(team_id)):
        raise Invalid(f"agent_id: agent profile {profile.name!r} belongs to team {int(profile.team_id)}; an "
                      f"automation of {f'team {team_id}' if team_id else 'personal scope'} can use account-wide "
                      "profiles and those of its own team", field="agent_id")
    return agent_id
