"""`sre incidents list` and `sre incidents show KEY`."""
import click

from sre_client import render
from sre_client.commands.base import Group, json_flag
from sre_client.connection import Connection
from sre_client.operations import CHANGE_COLUMNS, LIST_FLAGS, duration, key_path, list_params, window_options

INCIDENT_COLUMNS = [("KEY", "key"), ("TITLE", "title"), ("SERVICE", "service"), ("URGENCY", "urgency"),
                    ("STATUS", "status"), ("OPENED", "opened_at"), ("RESOLVED", "resolved_at")]


@click.group(cls=Group)
def incidents():
    """Incidents from PagerDuty and from incident.* events, with their timelines."""


@incidents.command("list")
@click.option("--status", type=click.Choice(["open", "triggered", "acknowledged", "resolved"]),
              help="open: triggered or acknowledged")
@click.option("--service")
@window_options
@json_flag
@click.pass_obj
def incidents_list(conn: Connection, status, service, since, until, limit, cursor, as_json):
    """Incidents opened in a window, newest first."""
    params = list_params(status=status, service=service, since=since, until=until, limit=limit, cursor=cursor)
    found = conn.call("GET", "/incidents", params=params, flags=LIST_FLAGS)
    if as_json:
        return render.as_json(found)
    render.table(found["incidents"], INCIDENT_COLUMNS, empty="no incidents in this window")
    render.more(found)


@incidents.command("show")
@click.argument("key")
@json_flag
@click.pass_obj
def incidents_show(conn: Connection, key, as_json):
    """One incident (KEY such as pagerduty#Q1QH8K2ZJ7XW3M): its timeline, its alerts, the changes on its service
    in the 24 hours before it, and its times to detect, acknowledge and resolve."""
    found = conn.call("GET", key_path("incidents", key))
    if as_json:
        return render.as_json(found)
    i, metrics = found["incident"], found["metrics"]
    render.fields([("key", i["key"]), ("title", i["title"]), ("service", i.get("service")),
                   ("status", i["status"]), ("urgency", i.get("urgency")), ("priority", i.get("priority")),
                   ("opened", i.get("opened_at")), ("acknowledged", i.get("acknowledged_at")),
                   ("resolved", i.get("resolved_at")), ("assignees", ", ".join(i.get("assignees") or [])),
                   ("escalation", i.get("escalation")), ("link", i.get("url"))])
    click.echo(f"time to detect {duration(metrics.get('time_to_detect_seconds'))}, "
               f"acknowledge {duration(metrics.get('time_to_acknowledge_seconds'))}, "
               f"resolve {duration(metrics.get('time_to_resolve_seconds'))}"
               + (f" (first alert {metrics['first_alert_at']})" if metrics.get("first_alert_at") else ""))
    click.echo("\ntimeline:")
    render.table(found["timeline"], [("AT", "at"), ("WHAT", "what"), ("STATUS", "status"), ("WHO", "who")])
    click.echo("\nalerts:")
    render.table([{**a, "fired": len(a.get("firings") or []), "link": "linked" if a.get("linked") else "same service"}
                  for a in found["alerts"]],
                 [("KEY", "key"), ("NAME", "name"), ("SEVERITY", "severity"), ("FIRST START", "first_start"),
                  ("FIRINGS", "fired"), ("WHY", "link")])
    click.echo("\nchanges on its service in the 24 h before:")
    render.table(found["changes"], CHANGE_COLUMNS)
