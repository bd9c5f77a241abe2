"""The run lease: what an environment (a runner, the cloud sandbox) holds
while it works a run, and the only thing it can write with.

The lease token (`srels_…`) is minted when the run starts, shown to the
environment once, kept as a hash on the run, and good for three calls on that
one run while it is `running` under that lease: append session items, renew
the lease, report the outcome. Each renewal (or a session batch, when the
lease is a third used) pushes the expiry on; the minute tick finds leases that
expired (the `work` index, never a scan) and returns the run to be placed
again, up to the attempt limit, or ends it `failed` saying the environment was
lost."""
from datetime import datetime

from chalicelib import settings
from chalicelib.clock import iso, iso_ms, parse_iso
from chalicelib.errors import Conflict, Invalid, Unauthorized
from chalicelib.events import triggers
from chalicelib.identity import tokens
from chalicelib.ops import tools
from chalicelib.runs import lifecycle, queue
from chalicelib.runs.lifecycle import Guard
from chalicelib.runs.publish import RUN_EVENTS, RunEvents
from chalicelib.sessions import items as sessions
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import Run

_BAD = "Missing or wrong lease token for this run (a lease token is good for one run, while its environment holds it)."
OUTCOMES = ("succeeded", "partial", "failed", "retry")


def authorize(run_id: str, headers, now: datetime) -> tuple[Run, str]:
    """The run and the lease hash when the token is the run's current lease:
    401 otherwise; 409 when the run is no longer running (cancelled, reaped,
    returned): the environment must stop."""
    run = tokens.bearer_item(headers, tokens.LEASE_TOKEN_PREFIX, lambda: repos.runs.get(run_id),
                             lambda found: found.lease_hash, Unauthorized(_BAD))
    if run.status != "running":
        raise Conflict(f"The run is {run.status} now" + (f" ({run.reason})" if run.reason else "")
                       + "; stop working on it.")
    return run, run.lease_hash


def _renew(run: Run, lease_hash: str, now: datetime) -> str:
    until = lifecycle.lease_until(now)
    try:
        repos.runs.renew_lease(run, lease_hash=lease_hash, until=until, heartbeat_at=iso(now))
    except ConditionFailed as exc:
        raise Conflict("The run's lease is gone (the run ended or went to another environment); stop working.") \
            from exc
    return until


def renew(run_id: str, headers, now: datetime) -> dict:
    """POST /runs/{id}/lease: the lease is good for LEASE_SECONDS more."""
    run, lease_hash = authorize(run_id, headers, now)
    return renew_held(run, lease_hash, now)


def renew_held(run: Run, lease_hash: str, now: datetime) -> dict:
    """Renew a lease the caller holds (checked by `authorize`, or minted in
    this process): a conditional write, 409 when the lease is gone."""
    return {"lease_expires_at": _renew(run, lease_hash, now)}


def tool(run_id: str, name: str, headers, body: dict, now: datetime) -> dict:
    """POST /runs/{id}/tools/{name}: one agent tool call over the run's own
    account's operations data or its automation's knowledge (the environment
    reads no table itself)."""
    run, lease_hash = authorize(run_id, headers, now)
    return tool_held(run, lease_hash, name, body, now)


def tool_held(run: Run, lease_hash: str, name: str, body: dict, now: datetime) -> dict:
    """A tool call under a lease the caller holds (see renew_held): `arguments` of the body."""
    arguments = body.get("arguments", {})
    return {"output": tools.call(run.account_id, name, arguments, now, automation_id=run.automation_id)}


def append(run_id: str, headers, body: dict, now: datetime) -> dict:
    """POST /runs/{id}/session: a batch of session items (written in one
    BatchWriteItem per 25); renews the lease when a third of it is used."""
    run, lease_hash = authorize(run_id, headers, now)
    return append_held(run, lease_hash, body, now)


def append_held(run: Run, lease_hash: str, body: dict, now: datetime) -> dict:
    """Write a session batch under a lease the caller holds (see renew_held)."""
    items = sessions.check_items(body.get("items"))
    sessions.write_items(run.session_id, items, run.expires_at)
    until = run.work_at
    renew_after = lifecycle.lease_seconds() * 2 / 3
    if not until or (parse_iso(until) - now).total_seconds() < renew_after:
        until = _renew(run, lease_hash, now)
    return {"written": len(items), "lease_expires_at": until}


def report(run_id: str, headers, body: dict, now: datetime, resend: bool = True) -> dict:
    """POST /runs/{id}/outcome: end the run through the lifecycle (its actions
    fire and its event is emitted as for any run), or `retry` it later."""
    run, lease_hash = authorize(run_id, headers, now)
    rule, account = lifecycle.rule_and_account(run)
    return report_held(run, lease_hash, body, now, rule, triggers.runs_watched(account), resend)


def report_held(run: Run, lease_hash: str, body: dict, now: datetime, rule, watched: bool = True,
                resend: bool = True, events: RunEvents = RUN_EVENTS) -> dict:
    """Report the outcome under a lease the caller holds (see renew_held),
    with the run's automation and its account's run-event marker at hand."""
    status, reason = body.get("status"), body.get("reason")
    if status not in OUTCOMES:
        raise Invalid(f"status must be one of {', '.join(OUTCOMES)}; got {status!r}", field="status")
    if reason is not None and not isinstance(reason, str):
        raise Invalid("reason must be a string", field="reason")
    if status != "succeeded" and not reason:
        raise Invalid(f"a {status} outcome needs a reason a user can read", field="reason")
    reason = reason[:1000] if reason and status != "succeeded" else None
    if status == "retry":
        delay = lifecycle.retry_later(run, rule, reason, now, lease_hash=lease_hash, watched=watched, events=events)
        if delay is not None and resend:
            queue.send_run(run, delay)
        return {"status": "retrying" if delay is not None else "failed", "retry_after": delay}
    if not lifecycle.finish(run, status, reason, now, rule=rule, guard=Guard(lease_hash=lease_hash), watched=watched,
                            events=events):
        raise Conflict("The run already ended; the outcome was not recorded.")
    return {"status": status, "retry_after": None}


def who(environment: dict | None) -> str:
    """The environment in words, for reasons."""
    env = environment or {}
    if env.get("type") == "runner" and env.get("runner_id"):
        return f"runner {env.get('runner_name') or env['runner_id']} ({env['runner_id']})"
    return "cloud sandbox"


def expire_lost(now: datetime) -> list[str]:
    """Minute tick: runs whose lease expired go back to be placed again (a new
    attempt), or end failed once the attempts are used up. Returns their ids."""
    limit, handled = settings.current().max_attempts, []
    for run in repos.runs.leases_expired(iso_ms(now)):
        if run.status != "running":
            continue
        attempt, expired = int(run.attempt or 0), iso(parse_iso(run.work_at))
        lost = f"The {who(run.environment)} was lost mid-run: its lease expired at {expired} without renewal"
        if attempt >= limit:
            if lifecycle.finish(run, "failed", f"{lost}; gave up after {attempt} attempt(s).", now,
                                guard=Guard(lease_until=run.work_at)):
                handled.append(run.id)
            continue
        try:
            repos.runs.requeue_lost(run, reason=f"{lost}; back in the queue for attempt {attempt + 1} of {limit}.",
                                    since=iso_ms(now))
        except ConditionFailed:
            continue  # renewed or ended meanwhile
        queue.send_run(run)
        handled.append(run.id)
    return handled
