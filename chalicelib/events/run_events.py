"""Our own events: every status a run enters is `automation.run.<status>`,
shaped like any other event, so an automation can react to another's runs.
(`queued` is not emitted: the trigger URL's hot path stays at three AWS calls.)
This module only shapes them; the run side records them (runs/publish.py)."""
from chalicelib import settings
from chalicelib.clock import iso_ms


def run_event(run, status: str, reason: str | None, now, name: str | None) -> dict:
    """The event of a run entering `status`."""
    parent = run.trigger_event or {}
    # Runs started by an event or by another automation's action count hops, so chains stop (matching.MAX_CHAIN).
    depth = (parent.get("payload") or {}).get("chain_depth", 0) + 1 if run.trigger in ("event", "automation") else 0
    return {
        "id": f"{run.id}.{status}.{int(run.attempt or 0)}", "event": f"automation.run.{status}",
        "occurred": iso_ms(now), "received": iso_ms(now),
        "resource": {"id": run.automation_id, "name": name, "kind": "automation"},
        "related": [{"id": run.id, "kind": "run"}],
        "payload": {"run_id": run.id, "status": status, "reason": reason, "trigger": run.trigger,
                    "attempt": int(run.attempt or 0),
                    "link": f"{settings.current().base_url}/runs/{run.id}", "chain_depth": depth},
    }
