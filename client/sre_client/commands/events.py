"""`sre events send` and `sre events list`."""
import json
import sys
from pathlib import Path

import click

from sre_client import render
from sre_client.commands.base import Group, json_flag
from sre_client.connection import Connection


@click.group(cls=Group)
def events():
    """Send and list events."""


@events.command("send")
@click.argument("name", required=False)
@click.option("--resource-id", help="The event's resource.id")
@click.option("--resource", "resource_json", help="The resource as a JSON object")
@click.option("--payload", help="The payload as a JSON object")
@click.option("--file", "-f", help="One event or a list, as JSON (- reads stdin)")
@json_flag
@click.pass_obj
def events_send(conn: Connection, name, resource_id, resource_json, payload, file, as_json):
    """Send an event (NAME with --resource-id/--payload), or events from a file."""
    if file:
        body = json.loads(sys.stdin.read() if file == "-" else Path(file).read_text())
    elif name:
        try:
            resource = json.loads(resource_json) if resource_json else {}
            body = {"event": name, "resource": {**resource, **({"id": resource_id} if resource_id else {})},
                    **({"payload": json.loads(payload)} if payload else {})}
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}") from exc
    else:
        raise click.UsageError("give an event NAME or --file")
    answer = conn.call("POST", "/events", body)
    if as_json:
        return render.as_json(answer)
    click.echo(f"accepted {len(answer['accepted'])}, duplicates {len(answer['duplicates'])}, "
               f"rejected {len(answer['rejected'])}; runs started: {', '.join(answer.get('runs') or []) or 'none'}")
    for bad in answer["rejected"]:
        click.echo(f"  rejected [{bad['index']}]: {bad['reason']}")


@events.command("list")
@click.option("--event", help="Name pattern, * wildcards")
@click.option("--resource-id")
@click.option("--since")
@click.option("--until")
@click.option("--limit", type=int)
@json_flag
@click.pass_obj
def events_list(conn: Connection, event, resource_id, since, until, limit, as_json):
    """Events of the account, newest first."""
    params = {k: v for k, v in (("event", event), ("resource_id", resource_id), ("since", since), ("until", until),
                                ("limit", limit)) if v is not None}
    found = conn.call("GET", "/events", params=params)
    if as_json:
        return render.as_json(found)
    rows = [{"occurred": e.get("occurred"), "event": e["event"], "resource": (e.get("resource") or {}).get("id"),
             "id": e.get("id")} for e in found["events"]]
    render.table(rows, [("OCCURRED", "occurred"), ("EVENT", "event"), ("RESOURCE", "resource"), ("ID", "id")],
                 empty="no events")
