"""`sre agents …`: agent profiles, the model backend an automation's runs use (list, show, create, edit, delete)."""
import click

from sre_client import render
from sre_client.commands.base import Group, delete_after_asking, json_flag, yes_flag
from sre_client.connection import Connection

BACKENDS = ("builtin", "openai", "bedrock")
FLAGS = {"name": "--name", "team_id": "--team", "backend": "--backend", "model": "--model", "base_url": "--base-url",
         "api_key_secret": "--key-secret", "max_steps": "--max-steps", "max_tokens": "--max-tokens",
         "default": "--default"}
COLUMNS = [("NAME", "name"), ("ID", "id"), ("BACKEND", "backend"), ("MODEL", "model"), ("TEAM", "team_id"),
           ("KEY SECRET", "api_key_secret"), ("DEFAULT", "default")]


@click.group(cls=Group)
def agents():
    """Agent profiles: backend, model, endpoint and key secret of automations' runs (owner, admin change them)."""


def profile_options(fn):
    """The profile's fields as flags (each left out of the body when not given)."""
    for option in reversed([
        click.option("--name", help="A name to know it by, e.g. 'gpt-4o prod'"),
        click.option("--team", "--team-id", "team_id", type=int, help="0 for the whole account, or a team id"),
        click.option("--backend", type=click.Choice(BACKENDS), help="builtin, openai (any Chat Completions "
                                                                    "endpoint) or bedrock"),
        click.option("--model", help="The model name (openai: required; bedrock: the Converse model id)"),
        click.option("--base-url", help="openai: the endpoint, e.g. https://api.openai.com/v1"),
        click.option("--key-secret", "api_key_secret",
                     help="The NAME of the account secret holding the key (set it with `sre secrets set`)"),
        click.option("--max-steps", type=int, help="Model calls per run at most (1-50; default 8)"),
        click.option("--max-tokens", type=int, help="Tokens per run at most (1000-2000000; default 50000)"),
        click.option("--default/--not-default", "default", default=None,
                     help="Make it (or stop it being) the account's default profile"),
    ]):
        fn = option(fn)
    return fn


def _body(**given) -> dict:
    return {key: value for key, value in given.items() if value is not None}


def _print(agent: dict, verb: str | None = None) -> None:
    if verb:
        click.echo(f"{verb} {agent['id']} ({agent['name']})")
    render.fields([("id", agent["id"]), ("name", agent["name"]), ("backend", agent["backend"]),
                   ("model", agent.get("model") or "-"), ("base url", agent.get("base_url") or "-"),
                   ("key secret", agent.get("api_key_secret") or "none"),
                   ("team", agent.get("team_id") or "whole account"), ("max steps", agent["max_steps"]),
                   ("max tokens", agent["max_tokens"]), ("default", "yes" if agent.get("default") else "no")])


@agents.command("list")
@json_flag
@click.pass_obj
def agents_list(conn: Connection, as_json):
    """The agent profiles you can see."""
    found = conn.call("GET", "/agents")
    if as_json:
        return render.as_json(found)
    render.table([{**a, "default": "yes" if a["default"] else ""} for a in found["agents"]], COLUMNS,
                 empty="no agent profiles (runs use the deployment's AGENT_BACKEND)")


@agents.command("show")
@click.argument("agent_id")
@json_flag
@click.pass_obj
def agents_show(conn: Connection, agent_id, as_json):
    """One agent profile (its key only by its secret's name)."""
    found = conn.call("GET", f"/agents/{agent_id}")
    render.as_json(found) if as_json else _print(found["agent"])


@agents.command("create")
@profile_options
@json_flag
@click.pass_obj
def agents_create(conn: Connection, as_json, **given):
    """Create an agent profile (owner, admin)."""
    body = _body(**given)
    body.setdefault("team_id", 0)
    answer = conn.call("POST", "/agents", body, flags=FLAGS)
    render.as_json(answer) if as_json else _print(answer["agent"], "created")


@agents.command("edit")
@click.argument("agent_id")
@profile_options
@json_flag
@click.pass_obj
def agents_edit(conn: Connection, agent_id, as_json, **given):
    """Change the fields given of an agent profile (owner, admin)."""
    body = _body(**given)
    if not body:
        raise click.UsageError("nothing to change: give a field flag")
    answer = conn.call("PUT", f"/agents/{agent_id}", body, flags=FLAGS)
    render.as_json(answer) if as_json else _print(answer["agent"], "updated")


@agents.command("delete")
@click.argument("agent_id")
@yes_flag
@click.pass_obj
def agents_delete(conn: Connection, agent_id, yes):
    """Delete an agent profile (refused while an automation uses it)."""
    delete_after_asking(conn, f"/agents/{agent_id}", agent_id,
                        "Automations that relied on it as the default use the deployment's backend", yes)
