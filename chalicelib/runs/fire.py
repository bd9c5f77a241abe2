"""Runs started by events: what an event trigger fired becomes a queued run,
with its `triggered` actions queued in the same SendMessageBatch as the run
(nothing is sent here: the worker sends them). Events themselves are stored
and matched by chalicelib/events; this is where their firings start runs."""
import hashlib
import json

from chalicelib.events import ingest
from chalicelib.events.ingest import Firing
from chalicelib.observability import metrics
from chalicelib.ops import apply, canonical, hooks
from chalicelib.ops.arrivals import AlertArrival, ChangeArrival, IncidentArrival
from chalicelib.runs import notify, queue, records
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import Run


def fire(firing: Firing, now) -> Run | None:
    """Queue an `event` run of the firing's automation; one run per firing key
    (so a re-delivered event or a repeated minute tick fires once)."""
    rule = repos.rules.get(firing.automation_id)
    if rule is None or not rule.enabled or rule.deleted_at:
        return None
    event = firing.event
    text = f"{firing.why}\n\nEvent:\n{json.dumps(event, indent=2, ensure_ascii=False, default=str)}"
    run = records.new_queued(rule.id, rule.account_id, "event", now, text=text[:60_000],
                             run_id="run_" + hashlib.sha256(f"{rule.id}@{firing.firing_key}".encode()).hexdigest()[:20])
    run.trigger_event = event
    run.action_results = notify.queued_records(rule, "triggered", now)
    try:
        unsent = queue.enqueue(run, also=notify.messages(run, rule, "triggered", event))
    except ConditionFailed:
        return None
    notify.unsent(run, unsent, "could not be queued (SQS refused the message)", now)
    return run


def fire_all(firings: list[Firing], now) -> list[Run]:
    """The runs of several firings (those that started)."""
    return [run for run in (fire(firing, now) for firing in firings) if run is not None]


def record(account_id: str, event: dict, now, match_triggers: bool = True) -> tuple[bool, list[Run]]:
    """Store one event of ours (a run's, the scheduler's, a runner pool's) and
    start the runs it fires; (False, []) for an id seen before."""
    stored, firings = ingest.record(account_id, event, now, match_triggers=match_triggers)
    return stored, fire_all(firings, now)


def receive(account_id: str, body, now) -> dict:
    """POST /events: keep the good events of a request (those that stand for
    an alert, incident or change also into the operations model), start the
    runs they fire; the answer's `accepted`, `duplicates`, `rejected` and `runs`."""
    result, arrivals = ingest.ingest(account_id, body, now, check=canonical.arrival_of)
    model = [a.checked for a in arrivals if a.stored and a.checked is not None]
    if model:
        apply.apply_all(account_id, [m for m in model if isinstance(m, AlertArrival)],
                        [m for m in model if isinstance(m, IncidentArrival)],
                        [m for m in model if isinstance(m, ChangeArrival)], now, make_events=False)
    result["runs"] = []
    for arrival in arrivals:
        runs = fire_all(arrival.firings, now)
        metrics.event_ingested(arrival.event, arrival.stored, runs)
        result["runs"] += [run.id for run in runs]
    return result


def receive_hook(integration_id: str, headers: dict, body: bytes | None, now, path_secret: str | None = None) -> dict:
    """POST /hooks/{integration_id}: a monitoring tool's delivery stored
    (chalicelib/ops/hooks.py), and the runs its events fire started."""
    received = hooks.receive(integration_id, headers, body, now, path_secret=path_secret)
    runs = fire_all(received.firings, now)
    for event in received.events:
        metrics.event_ingested(event, True, [run for run in runs if run.trigger_event is event])
    received.answer["runs"] = [run.id for run in runs]
    return received.answer
