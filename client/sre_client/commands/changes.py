"""`sre changes list`."""
import click

from sre_client import render
from sre_client.commands.base import Group, json_flag
from sre_client.connection import Connection
from sre_client.operations import CHANGE_COLUMNS, LIST_FLAGS, list_params, window_options


@click.group(cls=Group)
def changes():
    """Changes (deploys, config changes) from GitHub and from change.* events."""


@changes.command("list")
@click.option("--service")
@window_options
@json_flag
@click.pass_obj
def changes_list(conn: Connection, service, since, until, limit, cursor, as_json):
    """Changes made in a window, newest first."""
    params = list_params(service=service, since=since, until=until, limit=limit, cursor=cursor)
    found = conn.call("GET", "/changes", params=params, flags=LIST_FLAGS)
    if as_json:
        return render.as_json(found)
    render.table(found["changes"], CHANGE_COLUMNS, empty="no changes in this window")
    render.more(found)
