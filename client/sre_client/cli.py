"""`sre`: the command line of the AI SRE automations service.

Every command speaks the public HTTP API with the key `sre login` saved (or
SRE_API_URL / SRE_API_KEY). An error from the API is printed in its own words
with exit code 1; `--json` prints the API's answer for scripts.

This module is the top group only: the commands live in `sre_client.commands`,
one module per group, and reach the API through click's `ctx.obj`, a
Connection (sre_client.connection) that reads the saved login only when a
command first needs it."""
import click

from sre_client.commands import (
    account,
    agents,
    alerts,
    auth,
    automations,
    changes,
    events,
    incidents,
    integrations,
    keys,
    knowledge,
    mcp,
    runners,
    runs,
    secrets,
)
from sre_client.commands.base import Group
from sre_client.connection import Connection

__all__ = ["Connection", "main"]


@click.group(cls=Group)
@click.version_option("0.1.0", prog_name="sre")
@click.pass_context
def main(ctx):
    """The AI SRE automations service from your terminal."""
    ctx.ensure_object(Connection)  # a caller's own (main(obj=Connection(...))), or one from the saved login


for command in (auth.login, auth.whoami, automations.automations, runs.trigger, runs.runs, runs.run, runs.cancel,
                runs.session, events.events, integrations.integrations, alerts.alerts, incidents.incidents,
                changes.changes, knowledge.knowledge, mcp.mcp, agents.agents, account.account, secrets.secrets,
                keys.keys, runners.runners, runners.runner):
    main.add_command(command)
