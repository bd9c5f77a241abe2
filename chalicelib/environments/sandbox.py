"""The Cloud Sandbox: runs execute in a function of their own.

The worker starts the run with a lease and sends its work to the sandbox
queue; the `sandbox` Lambda (its own role: no table, no queue but its own, no
secret but the model key; its own short timeout) runs the agent with the
same executor as a runner and reports the session and outcome to the API with
the run's lease token, exactly as a runner does. If the function dies or
times out, the lease expires and the minute tick deals with the run.

On the local stack the sandbox is its own process without AWS credentials
(devstack/sandbox.py); tests and benchmarks may set CLOUD_SANDBOX=inline to
work the session inside the worker through the same executor, with the lease
calls made in-process instead of over HTTP: on the run, automation and
account marker the worker read to start it, so no call reads them again (the
lease is still checked by the conditional writes of renewal and outcome; a
change to the automation while such a session works shows from its next run).
"""
import json
import logging
import time

from chalicelib import settings
from chalicelib.environments import leases
from chalicelib.errors import Conflict, NotFound, Unauthorized
from chalicelib.runs.publish import RunEvents
from chalicelib.store import repos
from sre_agent.executor import Cancelled, execute

log = logging.getLogger(__name__)
MARGIN_SECONDS = 15  # stop this long before the function's timeout, to report the outcome
SANDBOX = "sandbox"


def launch(work: dict) -> None:
    """Hand a started run to the sandbox function (through its queue)."""
    repos.queues.send(SANDBOX, work)


def working_seconds(sandbox_seconds: int) -> float:
    """How long the sandbox works sessions in one invocation: its function's
    limit less a margin to report the outcome in (MARGIN_SECONDS, or a
    quarter of a limit too short for that)."""
    return sandbox_seconds - min(MARGIN_SECONDS, sandbox_seconds / 4)


def handle(records: list[dict], agent=None, http=None) -> dict:
    """The sandbox function: each record is one run's work. Never reports a
    failed record: the outcome goes to the API, and a lost run is the lease's
    business (a redelivered message would find its lease gone). The stop is
    counted from the invocation's start: every session of it ends before."""
    from sre_agent.remote import LeaseReporter  # requests: only the sandbox function pays for it

    s = settings.current()
    api_url, stop = s.sandbox_api_url, time.monotonic() + working_seconds(s.sandbox_seconds)
    for record in records:
        try:
            work = json.loads(record["body"])
            reporter = LeaseReporter(api_url, work["run_id"], work["lease"]["token"], http=http)
            execute(work, reporter, s.agent, agent=agent, renew_seconds=work["lease"]["renew_seconds"],
                    background=True, time_limit=max(0.0, stop - time.monotonic()), limit_name="cloud sandbox")
        except Exception:
            log.exception("sandbox message %s could not be worked", record.get("messageId"))
    return {"batchItemFailures": []}


class _InProcess:
    """The lease calls made directly (tests and benchmarks: CLOUD_SANDBOX=inline),
    on the run the worker started (its lease hash is the one just minted)."""

    def __init__(self, run, rule, watched: bool, clock, events: RunEvents):
        self.run, self.rule, self.watched, self.clock, self.events = run, rule, watched, clock, events

    def _call(self, fn, *args, **kw):
        try:
            return fn(self.run, self.run.lease_hash, *args, self.clock(), **kw)
        except (Conflict, Unauthorized, NotFound) as exc:
            raise Cancelled(str(exc)) from exc

    def append(self, items):
        self._call(leases.append_held, {"items": items})

    def renew(self):
        self._call(leases.renew_held)

    def tool(self, name, args):
        return self._call(leases.tool_held, name, {"arguments": args})["output"]

    def finish(self, status, reason):
        return self._call(leases.report_held, {"status": status, "reason": reason}, rule=self.rule,
                          watched=self.watched, resend=False, events=self.events)


def run_inline(work: dict, clock, agent=None, *, run, rule, watched: bool = True, events: RunEvents) -> dict:
    """Work the session of `run` (just started, with `work`) in this process
    (CLOUD_SANDBOX=inline); the executor's result."""
    s = settings.current()
    return execute(work, _InProcess(run, rule, watched, clock, events), s.agent, agent=agent, clock=clock,
                   renew_seconds=s.heartbeat_seconds)
