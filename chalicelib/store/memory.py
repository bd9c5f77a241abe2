"""In-memory twins of the repositories, for fast unit tests of the core:
the same operations, the same conditions (a failed one raises
ConditionFailed), the same orders, on dicts. Records go in and come out as
copies, as they would from a table. tests/test_store.py runs the same checks
against these and the DynamoDB ones."""
import copy
import json
from dataclasses import replace

from chalicelib.store import ConditionFailed, Repositories
from chalicelib.store.agents import MemoryAgents
from chalicelib.store.expect import all_hold
from chalicelib.store.mcp_servers import MemoryMcpServers
from chalicelib.store.memory_knowledge import MemoryKnowledge
from chalicelib.store.memory_operations import MemoryIntegrations, MemoryOperations
from chalicelib.store.memory_paging import _copy, _page
from chalicelib.store.records import Event, EventWindow, Rule, Run, ScheduleEntry, SessionItem, Tick
from chalicelib.store.rules import RuleFilter, RuleWrite
from chalicelib.store.runs import LEASE, WAITING_SHARDS, Runs, pool_key


class MemoryRuns(Runs):
    def __init__(self, rules: "MemoryRules", accounts: "MemoryAccounts"):
        self.items: dict[str, Run] = {}
        self._rules, self._accounts = rules, accounts

    def get(self, run_id):
        return _copy(self.items.get(run_id))

    def _put_new(self, run):
        if run.id in self.items:
            raise ConditionFailed(f"run {run.id} exists")
        self.items[run.id] = _copy(run)

    def _change(self, run, changes, expect):
        stored = self.items.get(run.id)
        if stored is None or not all_hold(stored, expect):
            raise ConditionFailed(f"run {run.id} is not as expected: {expect}")
        for name, value in changes.items():
            if "." in name:
                top, key = name.split(".", 1)
                getattr(stored, top)[key] = copy.deepcopy(value)
            else:
                setattr(stored, name, copy.deepcopy(value))
        run.__dict__.update(_copy(stored).__dict__)
        return run

    def delete(self, run_id):
        self.items.pop(run_id, None)

    def with_rule(self, run_id, automation_id, account_id):
        return self.get(run_id), self._rules.get(automation_id), self._accounts.get(account_id)

    def _newest(self, automation_id):
        return sorted((r for r in self.items.values() if r.automation_id == automation_id),
                      key=lambda r: r.created_at, reverse=True)

    def history(self, automation_id, since, until, status, limit, cursor, keep):
        found = [r for r in self._newest(automation_id) if since <= r.created_at <= until and
                 (status is None or r.status == status)]
        return _page(found, lambda r: r.created_at + "|" + r.id, f"runs:{automation_id}", limit, cursor, keep)

    def recent(self, automation_id, limit):
        return [_copy(r) for r in self._newest(automation_id)[:limit]]

    def waiting(self, before, per_shard=None):
        for shard in range(WAITING_SHARDS):
            found = sorted((r for r in self.items.values() if r.waiting == f"w{shard}" and r.waiting_since
                            and r.waiting_since < before), key=lambda r: r.waiting_since)
            yield from (_copy(r) for r in found[:per_shard])

    def running_since_before(self, cutoff):
        return [_copy(r) for r in sorted(self.items.values(), key=lambda r: r.started_at or "")
                if r.active == "running" and r.started_at and r.started_at < cutoff]

    def running_in_account(self, account_id):
        return [_copy(r) for r in self.items.values() if r.active == "running" and r.account_id == account_id]

    def in_pool(self, account_id, pool, limit):
        key = pool_key(account_id, pool)
        return [_copy(r) for r in sorted((r for r in self.items.values() if r.work_key == key),
                                         key=lambda r: r.work_at)[:limit]]

    def leases_expired(self, before):
        return [_copy(r) for r in sorted(self.items.values(), key=lambda r: r.work_at or "")
                if r.work_key == LEASE and r.work_at < before]

    def every(self):
        return [_copy(r) for r in self.items.values()]


class MemoryRules:
    def __init__(self, accounts: "MemoryAccounts", schedule: "MemorySchedule", events: "MemoryEvents"):
        self.items: dict[str, Rule] = {}
        self.tokens: dict = {}
        self._accounts, self._schedule, self._events = accounts, schedule, events

    def get(self, automation_id):
        return _copy(self.items.get(automation_id))

    def with_account(self, automation_id, account_id):
        return self.get(automation_id), self._accounts.get(account_id)

    def token(self, trigger_id):
        return _copy(self.tokens.get(trigger_id))

    def save(self, rule, write: RuleWrite):
        self.items[rule.id] = _copy(rule)
        if write.new_token:
            self.tokens[write.new_token.trigger_id] = _copy(write.new_token)
        elif write.synced_token and write.synced_token in self.tokens:
            token = self.tokens[write.synced_token]
            token.enabled, token.owner_id = rule.enabled, rule.owner_id
        if write.dropped_token:
            self.tokens.pop(write.dropped_token, None)
        for entry in write.stale.schedule:
            self._schedule.entries_by_key.pop((entry.slot, entry.automation_id), None)
        for entry in write.stale.triggers:
            self._events.trigger_entries.pop((entry.bucket, entry.automation_id), None)
        for entry in write.index.schedule:
            self._schedule.entries_by_key[(entry.slot, entry.automation_id)] = _copy(entry)
        for entry in write.index.triggers:
            self._events.trigger_entries[(entry.bucket, entry.automation_id)] = _copy(entry)
        if write.watches_runs is not None:
            account = self._accounts.accounts.get(rule.account_id)
            if account is not None:
                watchers = set(account.run_watchers or ()) | {rule.id} if write.watches_runs else \
                    set(account.run_watchers or ()) - {rule.id}
                account.run_watchers = watchers or None

    def delete(self, rule, *, deleted_at, expires_at, token_id, index, unwatch):
        rule.deleted_at, rule.enabled, rule.expires_at = deleted_at, False, expires_at
        stored = self.items[rule.id]
        stored.deleted_at, stored.enabled, stored.expires_at = deleted_at, False, expires_at
        self.save(stored, RuleWrite(index=type(index)(), stale=index, dropped_token=token_id,
                                    watches_runs=False if unwatch else None))

    def rotate_token(self, rule, token):
        self.tokens[token.trigger_id] = _copy(token)
        self.items[rule.id] = _copy(rule)

    def set_signing_secret(self, rule, secret, updated_at, previous=None, previous_until=None):
        for each in (self.items[rule.id], rule):
            each.signing_secret, each.updated_at = secret, updated_at
            each.previous_signing_secret, each.previous_secret_until = previous, previous_until

    def add_signing_secret(self, rule, secret):
        stored = self.items[rule.id]
        if not stored.signing_secret:
            stored.signing_secret = secret
        rule.signing_secret = stored.signing_secret
        return rule.signing_secret

    def listing(self, account_id, wanted: RuleFilter, limit, cursor, keep):
        found = sorted((r for r in self.items.values() if r.account_id == account_id and wanted.holds(r)),
                       key=lambda r: r.created_at, reverse=True)
        return _page(found, lambda r: r.created_at + "|" + r.id, f"rules:{account_id}", limit, cursor, keep)

    def live(self, account_id, team_id=None, runner_id=None, agent_id=None):
        return [_copy(r) for r in self.items.values() if r.account_id == account_id and not r.deleted_at and
                (team_id is None or int(r.team_id) == team_id) and
                (runner_id is None or (r.environment or {}).get("runner_id") == runner_id) and
                (agent_id is None or r.agent_id == agent_id)]

    def every(self):
        return [_copy(r) for r in self.items.values()]

    def put_many(self, rules):
        for rule in rules:
            self.items[rule.id] = _copy(rule)


class MemoryAccounts:
    def __init__(self):
        self.accounts, self.users, self.keys, self.teams, self.members = {}, {}, {}, {}, {}

    def create(self, account):
        if account.id in self.accounts:
            raise ConditionFailed(f"account {account.id} exists")
        self.accounts[account.id] = _copy(account)

    def get(self, account_id):
        return _copy(self.accounts.get(account_id))

    def any_exists(self):
        return bool(self.accounts)

    def next_team_id(self, account_id):
        account = self.accounts[account_id]
        account.next_team_id = int(account.next_team_id or 0) + 1
        return account.next_team_id

    def set_settings(self, account_id, business_hours, timezone):
        account = self.accounts[account_id]
        account.business_hours, account.timezone = _copy(business_hours), timezone

    def set_default_agent(self, account_id, agent_id, only_if=None):
        account = self.accounts.get(account_id)
        if account is None or (only_if and account.default_agent_id != only_if):
            raise ConditionFailed(f"account {account_id}: the default agent profile is not {only_if}")
        account.default_agent_id = agent_id

    def mark_has_knowledge(self, account_id):
        if account_id in self.accounts:
            self.accounts[account_id].has_knowledge = True

    def mark_has_runners(self, account_id):
        if account_id in self.accounts:
            self.accounts[account_id].has_runners = True

    def user(self, user_id):
        return _copy(self.users.get(user_id))

    def email_taken(self, email):
        return any(u.email == email for u in self.users.values())

    def add_user(self, user):
        self.users[user.id] = _copy(user)

    def users_with_role(self, role):
        return [_copy(u) for u in self.users.values() if u.role == role]

    def key(self, key_id):
        return _copy(self.keys.get(key_id))

    def add_key(self, key):
        if key.key_id in self.keys:
            raise ConditionFailed(f"key {key.key_id} exists")
        self.keys[key.key_id] = _copy(key)

    def replace_key(self, new, old_key_id):
        old = self.keys.get(old_key_id)
        if new.key_id in self.keys or old is None or old.user_id != new.user_id:
            raise ConditionFailed("the key to replace is not the user's")
        del self.keys[old_key_id]
        self.keys[new.key_id] = _copy(new)

    def delete_key(self, key_id):
        self.keys.pop(key_id, None)

    def keys_of(self, user_id):
        return sorted((_copy(k) for k in self.keys.values() if k.user_id == user_id), key=lambda k: k.created_at)

    def delete_keys_of(self, user_id):
        gone = [k for k, v in self.keys.items() if v.user_id == user_id]
        for key_id in gone:
            del self.keys[key_id]
        return len(gone)

    def team(self, account_id, team_id):
        return _copy(self.teams.get((account_id, int(team_id))))

    def add_team(self, team):
        self.teams[(team.account_id, int(team.team_id))] = _copy(team)

    def teams(self, account_id):
        return [_copy(t) for (a, _), t in sorted(self.teams.items()) if a == account_id]

    def teams_by_id(self, account_id, team_ids):
        return [_copy(self.teams[(account_id, t)]) for t in team_ids if (account_id, t) in self.teams]

    def delete_team(self, account_id, team_id):
        self.teams.pop((account_id, int(team_id)), None)
        gone = [k for k, account in self.members.items() if k[1] == team_id and account == account_id]
        for key in gone:
            del self.members[key]
        return len(gone)

    def is_member(self, user_id, team_id):
        return (user_id, int(team_id)) in self.members

    def add_member(self, account_id, user_id, team_id):
        self.members[(user_id, int(team_id))] = account_id

    def remove_member(self, user_id, team_id):
        self.members.pop((user_id, int(team_id)), None)

    def team_ids_of(self, user_id):
        return frozenset(t for (u, t) in self.members if u == user_id)


class MemoryRunners:
    def __init__(self):
        self.items = {}

    def add(self, runner):
        self.items[(runner.account_id, runner.id)] = _copy(runner)

    def get(self, account_id, runner_id):
        return _copy(self.items.get((account_id, runner_id)))

    def by_id(self, runner_id):
        return next((_copy(r) for r in self.items.values() if r.id == runner_id), None)

    def of_account(self, account_id):
        return [_copy(r) for (a, _), r in sorted(self.items.items()) if a == account_id]

    def every(self):
        return [_copy(r) for r in self.items.values()]

    def set_heartbeat(self, runner, at):
        self.items[(runner.account_id, runner.id)].last_heartbeat = at
        runner.last_heartbeat = at

    def set_token_hash(self, runner, token_hash):
        self.items[(runner.account_id, runner.id)].token_hash = token_hash
        runner.token_hash = token_hash

    def delete(self, runner):
        self.items.pop((runner.account_id, runner.id), None)


class MemorySessions:
    def __init__(self):
        self.by_session: dict[str, dict[int, SessionItem]] = {}

    def write(self, session_id, items, expires_at):
        for item in items:
            self.by_session.setdefault(session_id, {})[item.seq] = _copy(item)
        return len(items)

    def items(self, session_id):
        return iter([_copy(i) for _, i in sorted(self.by_session.get(session_id, {}).items())])


class MemoryEvents:
    def __init__(self):
        self.stored: dict[tuple, Event] = {}
        self.trigger_entries: dict[tuple, object] = {}
        self.windows: dict[str, EventWindow] = {}

    def add_once(self, event):
        if (event.account_id, event.id) in self.stored:
            raise ConditionFailed(f"event {event.id} exists")
        self.stored[(event.account_id, event.id)] = _copy(event)

    def page(self, account_id, since, until, limit, cursor, keep):
        def key(event):
            return f"{event.body['occurred']}#{event.id}"
        found = sorted((e for (a, _), e in self.stored.items() if a == account_id and
                        since <= key(e) <= until + "#\uffff"), key=key, reverse=True)
        return _page(found, key, f"events:{account_id}", limit, cursor, keep)

    def triggers_in(self, bucket):
        return [_copy(e) for (b, _), e in sorted(self.trigger_entries.items()) if b == bucket]

    def put_triggers(self, entries):
        for entry in entries:
            self.trigger_entries[(entry.bucket, entry.automation_id)] = _copy(entry)

    def window(self, key):
        return _copy(self.windows.get(key))

    def save_window(self, window):
        stored = self.windows.get(window.key)
        if (stored.version if stored else None) != window.version:
            raise ConditionFailed(f"window {window.key} changed")
        window.version = (window.version or 0) + 1
        self.windows[window.key] = _copy(window)

    def expired_windows(self, now):
        return [_copy(w) for w in sorted(self.windows.values(), key=lambda w: w.deadline or "")
                if w.open == "1" and w.deadline and w.deadline <= now]


class MemorySchedule:
    def __init__(self):
        self.entries_by_key: dict[tuple, ScheduleEntry] = {}
        self.accounts: dict[str, set] = {}
        self.records: dict[str, Tick] = {}

    def entries(self, slot, limit, cursor=None):
        found = [e for (s, _), e in sorted(self.entries_by_key.items()) if s == slot]
        after = (cursor or {}).get("automation_id")
        if after:
            found = [e for e in found if e.automation_id > after]
        page = found[:limit]
        more = len(found) > limit
        return [_copy(e) for e in page], ({"slot": slot, "automation_id": page[-1].automation_id} if more else None)

    def every_entry(self):
        return [_copy(e) for e in self.entries_by_key.values()]

    def replace_entries(self, remove, add):
        for entry in remove:
            self.entries_by_key.pop((entry.slot, entry.automation_id), None)
        for entry in add:
            self.entries_by_key[(entry.slot, entry.automation_id)] = _copy(entry)

    def register(self, account_id, keys):
        self.accounts.setdefault(account_id, set()).update(keys)

    def registry(self):
        return [(account_id, set(keys)) for account_id, keys in sorted(self.accounts.items())]

    def tick(self, name):
        return _copy(self.records.get(name))

    def ticks(self):
        return {name: _copy(t) for name, t in self.records.items()}

    def record_tick(self, tick, only_if_newer=True):
        stored = self.records.get(tick.name)
        if only_if_newer and stored is not None and not stored.slot < tick.slot:
            raise ConditionFailed(f"a tick as new as {tick.slot} is recorded")
        self.records[tick.name] = replace(tick, data=copy.deepcopy(tick.data))


class MemoryQueues:
    """Messages kept in lists by queue name; `sent` holds (body, delay) in order."""

    def __init__(self):
        self.sent: dict[str, list[tuple[dict, int]]] = {}
        self.refuse: set[str] = set()  # queue names whose sends fail (tests of lost sends)
        self.delays: list[tuple[str, str, int]] = []

    def url(self, name):
        return f"memory://{name}"

    def _take(self, name, body, delay):
        if name in self.refuse:
            raise RuntimeError(f"the {name} queue refuses messages")
        self.sent.setdefault(name, []).append((json.loads(json.dumps(body, default=str)), delay))

    def send(self, name, body, delay_seconds=0):
        self._take(name, body, delay_seconds)

    def send_batch(self, name, entries):
        if name in self.refuse:
            return list(entries)
        for entry in entries:
            self._take(name, json.loads(entry["MessageBody"]), entry.get("DelaySeconds", 0))
        return []

    def delay(self, name, receipt_handle, seconds):
        self.delays.append((name, receipt_handle, seconds))

    def depth(self, name):
        count = len(self.sent.get(name, []))
        return {"depth": count, "visible": count, "in_flight": 0, "delayed": 0}

    def bodies(self, name: str) -> list[dict]:
        """The bodies sent to a queue, oldest first."""
        return [body for body, _ in self.sent.get(name, [])]

    def drain(self, name: str) -> list[dict]:
        """The bodies sent to a queue, taken out of it."""
        return [body for body, _ in self.sent.pop(name, [])]


def repositories() -> Repositories:
    """A fresh set of empty in-memory repositories."""
    accounts, schedule, events = MemoryAccounts(), MemorySchedule(), MemoryEvents()
    rules = MemoryRules(accounts, schedule, events)
    return Repositories(accounts=accounts, runners=MemoryRunners(), rules=rules,
                        runs=MemoryRuns(rules, accounts), sessions=MemorySessions(), events=events,
                        schedule=schedule, queues=MemoryQueues(), integrations=MemoryIntegrations(),
                        operations=MemoryOperations(events), mcp_servers=MemoryMcpServers(),
                        knowledge=MemoryKnowledge(), agents=MemoryAgents())
