"""The runs repository: runs and their status changes.

Every change of a run's status is a named conditional write here (the core
says what it expects of the run; `ConditionFailed` when that no longer holds,
because another delivery, runner or tick changed it first). The store keeps
the attributes of its sparse indexes in step with the status, so the core
never sets them:

- `active` ("running") while a run runs: the reaper's index;
- `waiting` (one of WAITING_SHARDS) and `waiting_since` while a run waits for
  a worker (queued, or retrying and due back then): the sweeper's index;
- `work_key`/`work_at` while a run waits for a runner of a pool
  ("pool|<account>|<pool>") or holds a lease ("lease", until when): the
  runners' claim and the lost-lease check.
"""
import hashlib
from datetime import datetime

from chalicelib.store.dynamo import (
    decode_cursor,
    get,
    get_many,
    item_of,
    put,
    record_of,
    take,
    update,
)
from chalicelib.store.expect import ABSENT, In
from chalicelib.store.records import Account, Rule, Run

WAITING_SHARDS = 8  # partitions of the sparse `waiting` index
LEASE = "lease"
_CLEARED = {"active": None, "waiting": None, "waiting_since": None, "pool": None, "runner_teams": None,
            "work_key": None, "work_at": None}


def waiting_shard(run_id: str) -> str:
    """The `waiting` index partition of a run (stable per run)."""
    return f"w{int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:2], 'big') % WAITING_SHARDS}"


def pool_key(account_id: str, pool: str) -> str:
    """The `work` index key of a pool's waiting runs."""
    return f"pool|{account_id}|{pool}"


def is_expired(run: Run, now: datetime) -> bool:
    """TTL deletion can lag by days: an expired run is treated as gone."""
    return run.expires_at is not None and run.expires_at <= now


class Runs:
    """The named operations, on the primitives each kind of store implements
    (`_put_new`, `_change`, and the reads)."""

    # --- writes -------------------------------------------------------------------

    def add(self, run: Run) -> Run:
        """Save a new run (a queued one goes into the `waiting` index since its
        creation); ConditionFailed when a run of that id exists."""
        if run.status == "queued":
            run.waiting, run.waiting_since = waiting_shard(run.id), run.created_at
        self._put_new(run)
        return run

    def start(self, run: Run, *, attempt: int, session_id: str, environment: dict, started_at: str,
              heartbeat_at: str, reason: str | None, lease_hash: str, lease_until: str, only_from: tuple,
              from_pool: str | None = None) -> Run:
        """Now running in `environment` under a new lease. Expects a status of
        `only_from`, and when `from_pool` is given, that the run still waits in that pool."""
        expect = {"status": In(*only_from)}
        if from_pool:
            expect["work_key"] = from_pool
        return self._change(run, {**_CLEARED, "status": "running", "attempt": attempt, "active": "running",
                                  "started_at": started_at, "heartbeat_at": heartbeat_at, "session_id": session_id,
                                  "environment": environment, "reason": reason, "lease_hash": lease_hash,
                                  "work_key": LEASE, "work_at": lease_until}, expect)

    def finish(self, run: Run, *, status: str, reason: str | None, finished_at: str, duration_ms: int | None,
               only_from: tuple, action_records: dict | None = None, lease_hash: str | None = None,
               pool: str | None = None, from_pool: str | None = None, lease_until: str | None = None) -> Run:
        """Ended in `status`, with the records of the actions this fires.
        Expects a status of `only_from`, and each of these that is given: the
        lease it holds, the pool it waits in (`pool`, or its `work` key
        `from_pool`), the lease expiry the caller saw (`lease_until`)."""
        changes = {**_CLEARED, "status": status, "reason": reason, "finished_at": finished_at,
                   **({"duration_ms": duration_ms} if duration_ms is not None else {}),
                   **{f"action_results.{key}": value for key, value in (action_records or {}).items()}}
        expect = {"status": In(*only_from)}
        if lease_hash is not None:
            expect["lease_hash"] = lease_hash
        if pool is not None:
            expect["pool"] = pool
        if from_pool is not None:
            expect["work_key"] = from_pool
        if lease_until is not None:
            expect.update(work_key=LEASE, work_at=lease_until)
        return self._change(run, changes, expect)

    def retry(self, run: Run, *, reason: str, due_at: str, lease_hash: str | None = None) -> Run:
        """Back to wait for a worker until `due_at` (`retrying`). Expects it running (under `lease_hash`)."""
        expect = {"status": "running", **({"lease_hash": lease_hash} if lease_hash is not None else {})}
        return self._change(run, {"status": "retrying", "reason": reason, "active": None, "work_key": None,
                                  "work_at": None, "waiting": waiting_shard(run.id), "waiting_since": due_at}, expect)

    def wait_for_pool(self, run: Run, *, pool: str, runner_teams: list, reason: str, environment: dict,
                      since: str) -> Run:
        """Queued for a runner of `pool` (of `runner_teams`) to claim. Expects
        it waiting for a worker and not in a pool yet."""
        return self._change(run, {"status": "queued", "reason": reason, "pool": pool, "runner_teams": runner_teams,
                                  "environment": environment, "work_key": pool_key(run.account_id, pool),
                                  "work_at": since, "waiting": waiting_shard(run.id), "waiting_since": since},
                            {"status": In("queued", "retrying"), "pool": ABSENT})

    def renew_lease(self, run: Run, *, lease_hash: str, until: str, heartbeat_at: str) -> Run:
        """The lease holds until `until`. Expects it running under that lease."""
        return self._change(run, {"work_at": until, "heartbeat_at": heartbeat_at},
                            {"status": "running", "lease_hash": lease_hash})

    def requeue_lost(self, run: Run, *, reason: str, since: str) -> Run:
        """Its environment was lost: queued again, to be placed anew. Expects it
        running under the lease whose expiry the caller saw."""
        return self._change(run, {**_CLEARED, "status": "queued", "reason": reason, "environment": None,
                                  "waiting": waiting_shard(run.id), "waiting_since": since},
                            {"status": "running", "work_key": LEASE, "work_at": run.work_at})

    def note_resend(self, run: Run, *, resent_at: str, only_from: tuple) -> Run:
        """Count one more re-send of its message. Expects the status of
        `only_from` and the count the caller saw (so two sweeps send once)."""
        seen = int(run.resends or 0)
        return self._change(run, {"resends": seen + 1, "resent_at": resent_at},
                            {"status": In(*only_from), "resends": seen if seen else ABSENT})

    def turn_partial(self, run: Run, *, reason: str, action_records: dict) -> Run:
        """`succeeded` to `partial`, with the records of the actions that fires. Expects it succeeded."""
        return self._change(run, {"status": "partial", "reason": reason,
                                  **{f"action_results.{k}": v for k, v in action_records.items()}},
                            {"status": "succeeded"})

    def set_reason(self, run: Run, reason: str, *, status: str) -> Run:
        """A new reason. Expects the status the caller saw."""
        return self._change(run, {"reason": reason}, {"status": status})

    def set_action_results(self, run: Run, results: dict) -> Run:
        """How some of its actions went, by "<outcome>:<index>"."""
        return self._change(run, {f"action_results.{key}": value for key, value in results.items()}, {})

    # --- primitives -------------------------------------------------------------------

    def _put_new(self, run: Run) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def _change(self, run: Run, changes: dict, expect: dict) -> Run:  # pragma: no cover - interface
        raise NotImplementedError


class DynamoRuns(Runs):
    """Runs in the `runs` table."""

    @staticmethod
    def _model():
        from chalicelib.store.models import Run as RunItem
        return RunItem

    def get(self, run_id: str) -> Run | None:
        """A run by id (None when there is none; expired ones are the caller's business)."""
        return record_of(get(self._model(), run_id), Run)

    def _put_new(self, run: Run) -> None:
        put(item_of(run, self._model()), {"id": ABSENT})

    def _change(self, run: Run, changes: dict, expect: dict) -> Run:
        item = self._model()(run.id)
        update(item, changes, expect)
        stored = record_of(item, Run)
        run.__dict__.update(stored.__dict__)
        return run

    def delete(self, run_id: str) -> None:
        """Remove a run (one that was never queued after all)."""
        self._model()(run_id).delete()

    def with_rule(self, run_id: str, automation_id: str, account_id: str) -> tuple:
        """(run, its rule, its account) in one strongly consistent read (None for each that does not exist)."""
        from chalicelib.store.models import Account as AccountItem
        from chalicelib.store.models import Automation
        run, rule, account = get_many((self._model(), run_id), (Automation, automation_id),
                                      (AccountItem, account_id))
        return record_of(run, Run), record_of(rule, Rule), record_of(account, Account)

    def history(self, automation_id: str, since: str, until: str, status: str | None, limit: int,
                cursor: str | None, keep) -> tuple[list[Run], str | None]:
        """One page of a rule's runs created in [since, until], newest first,
        those for which `keep(run)` holds; and the cursor of the next page."""
        model = self._model()
        results = model.by_automation.query(
            automation_id, model.created_at.between(since, until),
            filter_condition=None if status is None else model.status == status,
            scan_index_forward=False, page_size=limit,
            last_evaluated_key=decode_cursor(cursor, {"id", "automation_id", "created_at"},
                                             {"automation_id": automation_id}))
        page, next_cursor = take(results, lambda item: keep(record_of(item, Run)), limit,
                                 lambda item: {"id": item.id, "automation_id": item.automation_id,
                                               "created_at": item.created_at})
        return [record_of(item, Run) for item in page], next_cursor

    def recent(self, automation_id: str, limit: int) -> list[Run]:
        """A rule's newest runs (one small page), newest first."""
        return [record_of(item, Run) for item in self._model().by_automation.query(
            automation_id, scan_index_forward=False, limit=limit, page_size=limit)]

    def waiting(self, before: str, per_shard: int | None = None):
        """Runs waiting for a worker since before `before` (one Query per shard,
        oldest first within each shard; at most `per_shard` of each when given)."""
        model = self._model()
        for shard in range(WAITING_SHARDS):
            for item in model.waiting_runs.query(f"w{shard}", model.waiting_since < before, limit=per_shard,
                                                 page_size=per_shard):
                yield record_of(item, Run)

    def running_since_before(self, cutoff: str):
        """Runs running now that started before `cutoff` (the sparse `active` index)."""
        model = self._model()
        return (record_of(item, Run) for item in model.active_runs.query("running", model.started_at < cutoff))

    def running_in_account(self, account_id: str) -> list[Run]:
        """The account's runs running now."""
        model = self._model()
        return [record_of(item, Run) for item in
                model.active_runs.query("running", filter_condition=model.account_id == account_id)]

    def in_pool(self, account_id: str, pool: str, limit: int) -> list[Run]:
        """Runs waiting for a runner of a pool, oldest first (one Query)."""
        return [record_of(item, Run) for item in
                self._model().work.query(pool_key(account_id, pool), limit=limit, page_size=limit)]

    def leases_expired(self, before: str):
        """Runs whose lease expired before `before`."""
        model = self._model()
        return (record_of(item, Run) for item in model.work.query(LEASE, model.work_at < before))

    def every(self):
        """Every run (maintenance and benchmarks: a Scan, never on a request's path)."""
        return (record_of(item, Run) for item in self._model().scan())
