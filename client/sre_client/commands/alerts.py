"""`sre alerts list` and `sre alerts show KEY`."""
import click

from sre_client import render
from sre_client.commands.base import Group, json_flag
from sre_client.connection import Connection
from sre_client.operations import LIST_FLAGS, duration, key_path, list_params

COLUMNS = [("KEY", "key"), ("NAME", "name"), ("SERVICE", "service"), ("SEVERITY", "severity"), ("STATUS", "status"),
           ("LAST START", "last_start"), ("FIRED", "fired")]


@click.group(cls=Group)
def alerts():
    """Alerts from the integrations and from alert.* events."""


@alerts.command("list")
@click.option("--status", type=click.Choice(["firing", "resolved"]), help="Their state now")
@click.option("--service")
@click.option("--severity")
@click.option("--limit", type=int, help="1-200 alerts a page (default 50)")
@click.option("--cursor", help="The `more:` cursor of the previous page")
@json_flag
@click.pass_obj
def alerts_list(conn: Connection, status, service, severity, limit, cursor, as_json):
    """The account's alerts as they stand now."""
    params = list_params(status=status, service=service, severity=severity, limit=limit, cursor=cursor)
    found = conn.call("GET", "/alerts", params=params, flags=LIST_FLAGS)
    if as_json:
        return render.as_json(found)
    render.table(found["alerts"], COLUMNS, empty="no alerts")
    render.more(found)


@alerts.command("show")
@click.argument("key")
@click.option("--limit", type=int, help="1-100 firings a page (default 50)")
@click.option("--cursor", help="The `more:` cursor of the previous page")
@json_flag
@click.pass_obj
def alerts_show(conn: Connection, key, limit, cursor, as_json):
    """One alert (KEY as `alerts list` shows it, e.g. alertmanager#6760336f7be5bae2) and its firings, newest first."""
    params = list_params(limit=limit, cursor=cursor)
    found = conn.call("GET", key_path("alerts", key), params=params, flags=LIST_FLAGS)
    if as_json:
        return render.as_json(found)
    a = found["alert"]
    render.fields([("key", a["key"]), ("name", a["name"]), ("service", a.get("service")),
                   ("severity", a.get("severity")), ("status", a["status"]), ("source", a.get("source")),
                   ("first seen", a.get("first_seen")), ("last start", a.get("last_start")),
                   ("last end", a.get("last_end")), ("fired", a.get("fired")), ("link", a.get("generator_url"))])
    for title, values in (("labels", a.get("labels")), ("annotations", a.get("annotations"))):
        if values:
            click.echo(f"{title}:")
            for name, value in sorted(values.items()):
                click.echo(f"  {name}={value}")
    click.echo("firings:")
    rows = [{**f, "took": duration(f.get("duration_seconds")) if f.get("end") else "firing"}
            for f in found["firings"]]
    render.table(rows, [("START", "start"), ("END", "end"), ("DURATION", "took"), ("ACKNOWLEDGED BY", "acked_by")],
                 empty="(none)")
    render.more(found)
