"""`sre integrations …`: the webhooks monitoring tools send (create, list, show, rotate, delete, set-secret)."""
import sys

import click

from sre_client import render
from sre_client.commands.base import Group, delete_after_asking, json_flag, yes_flag
from sre_client.connection import Connection

TYPES = ("alertmanager", "grafana", "pagerduty", "cloudwatch", "github")
CREATE_FLAGS = {"type": "--type", "name": "--name", "team_id": "--team", "mapping.service": "--service-label",
                "mapping.severity": "--severity-label", "mapping": "--service-label"}
COLUMNS = [("TYPE", "type"), ("NAME", "name"), ("ID", "id"), ("URL", "url"), ("LAST RECEIVED", "last_received_at"),
           ("RECEIVED/REFUSED", "counts"), ("NEWEST ERROR", "newest_error")]


@click.group(cls=Group)
def integrations():
    """Webhooks from Alertmanager, Grafana, PagerDuty, CloudWatch (SNS) and GitHub (owner, admin change them)."""


def _print_shown_once(answer: dict, verb: str) -> None:
    """The URL, the secret with its shown-once warning, and what to paste into the tool."""
    integration, secret = answer["integration"], answer["secret"]
    iid, kind = integration["id"], integration["type"]
    click.echo(f"{verb} {iid} ({kind}: {integration['name']})")
    if kind == "cloudwatch":  # SNS sends no headers: the secret is the URL's last part
        click.echo(f"URL:    {integration['url']}")
        click.secho(f"Shown once: this URL holds the secret and cannot be shown again; copy it now "
                    f"(`sre integrations rotate {iid}` makes a new one).", bold=True)
    elif kind == "pagerduty":  # PagerDuty signs with a secret it makes itself
        click.echo(f"URL:    {integration['url']}")
        click.secho(f"PagerDuty shows its own signing secret once, when you create the webhook subscription: "
                    f"store it with `sre integrations set-secret {iid}` (deliveries are refused until then).",
                    bold=True)
    else:
        use = "Authorization: Bearer <secret>" if integration.get("secret_kind") == "token" else "the webhook's Secret"
        click.echo(f"URL:    {integration['url']}\nsecret: {secret}  ({use})")
        click.secho(f"Shown once: the secret cannot be shown again; copy it now "
                    f"(`sre integrations rotate {iid}` makes a new one).", bold=True)
    if answer.get("setup"):
        click.echo(f"\nPaste into {integration.get('title') or kind}:\n")
        click.echo(answer["setup"].rstrip("\n"))


@integrations.command("create")
@click.option("--type", "type_", required=True, type=click.Choice(TYPES), help="The tool that sends")
@click.option("--name", required=True, help="A name to know it by, e.g. 'Prometheus prod'")
@click.option("--team", "--team-id", "team_id", type=int, help="0 for the whole account (the default), or a team id")
@click.option("--service-label", multiple=True,
              help="Which label (Alertmanager, Grafana) or field names the service; repeatable, the first set wins "
                   "(default: service, then job)")
@click.option("--severity-label", multiple=True, help="Which label or field is the severity; repeatable")
@json_flag
@click.pass_obj
def integrations_create(conn: Connection, type_, name, team_id, service_label, severity_label, as_json):
    """Create an integration: its URL, its secret (shown once) and the setup to paste into the tool."""
    body = {"type": type_, "name": name, "team_id": team_id or 0}
    mapping = {k: list(v) for k, v in (("service", service_label), ("severity", severity_label)) if v}
    if mapping:
        body["mapping"] = mapping
    answer = conn.call("POST", "/integrations", body, flags=CREATE_FLAGS)
    render.as_json(answer) if as_json else _print_shown_once(answer, "created")


def _row(i: dict) -> dict:
    errors = i.get("errors") or []
    return {**i, "counts": f"{i.get('received', 0)}/{i.get('refused', 0)}",
            "newest_error": errors[0]["reason"] if errors else None}


@integrations.command("list")
@json_flag
@click.pass_obj
def integrations_list(conn: Connection, as_json):
    """The integrations you can see, newest first (never their secrets)."""
    found = conn.call("GET", "/integrations")
    if as_json:
        return render.as_json(found)
    render.table([_row(i) for i in found["integrations"]], COLUMNS, empty="no integrations")


@integrations.command("show")
@click.argument("integration_id")
@json_flag
@click.pass_obj
def integrations_show(conn: Connection, integration_id, as_json):
    """One integration, with its recent errors."""
    found = conn.call("GET", f"/integrations/{integration_id}")
    if as_json:
        return render.as_json(found)
    i = found["integration"]
    mapping = ", ".join(f"{k}: {' | '.join(v) if isinstance(v, list) else v}"
                        for k, v in (i.get("mapping") or {}).items() if v)
    pairs = [("id", i["id"]), ("type", f"{i['type']} ({i.get('title')})"), ("name", i["name"]),
             ("team", i.get("team_id") or "whole account"), ("url", i["url"]),
             ("secret", ("set" if i.get("secret_set") else "not set") + f" ({i.get('secret_kind')}; never shown)"),
             ("mapping", mapping), ("created", f"{i.get('created_at')} by {i.get('created_by')}"),
             ("last received", i.get("last_received_at") or "never"), ("received", i.get("received", 0)),
             ("refused", i.get("refused", 0))]
    if i["type"] == "cloudwatch":
        pairs.append(("confirmed", i.get("confirmed_at") or "not yet (subscribe the URL to the SNS topic)"))
    render.fields(pairs)
    errors = i.get("errors") or []
    click.echo("recent errors:" if errors else "recent errors: none")
    for error in errors:
        click.echo(f"  {error['at']}  {error['reason']}")


@integrations.command("rotate")
@click.argument("integration_id")
@json_flag
@click.pass_obj
def integrations_rotate(conn: Connection, integration_id, as_json):
    """A new secret, shown once; the old one stops working at once."""
    integration = conn.call("GET", f"/integrations/{integration_id}")["integration"]
    if integration["type"] == "pagerduty":
        raise click.ClickException("PagerDuty signs with a secret it makes itself: make a new one in PagerDuty "
                                   f"(the webhook subscription), then store it with "
                                   f"`sre integrations set-secret {integration_id}`")
    answer = conn.call("POST", f"/integrations/{integration_id}/rotate", {})
    if as_json:
        return render.as_json(answer)
    _print_shown_once(answer, "rotated")
    click.echo("\nThe old secret no longer works: update the tool now.")


@integrations.command("delete")
@click.argument("integration_id")
@yes_flag
@click.pass_obj
def integrations_delete(conn: Connection, integration_id, yes):
    """Delete an integration: its URL takes nothing more (what it brought in stays until its retention ends)."""
    delete_after_asking(conn, f"/integrations/{integration_id}", integration_id,
                        "Its URL will refuse every delivery", yes)


@integrations.command("set-secret")
@click.argument("integration_id")
@json_flag
@click.pass_obj
def integrations_set_secret(conn: Connection, integration_id, as_json):
    """Store the tool's own signing secret (PagerDuty shows one when you create its webhook subscription).

    Read from stdin, or prompted for; never from the command line, where other users and the shell's
    history could see it."""
    if sys.stdin.isatty():
        secret = click.prompt("The tool's signing secret", hide_input=True)
    else:
        secret = sys.stdin.read()
    secret = secret.strip()
    if not secret:
        raise click.UsageError("no secret: give it on stdin (e.g. `pbpaste | sre integrations set-secret ID`) "
                               "or type it at the prompt")
    answer = conn.call("PUT", f"/integrations/{integration_id}", {"signing_secret": secret})
    if as_json:
        return render.as_json(answer)
    click.echo(f"signing secret stored for {integration_id}: deliveries signed with it are taken from now on")
