"""`sre login` and `sre whoami`."""
import click

from sre_client import config, render
from sre_client.commands.base import json_flag
from sre_client.connection import Connection


@click.command()
@click.option("--url", prompt="API URL", help="The service's API, e.g. http://127.0.0.1:8000")
@click.option("--key", prompt="API key", hide_input=True, help="Your API key (sreak_…)")
@click.pass_obj
def login(conn: Connection, url, key):
    """Check an API URL and key, and save them (readable by you only)."""
    me = conn.call("GET", "/me", api=conn.connect(url, key))
    path = config.save(url, key)
    click.echo(f"logged in to {url.rstrip('/')} as {me['user']['email']} ({me['user']['role']}); saved in {path}")


@click.command()
@json_flag
@click.pass_obj
def whoami(conn: Connection, as_json):
    """Who the saved key belongs to, and their teams."""
    me = conn.call("GET", "/me")
    if as_json:
        return render.as_json(me)
    teams = ", ".join(f"{t['name']} ({t['id']})" for t in me["teams"]) or "none"
    click.echo(f"{me['user']['email']} ({me['user']['role']}, {me['user']['id']}); teams: {teams}")
