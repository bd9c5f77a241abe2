"""The rules repository: automation rules, saved in one transaction with the
items that must never disagree with them: the api trigger's token item (a
copy of what the trigger URL decides on), the rule's schedule-index and
event-trigger index entries, and its account's `run_watchers` marker."""
from dataclasses import dataclass

from chalicelib.store import ConditionFailed
from chalicelib.store.dynamo import (
    decode_cursor,
    get,
    get_many,
    item_of,
    record_of,
    take,
    transaction,
    update,
)
from chalicelib.store.expect import ABSENT
from chalicelib.store.records import Account, Rule, RuleIndex, TriggerToken


@dataclass(frozen=True)
class RuleFilter:
    """Which rules of an account a listing wants (deleted ones never):
    `enabled` True/False (None: both), `team_in` the team ids allowed (0 is
    personal; None: any), `teams_only` only rules of a team (team_id > 0)."""
    enabled: bool | None = None
    team_in: frozenset | None = None
    teams_only: bool = False

    def holds(self, rule: Rule) -> bool:
        team = int(rule.team_id)
        return not rule.deleted_at and (self.enabled is None or rule.enabled == self.enabled) and \
            (self.team_in is None or team in self.team_in) and (not self.teams_only or team > 0)


@dataclass
class RuleWrite:
    """Everything a save changes beside the rule, in its transaction."""
    index: RuleIndex  # the entries the rule is filed under now
    stale: RuleIndex  # entries it was filed under and no longer is
    new_token: TriggerToken | None = None  # a freshly issued api trigger
    synced_token: str | None = None  # the kept api trigger, to take the rule's enabled and owner
    dropped_token: str | None = None  # the api trigger the rule no longer has
    watches_runs: bool | None = None  # True: add the rule to run_watchers; False: remove; None: neither


class DynamoRules:
    """Rules in the `automations` table, with `trigger-tokens`, `schedule-index` and `event-triggers`."""

    @staticmethod
    def _models():
        from chalicelib.store import models
        return models

    def get(self, automation_id: str) -> Rule | None:
        """A rule by id, deleted or not (None when there is none)."""
        return record_of(get(self._models().Automation, automation_id), Rule)

    def with_account(self, automation_id: str, account_id: str) -> tuple[Rule | None, Account | None]:
        """A rule and its account in one strongly consistent read."""
        m = self._models()
        rule, account = get_many((m.Automation, automation_id), (m.Account, account_id))
        return record_of(rule, Rule), record_of(account, Account)

    def token(self, trigger_id: str) -> TriggerToken | None:
        """The api trigger item of a trigger URL."""
        return record_of(get(self._models().TriggerToken, trigger_id), TriggerToken)

    def save(self, rule: Rule, write: RuleWrite) -> None:
        """Write the rule and what goes with it, all or nothing."""
        m = self._models()
        with transaction() as tx:
            tx.save(item_of(rule, m.Automation))
            if write.new_token:
                tx.save(item_of(write.new_token, m.TriggerToken))
            elif write.synced_token:
                tx.update(m.TriggerToken(write.synced_token), actions=[
                    m.TriggerToken.enabled.set(rule.enabled), m.TriggerToken.owner_id.set(rule.owner_id)])
            if write.dropped_token:
                tx.delete(m.TriggerToken(write.dropped_token))
            for entry in write.stale.schedule:
                tx.delete(m.ScheduleEntry(entry.slot, entry.automation_id))
            for entry in write.stale.triggers:
                tx.delete(m.EventTriggerEntry(entry.bucket, entry.automation_id))
            for entry in write.index.schedule:
                tx.save(item_of(entry, m.ScheduleEntry))
            for entry in write.index.triggers:
                tx.save(item_of(entry, m.EventTriggerEntry))
            if write.watches_runs is not None:
                marker = m.Account.run_watchers
                tx.update(m.Account(rule.account_id),
                          actions=[marker.add({rule.id}) if write.watches_runs else marker.delete({rule.id})])

    def delete(self, rule: Rule, *, deleted_at: str, expires_at, token_id: str | None, index: RuleIndex,
               unwatch: bool) -> None:
        """Hide a rule (kept until `expires_at` for its history), with its token
        and index entries gone and its account's run_watchers marker dropped, all or nothing."""
        m = self._models()
        with transaction() as tx:
            tx.update(m.Automation(rule.id), actions=[
                m.Automation.deleted_at.set(deleted_at), m.Automation.enabled.set(False),
                m.Automation.expires_at.set(expires_at)])
            if token_id:
                tx.delete(m.TriggerToken(token_id))
            for entry in index.schedule:
                tx.delete(m.ScheduleEntry(entry.slot, entry.automation_id))
            for entry in index.triggers:
                tx.delete(m.EventTriggerEntry(entry.bucket, entry.automation_id))
            if unwatch:
                tx.update(m.Account(rule.account_id), actions=[m.Account.run_watchers.delete({rule.id})])
        rule.deleted_at, rule.enabled, rule.expires_at = deleted_at, False, expires_at

    def rotate_token(self, rule: Rule, token: TriggerToken) -> None:
        """A new token item for the rule's api trigger, with the rule (its hint), in one transaction."""
        m = self._models()
        with transaction() as tx:
            tx.save(item_of(token, m.TriggerToken))
            tx.save(item_of(rule, m.Automation))

    def set_signing_secret(self, rule: Rule, secret: str, updated_at: str, previous: str | None = None,
                           previous_until: str | None = None) -> None:
        """A new webhook signing secret; `previous` (when given) still signs
        until `previous_until`, and any earlier previous one no more."""
        m = self._models()
        update(m.Automation(rule.id), {"signing_secret": secret, "previous_signing_secret": previous,
                                       "previous_secret_until": previous_until, "updated_at": updated_at})
        rule.signing_secret, rule.updated_at = secret, updated_at
        rule.previous_signing_secret, rule.previous_secret_until = previous, previous_until

    def add_signing_secret(self, rule: Rule, secret: str) -> str:
        """Give a rule saved before signing existed its first secret; when
        another worker gave it one first, that one. Returns the rule's secret."""
        m = self._models()
        try:
            update(m.Automation(rule.id), {"signing_secret": secret}, {"signing_secret": ABSENT})
            rule.signing_secret = secret
        except ConditionFailed:
            rule.signing_secret = self.get(rule.id).signing_secret
        return rule.signing_secret

    def listing(self, account_id: str, wanted: RuleFilter, limit: int, cursor: str | None,
                keep) -> tuple[list[Rule], str | None]:
        """One page of an account's rules, newest first: those the filter
        wants and `keep(rule)` holds for; and the cursor of the next page."""
        m = self._models()
        rules = m.Automation
        condition = rules.deleted_at.does_not_exist()
        if wanted.enabled is not None:
            condition &= rules.enabled == wanted.enabled
        if wanted.team_in is not None:
            condition &= rules.team_id.is_in(*sorted(wanted.team_in)) if wanted.team_in else rules.team_id < 0
        if wanted.teams_only:
            condition &= rules.team_id > 0
        results = rules.by_account.query(
            account_id, scan_index_forward=False, page_size=limit, filter_condition=condition,
            last_evaluated_key=decode_cursor(cursor, {"id", "account_id", "created_at"}, {"account_id": account_id}))
        page, next_cursor = take(results, lambda item: keep(record_of(item, Rule)), limit, lambda item: {
            "id": item.id, "account_id": item.account_id, "created_at": item.created_at})
        return [record_of(item, Rule) for item in page], next_cursor

    def live(self, account_id: str, team_id: int | None = None, runner_id: str | None = None,
             agent_id: str | None = None) -> list[Rule]:
        """The account's rules not deleted: of a team, whose environment names a runner, or that name an
        agent profile."""
        rules = self._models().Automation
        condition = rules.deleted_at.does_not_exist()
        if team_id is not None:
            condition &= rules.team_id == team_id
        if runner_id is not None:
            condition &= rules.environment.contains(runner_id)  # the JSON text names it
        if agent_id is not None:
            condition &= rules.agent_id == agent_id
        found = (record_of(item, Rule) for item in rules.by_account.query(account_id, filter_condition=condition))
        return [rule for rule in found if (team_id is None or int(rule.team_id) == team_id) and
                (runner_id is None or (rule.environment or {}).get("runner_id") == runner_id)]

    def every(self) -> list[Rule]:
        """Every rule (maintenance: a Scan, never on a request's path)."""
        return [record_of(item, Rule) for item in self._models().Automation.scan()]

    def put_many(self, rules: list[Rule]) -> None:
        """Write many rules as they are, without their side items (bulk loads: benchmarks)."""
        model = self._models().Automation
        with model.batch_write() as batch:
            for rule in rules:
                batch.save(item_of(rule, model))
