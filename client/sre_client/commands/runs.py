"""Runs and sessions: `sre trigger`, `sre runs`, `sre run`, `sre cancel`, `sre session`."""
import sys
import time

import click

from sre_client import config, render
from sre_client.commands.base import json_flag
from sre_client.connection import Connection

ENDED = ("succeeded", "partial", "failed", "skipped", "abandoned")
RUN_COLUMNS = [("RUN", "id"), ("CREATED", "created_at"), ("TRIGGER", "trigger"), ("STATUS", "status"),
               ("DURATION", "took"), ("ENVIRONMENT", "env"), ("REASON", "reason")]


def _run_row(r: dict) -> dict:
    took = f"{r['duration_ms'] / 1000:.1f} s" if r.get("duration_ms") is not None else None
    return {**r, "took": took, "env": render.environment(r.get("environment"))}


@click.command()
@click.argument("automation_id")
@click.option("--text", help="Context for this run (the body's text)")
@click.option("--token", envvar="SRE_TRIGGER_TOKEN", help="The trigger token (default: the one sre saved)")
@click.option("--idempotency-key", help="A repeated call with the same key returns the same run")
@click.option("--wait", is_flag=True, help="Follow the run to its end; exit 0 only when it succeeded")
@click.option("--timeout", default=900, show_default=True, help="Seconds --wait waits")
@json_flag
@click.pass_obj
def trigger(conn: Connection, automation_id, text, token, idempotency_key, wait, timeout, as_json):
    """Start a run through the automation's trigger URL, with its trigger token."""
    automation = conn.call("GET", f"/automations/{automation_id}")["automation"]
    api = next((t for t in automation["triggers"] if t["type"] == "api"), None)
    if api is None:
        raise click.ClickException(f"{automation_id} has no api trigger: add one with "
                                   f"`sre automations edit {automation_id} --api …`")
    token = token or config.trigger_token(automation_id)
    if not token:
        raise click.ClickException(f"no trigger token for {automation_id}: pass --token, or make a new one with "
                                   f"`sre automations rotate-token {automation_id}`")
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    fired = conn.call("POST", api["url"], {"text": text} if text is not None else {}, token=token, headers=headers)
    if not wait:
        return render.as_json(fired) if as_json else click.echo(f"{fired['run_id']} {fired['status']}")
    run = _follow(conn, fired["run_id"], timeout, quiet=as_json)
    if as_json:
        render.as_json({"run": run})
    else:
        click.echo(f"{run['id']} {run['status']}" + (f": {run['reason']}" if run.get("reason") else ""))
    sys.exit(0 if run["status"] == "succeeded" else 3)


def _follow(conn: Connection, run_id: str, timeout: float, quiet: bool) -> dict:
    deadline, seen = time.monotonic() + timeout, None
    while True:
        run = conn.call("GET", f"/runs/{run_id}")["run"]
        now = (run["status"], run.get("reason"), render.environment(run.get("environment")))
        if now != seen and not quiet and run["status"] not in ENDED:
            click.echo(f"{run_id} {run['status']}" + (f" on {now[2]}" if now[2] != "-" else "")
                       + (f" ({run['reason']})" if run.get("reason") else ""))
        seen = now
        if run["status"] in ENDED:
            return run
        if time.monotonic() > deadline:
            raise click.ClickException(f"{run_id} is still {run['status']} after {timeout} s")
        time.sleep(0.5)


@click.command()
@click.argument("automation_id")
@click.option("--status", help="A run status, or all")
@click.option("--since", help="ISO time (default: 30 days before --until)")
@click.option("--until", help="ISO time (default: now)")
@click.option("--limit", type=int, help="1-200 runs a page (default 50)")
@click.option("--cursor", help="next_cursor of the previous page")
@json_flag
@click.pass_obj
def runs(conn: Connection, automation_id, status, since, until, limit, cursor, as_json):
    """An automation's run history, newest first (the API's filters)."""
    params = {k: v for k, v in (("status", status), ("since", since), ("until", until), ("limit", limit),
                                ("cursor", cursor)) if v is not None}
    found = conn.call("GET", f"/automations/{automation_id}/runs", params=params)
    if as_json:
        return render.as_json(found)
    render.table([_run_row(r) for r in found["runs"]], RUN_COLUMNS, empty="no runs in this window")
    if found.get("next_cursor"):
        click.echo(f"more: --cursor {found['next_cursor']}")


@click.command()
@click.argument("run_id")
@json_flag
@click.pass_obj
def run(conn: Connection, run_id, as_json):
    """One run."""
    found = conn.call("GET", f"/runs/{run_id}")
    if as_json:
        return render.as_json(found)
    r = _run_row(found["run"])
    render.fields([(k.lower(), r.get(key)) for k, key in RUN_COLUMNS[1:]] +
                  [("attempt", r["attempt"]), ("session", r.get("session_id"))])


@click.command()
@click.argument("run_id")
@json_flag
@click.pass_obj
def cancel(conn: Connection, run_id, as_json):
    """Cancel a queued or running run."""
    found = conn.call("POST", f"/runs/{run_id}/cancel")
    render.as_json(found) if as_json else click.echo(f"{run_id} {found['run']['status']}: {found['run']['reason']}")


@click.command()
@click.argument("run_or_session_id")
@json_flag
@click.pass_obj
def session(conn: Connection, run_or_session_id, as_json):
    """A run's hidden session: the conversation, tool calls and artifacts."""
    session_id = run_or_session_id
    if run_or_session_id.startswith("run_"):
        session_id = conn.call("GET", f"/runs/{run_or_session_id}")["run"]["session_id"]
        if not session_id:
            raise click.ClickException(f"{run_or_session_id} has not started: it has no session yet")
    found = conn.call("GET", f"/sessions/{session_id}")
    render.as_json(found) if as_json else render.session(found["session"])
