"""The agent profile a run works with, resolved when it starts: the
automation's profile, else the account's default, else none (the
environment's own AGENT_BACKEND). The key is read from the account's secret
here, at the start of each run, so a rotated key applies from the next run,
and a missing one fails the run before any model is called."""
from chalicelib import secrets
from chalicelib.agents.profiles import LIMITS
from chalicelib.store import repos
from chalicelib.store.records import Account, Rule


class ProfileUnusable(Exception):
    """The run's agent profile cannot be used (deleted, its key secret not
    set): the run fails at its start with this reason."""


def for_run(rule: Rule, account: Account | None, own_agent: bool = False) -> dict | None:
    """The `agent` of a run's work: {"id", "name", "backend", "model",
    "base_url", "max_steps", "max_tokens", "api_key"} or None (no profile:
    the environment's own settings). `own_agent`: the environment (a runner)
    uses its own model and key, so the key is neither read nor sent.
    ProfileUnusable says why the run cannot start; SecretUnavailable (the
    secret store cannot answer now) is left to the caller's retry."""
    agent_id = rule.agent_id or (account.default_agent_id if account else None)
    if not agent_id:
        return None
    profile = repos.agents.get(rule.account_id, agent_id)
    if profile is None:
        if not rule.agent_id:
            return None  # the default was deleted under a stale account read: as with no default
        raise ProfileUnusable(f"agent profile {agent_id!r} no longer exists; edit the automation to pick "
                              "another profile")
    work = {"id": profile.id, "name": profile.name, "backend": profile.backend, "model": profile.model,
            "base_url": profile.base_url, **{key: int(getattr(profile, key) or LIMITS[key][2]) for key in LIMITS},
            "api_key": None}
    if profile.api_key_secret and not own_agent:
        try:
            work["api_key"] = secrets.get_secret(rule.account_id, profile.api_key_secret)
        except secrets.SecretNotFound as exc:
            raise ProfileUnusable(f"agent profile {profile.name!r}: secret {profile.api_key_secret!r} is not set; "
                                  f"create it with PUT /secrets/{profile.api_key_secret}") from exc
    return work

