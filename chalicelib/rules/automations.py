"""Automation rules: create, read, list, edit, enable/disable, delete, rotate.

A rule's side items (its trigger token and its schedule index entry) are
written in the same DynamoDB transaction as the rule, so they never disagree.
"""
import copy
from datetime import timedelta

from chalicelib import settings
from chalicelib.actions import registry as action_registry
from chalicelib.agents import profiles as agent_profiles
from chalicelib.clock import iso, iso_ms
from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound
from chalicelib.events import triggers as event_triggers
from chalicelib.identity import permissions, tokens
from chalicelib.identity.directory import get_team
from chalicelib.identity.runners import find_runner, runner_fits
from chalicelib.mcp import servers as mcp_servers
from chalicelib.rules import api_trigger, schedule, schedule_index, signing, templates, validation
from chalicelib.store import BadCursor, repos
from chalicelib.store.records import Rule, RuleIndex
from chalicelib.store.rules import RuleFilter, RuleWrite
from chalicelib.validation import bad_cursor, page_size


def automation_json(rule: Rule, caller, base_url: str, now) -> dict:
    """The automation as the API returns it to this caller."""
    shown = []
    for trig in rule.triggers:
        if trig["type"] == "api":
            shown.append({"type": "api", "id": trig["trigger_id"],
                          "url": api_trigger.url(base_url, trig["trigger_id"]),
                          "token_hint": trig["token_hint"]})
        elif trig["type"] == "schedule":
            shown.append(schedule.shown(trig, now))
        else:
            shown.append(dict(trig))
    sched = next((t for t in rule.triggers if t["type"] == "schedule"), None)
    runs = schedule.next_runs(sched, now) if sched else []
    return {
        "id": rule.id, "name": rule.name, "team_id": int(rule.team_id), "owner_id": rule.owner_id,
        "environment": rule.environment, "task_prompt": rule.task_prompt, "enabled": rule.enabled,
        "can_edit": permissions.can_edit(caller, rule), "triggers": shown, "overlap": rule.overlap,
        "actions": rule.actions or [], "paused": rule.paused if not rule.enabled else None,
        "webhook_signing": signing.summary(rule, now),
        "next_runs": [iso(t) for t in runs],
        "next_runs_local": schedule.next_runs_local(sched, runs) if sched else [],
        "template_id": rule.template_id, "locale": rule.locale or "en-US", "agent_id": rule.agent_id,
        "mcp_server_ids": list(rule.mcp_server_ids or []),
        "created_at": rule.created_at, "updated_at": rule.updated_at,
    }


def get_visible(caller, automation_id: str, include_deleted: bool = False) -> Rule:
    """The rule if the caller may see it; otherwise the same 404 as a missing one.

    A deleted rule is gone for everything but reading its run history.
    """
    rule = repos.rules.get(automation_id)
    if (rule is None or (rule.deleted_at and not include_deleted)
            or not permissions.can_view(caller, rule)):
        raise NotFound(f"No automation {automation_id!r} visible to you.")
    return rule


def get_history_readable(caller, automation_id: str, refusal: str = permissions.HISTORY_READ_ONLY) -> Rule:
    """The rule (even deleted) when the caller may read its run history; 403
    with `refusal` otherwise."""
    rule = get_visible(caller, automation_id, include_deleted=True)
    permissions.require_history(caller, rule, refusal)
    return rule


def get_editable(caller, automation_id: str) -> Rule:
    """The rule if the caller may edit it: 404 when invisible, 403 when read-only."""
    rule = get_visible(caller, automation_id)
    permissions.require_edit(caller, rule)
    return rule


def _check_scope(rule: Rule, explicit_environment: bool) -> None:
    """Team membership of the owner, and the runner-scope rule."""
    team_id = int(rule.team_id)
    if team_id:
        try:
            get_team(rule.account_id, team_id)
        except NotFound as exc:
            raise Invalid(f"team_id: there is no team {team_id} in this account", field="team_id") from exc
        if not repos.accounts.is_member(rule.owner_id, team_id):
            raise Invalid(f"team_id: the automation's owner is not a member of team {team_id}; "
                          "add them to the team first or choose another scope", field="team_id")
    env = rule.environment
    if env["type"] != "runner":
        return
    runner = find_runner(rule.account_id, env["runner_id"])
    if runner_fits(runner, team_id):
        return
    if explicit_environment:
        where = "no such runner" if runner is None else f"runner belongs to team {int(runner.team_id)}"
        raise Invalid(f"environment.runner_id: {env['runner_id']!r} is outside this automation's scope "
                      f"({where}); pick an account-global runner or one of team {team_id}",
                      field="environment.runner_id")
    rule.environment = {"type": "auto"}  # moved to a scope the runner does not serve


def create(caller, body: dict, now, base_url: str, locale: str) -> tuple[dict, dict]:
    """POST /automations. Returns (automation json, the secrets shown once:
    `api_trigger` and `webhook_signing` when this call made them)."""
    if "locale" in body:  # the body's language, for the preset's texts and the reports
        locale = validation.locale(body["locale"])
    fields = {"team_id": 0, "environment": {"type": "auto"}, "enabled": True, "locale": locale}
    template_id = body.get("template_id")
    if template_id is not None:
        preset = templates.get(template_id, locale)
        fields.update(name=preset["name"], task_prompt=preset["task_prompt"])
    for key, check in validation.FIELDS.items():
        if key in body:
            fields[key] = check(body[key])
    for key in ("name", "task_prompt"):
        if key not in fields:
            validation.FIELDS[key](None)  # raises the "is required" message
    automation_id = f"aut_{tokens.new_id()}"
    wanted = validation.triggers(body.get("triggers"), now, automation_id)
    rule = Rule(automation_id, account_id=caller.account_id, owner_id=caller.user_id,
                template_id=template_id, created_at=iso_ms(now), updated_at=iso(now), triggers=[], **fields)
    rule.actions = _actions(body.get("actions"), wanted, caller, rule)
    rule.paused = None if rule.enabled else _paused_by_user(caller, None, now)
    _check_scope(rule, explicit_environment=True)
    rule.mcp_server_ids = mcp_servers.check_for_automation(caller, body.get("mcp_server_ids"), rule.account_id,
                                                           int(rule.team_id))
    rule.agent_id = agent_profiles.check_for_rule(caller, body.get("agent_id"), int(rule.team_id))
    return _save(rule, caller, wanted, now, base_url, old=None)


def update(caller, automation_id: str, body: dict, now, base_url: str) -> tuple[dict, dict]:
    """PATCH /automations/{id}: any of the create fields."""
    rule = get_editable(caller, automation_id)
    old = copy.deepcopy(rule)
    for key, check in validation.FIELDS.items():
        if key in body:
            setattr(rule, key, check(body[key]))
    if "enabled" in body and rule.enabled != old.enabled:
        rule.paused = None if rule.enabled else _paused_by_user(caller, None, now)
    if "template_id" in body and body["template_id"] is not None:
        templates.get(body["template_id"], "en-US")
        rule.template_id = body["template_id"]
    wanted = validation.triggers(body["triggers"], now, rule.id) if "triggers" in body else rule.triggers
    if "actions" in body or "triggers" in body:
        rule.actions = _actions(body.get("actions", rule.actions), wanted, caller, rule)
    _check_scope(rule, explicit_environment="environment" in body)
    if "mcp_server_ids" in body or int(rule.team_id) != int(old.team_id):  # the servers must fit its scope
        rule.mcp_server_ids = mcp_servers.check_for_automation(
            caller, body.get("mcp_server_ids", rule.mcp_server_ids), rule.account_id, int(rule.team_id))
    if "agent_id" in body or int(rule.team_id) != int(old.team_id):  # a profile must fit the (new) scope
        rule.agent_id = agent_profiles.check_for_rule(caller, body.get("agent_id", rule.agent_id), int(rule.team_id))
    if not permissions.can_edit(caller, rule):
        raise Forbidden("You can only move an automation into a scope where you can still edit it.")
    rule.updated_at = iso(now)
    return _save(rule, caller, wanted, now, base_url, old=old)


def _actions(value, triggers: list[dict], caller, rule) -> list[dict]:
    """The rule's actions, checked; `triggered` only where an event trigger
    exists; control actions record the caller as their saver, who must be
    allowed to run, pause or resume the automation they name."""
    actions = action_registry.validate_actions(value, saved_by=caller.user_id,
                                               allow_triggered=any(t["type"] == "event" for t in triggers))
    for index, action in enumerate(actions):
        target_id = action.get("automation_id") if action["type"] in action_registry.CONTROL_TYPES else None
        if target_id is None or target_id == rule.id:
            continue  # acting on itself: the caller is saving it, so may
        field = f"actions[{index}].automation_id"
        try:
            get_editable(caller, target_id)
        except NotFound as exc:
            raise Invalid(f"{field}: there is no automation {target_id!r} visible to you", field=field) from exc
        except Forbidden as exc:
            raise Invalid(f"{field}: automation {target_id!r} is read-only for you, so an action you save "
                          "cannot run, pause or resume it", field=field) from exc
    return actions


def _paused_by_user(caller, reason: str | None, now) -> dict:
    return {"by": {"kind": "user", "id": caller.user_id, "name": caller.email}, "run_id": None,
            "reason": reason, "at": iso(now)}


def index_entries(rule) -> RuleIndex:
    """The index entries a rule should have: its schedule slots and event-trigger buckets."""
    return RuleIndex(schedule=schedule_index.entries_for(rule), triggers=event_triggers.entries_for(rule))


def _stale(old: RuleIndex, new: RuleIndex) -> RuleIndex:
    """The entries of `old` that `new` no longer has."""
    slots = {(e.slot, e.automation_id) for e in new.schedule}
    buckets = {(e.bucket, e.automation_id) for e in new.triggers}
    return RuleIndex(schedule=[e for e in old.schedule if (e.slot, e.automation_id) not in slots],
                     triggers=[e for e in old.triggers if (e.bucket, e.automation_id) not in buckets])


def _save(rule, caller, wanted: list[dict], now, base_url: str, old) -> tuple[dict, dict]:
    """Write the rule with its trigger token and schedule entry in one
    transaction; returns (its JSON, the secrets this save made, shown once)."""
    old_api = next((t for t in (old.triggers if old else []) if t["type"] == "api"), None)
    shown_token, token_item, triggers = None, None, []
    for trig in wanted:
        if trig["type"] != "api":
            triggers.append(trig)
        elif old_api:
            triggers.append(old_api)
        else:
            token_item, token = api_trigger.issue(rule, caller, now)
            shown_token = api_trigger.shown_once(base_url, token_item.trigger_id, token)
            triggers.append({"type": "api", "trigger_id": token_item.trigger_id,
                             "token_hint": tokens.hint(token)})
    rule.triggers = triggers
    rule.scheduled_since = schedule_index.scheduled_since(rule, old, now)
    shown = {"api_trigger": shown_token} if shown_token else {}
    if signing.needs_secret(rule) and not rule.signing_secret:  # its first webhook: the secret it signs with
        rule.signing_secret = signing.new_secret()
        shown["webhook_signing"] = signing.shown_once(rule.signing_secret)
    new_api = next((t for t in triggers if t["type"] == "api"), None)
    index = index_entries(rule)
    before = index_entries(old) if old else RuleIndex()
    if _stale(index, before).schedule:  # filed under a slot it was not under before
        # Before the transaction, and idempotent: a save that fails after it
        # leaves at most a key listed in use with no rule (an empty Query).
        schedule_index.register(rule.account_id, schedule_index.local_keys_of(rule))
    repos.rules.save(rule, RuleWrite(
        index=index, stale=_stale(before, index), new_token=token_item,
        synced_token=new_api["trigger_id"] if new_api and not token_item else None,  # the copy the trigger URL reads
        dropped_token=old_api["trigger_id"] if old_api and not new_api else None,
        watches_runs=event_triggers.watcher_change(rule, old)))
    return automation_json(rule, caller, base_url, now), shown


def set_enabled(caller, automation_id: str, enabled: bool, now, base_url: str, reason: str | None = None) -> dict:
    """POST /automations/{id}/enable and …/disable (with an optional reason,
    kept in `paused`)."""
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise Invalid("reason must be a string of at most 500 characters", field="reason")
    rule = get_editable(caller, automation_id)
    _change_enabled(rule, caller, enabled, now, _paused_by_user(caller, reason or None, now))
    return automation_json(rule, caller, base_url, now)


def pause(caller, automation_id: str, paused: bool, now, by: dict, run_id: str | None, reason: str | None) -> bool:
    """Pause or resume an automation on behalf of an automation's action,
    with the rights of `caller` (its saver). False when it was so already."""
    rule = get_editable(caller, automation_id)
    if rule.enabled != paused:
        return False
    _change_enabled(rule, caller, not paused, now, {"by": by, "run_id": run_id, "reason": reason, "at": iso(now)})
    return True


def _change_enabled(rule, caller, enabled: bool, now, paused: dict) -> None:
    """Enable (clearing `paused`) or disable (setting it), with the indexes."""
    old = copy.deepcopy(rule)
    rule.enabled, rule.paused = enabled, None if enabled else paused
    rule.updated_at = iso(now)
    _save(rule, caller, rule.triggers, now, "", old=old)


def delete(caller, automation_id: str, now) -> None:
    """DELETE /automations/{id}: the rule stops firing at once; it stays hidden
    until its run history's retention ends, then DynamoDB TTL removes it."""
    rule = get_editable(caller, automation_id)
    api = next((t for t in rule.triggers if t["type"] == "api"), None)
    repos.rules.delete(rule, deleted_at=iso(now), token_id=api["trigger_id"] if api else None,
                       expires_at=now + timedelta(days=settings.current().run_retention_days),
                       index=index_entries(rule), unwatch=event_triggers.watches_runs(rule))


def rotate_signing_secret(caller, automation_id: str, now) -> dict:
    """POST /automations/{id}/webhook-secret/rotate: a new signing secret,
    shown once; webhooks are signed with it from now on, and with the one it
    replaces too for 24 hours (the answer says until when)."""
    return signing.rotate(get_editable(caller, automation_id), now)


def rotate(caller, automation_id: str, now, base_url: str) -> dict:
    """POST /automations/{id}/api-trigger/rotate: a new token, the old one dead at once."""
    rule = get_editable(caller, automation_id)
    api = next((t for t in rule.triggers if t["type"] == "api"), None)
    if api is None:
        raise Conflict("This automation has no api trigger to rotate; add one with PATCH first.")
    item, token = api_trigger.issue(rule, caller, now, trigger_id=api["trigger_id"])
    api["token_hint"] = tokens.hint(token)
    rule.updated_at = iso(now)
    repos.rules.rotate_token(rule, item)
    return api_trigger.shown_once(base_url, item.trigger_id, token)


SCOPES = ("all", "personal", "team")
STATUSES = ("all", "enabled", "disabled")


def _list_filter(caller, scope: str, status: str, wanted_teams: set[int]) -> RuleFilter:
    """What the store may leave out of a list query's pages (so pages carry only rules the caller will get)."""
    team_in = None
    if scope == "personal":
        team_in = frozenset({0})
    elif scope == "team" and wanted_teams:
        team_in = frozenset(wanted_teams)
    if not caller.is_admin:  # a member sees personal rules and their teams' rules
        mine = frozenset({0, *caller.team_ids})
        team_in = mine if team_in is None else team_in & mine
    return RuleFilter(enabled=None if status == "all" else status == "enabled", team_in=team_in,
                      teams_only=scope == "team" and not wanted_teams)


def list_visible(caller, query: dict, team_ids: list[str], now, base_url: str) -> tuple[list[dict], str | None]:
    """GET /automations with its scope, team and status filters: one page,
    newest first, and the cursor of the next page (or None)."""
    scope = query.get("scope", "all")
    status = query.get("status", "all")
    if scope not in SCOPES:
        raise Invalid(f"scope must be one of {', '.join(SCOPES)}; got {scope!r}", field="scope")
    if status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}; got {status!r}", field="status")
    wanted_teams = {int(validation.team_id(t)) for t in team_ids}
    if wanted_teams and scope == "all":
        scope = "team"  # naming teams narrows the list to them
    limit = page_size(query)

    def keep(rule) -> bool:
        team_id = int(rule.team_id)
        return not rule.deleted_at and permissions.can_view(caller, rule) and \
            (scope != "personal" or team_id == 0) and \
            (scope != "team" or (team_id != 0 and (not wanted_teams or team_id in wanted_teams))) and \
            (status == "all" or rule.enabled == (status == "enabled"))

    try:
        page, cursor = repos.rules.listing(caller.account_id, _list_filter(caller, scope, status, wanted_teams),
                                           limit, query.get("cursor"), keep)
    except BadCursor as exc:
        raise bad_cursor() from exc
    return [automation_json(rule, caller, base_url, now) for rule in page], cursor
