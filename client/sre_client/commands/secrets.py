"""`sre secrets set`."""
import sys

import click

from sre_client.commands.base import Group
from sre_client.connection import Connection


@click.group(cls=Group)
def secrets():
    """Named secrets for actions (owner, admin)."""


@secrets.command("set")
@click.argument("name")
@click.option("--value", help="The value (default: read from stdin, or prompted)")
@click.pass_obj
def secrets_set(conn: Connection, name, value):
    """Store a secret's value; it is never shown again."""
    if value is None:
        value = sys.stdin.read().strip() if not sys.stdin.isatty() else click.prompt("value", hide_input=True)
    answer = conn.call("PUT", f"/secrets/{name}", {"value": value})
    click.echo(f"secret {name} {'created' if answer['created'] else 'updated'}")
