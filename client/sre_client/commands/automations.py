"""`sre automations …`: list, show, create, edit, enable, disable, delete, rotate-token, templates."""
import json

import click

from sre_client import config, render
from sre_client.commands.automation_flags import AutomationFlags, automation_options, shell_locale
from sre_client.commands.base import Group, delete_after_asking, json_flag, yes_flag
from sre_client.connection import Connection


@click.group(cls=Group)
def automations():
    """List, show, create, edit, enable, disable and delete automations."""


AUTOMATION_COLUMNS = [("ID", "id"), ("NAME", "name"), ("TEAM", "team_id"), ("ENABLED", "enabled"),
                      ("ENVIRONMENT", "env"), ("TRIGGERS", "kinds"), ("NEXT RUN", "next")]


def _row(a: dict) -> dict:
    return {**a, "env": render.environment(a.get("environment")), "kinds": ",".join(t["type"] for t in a["triggers"]),
            "next": (a.get("next_runs") or [None])[0]}


@automations.command("list")
@click.option("--scope", type=click.Choice(["all", "personal", "team"]), default="all")
@click.option("--team-id", "team_ids", type=int, multiple=True, help="Only these teams (repeatable)")
@click.option("--status", type=click.Choice(["all", "enabled", "disabled"]), default="all")
@json_flag
@click.pass_obj
def automations_list(conn: Connection, scope, team_ids, status, as_json):
    """Automations you can see."""
    found = conn.call("GET", "/automations", params={"scope": scope, "status": status, "team_id": list(team_ids)})
    if as_json:
        return render.as_json(found)
    render.table([_row(a) for a in found["automations"]], AUTOMATION_COLUMNS, empty="no automations")


def _show(a: dict) -> None:
    render.fields([("id", a["id"]), ("name", a["name"]), ("team", a["team_id"] or "personal"),
                   ("enabled", "yes" if a["enabled"] else "no"), ("can edit", "yes" if a["can_edit"] else "no"),
                   ("environment", render.environment(a.get("environment"))),
                   ("locale", a.get("locale")), ("template", a.get("template_id")),
                   ("mcp servers", ", ".join(a.get("mcp_server_ids") or []) or "none"),
                   ("next runs", ", ".join(a.get("next_runs") or []))])
    for t in a["triggers"]:
        if t["type"] == "schedule":
            detail = f"cron {t['cron']} (UTC)"
        elif t["type"] == "api":
            detail = f"{t['url']} (token {t['token_hint']})"
        else:
            detail = json.dumps({k: v for k, v in t.items() if k != "type"})
        click.echo(f"trigger      {t['type']}: {detail}")
    for action in a.get("actions") or []:
        click.echo(f"action       {action['type']} on {','.join(action.get('on', []))}")
    click.echo("task prompt:")
    click.echo("  " + a["task_prompt"].replace("\n", "\n  "))


@automations.command("show")
@click.argument("automation_id")
@json_flag
@click.pass_obj
def automations_show(conn: Connection, automation_id, as_json):
    """One automation."""
    found = conn.call("GET", f"/automations/{automation_id}")
    render.as_json(found) if as_json else _show(found["automation"])


def _created(answer: dict, as_json: bool, verb: str) -> None:
    automation, trigger = answer["automation"], answer.get("api_trigger")
    if trigger:
        config.save_trigger_token(automation["id"], trigger["token"])
    if as_json:
        return render.as_json(answer)
    click.echo(f"{verb} {automation['id']} ({automation['name']})")
    if trigger:
        click.echo(f"trigger URL:   {trigger['url']}\ntrigger token: {trigger['token']}  (shown once; "
                   f"saved for `sre trigger {automation['id']}`)")


@automations.command("create")
@automation_options
@click.option("--template", help="Start from a preset template (see `sre automations templates`)")
@click.option("--disabled", is_flag=True, help="Create it disabled")
@json_flag
@click.pass_obj
def automations_create(conn: Connection, flags: AutomationFlags, template, disabled, as_json):
    """Create an automation from a preset template, from flags, or from a JSON/YAML file."""
    body = flags.body(enabled=False if disabled else None)
    named = flags.fields()
    if disabled:
        named["enabled"] = "--disabled"
    if template:
        body["template_id"] = template
        named["template_id"] = "--template"
    body.setdefault("team_id", 0)
    body.setdefault("locale", shell_locale())
    # the preset's name and prompt come in the request's language: the same as the automation's
    answer = conn.call("POST", "/automations", body, flags=named, headers={"Accept-Language": body["locale"]})
    _created(answer, as_json, "created")


@automations.command("edit")
@click.argument("automation_id")
@automation_options
@click.option("--overlap", type=click.Choice(["skip", "allow"]))
@json_flag
@click.pass_obj
def automations_edit(conn: Connection, automation_id, flags: AutomationFlags, overlap, as_json):
    """Change an automation: the fields given (flags, or a file of fields). New triggers replace the old ones."""
    body = flags.body()
    named = flags.fields()
    if overlap:
        body["overlap"] = overlap
        named["overlap"] = "--overlap"
    if not body:
        raise click.UsageError("nothing to change: give a field flag or --file")
    _created(conn.call("PATCH", f"/automations/{automation_id}", body, flags=named), as_json, "updated")


def _switch(conn: Connection, automation_id: str, verb: str, as_json: bool) -> None:
    answer = conn.call("POST", f"/automations/{automation_id}/{verb}")
    render.as_json(answer) if as_json else click.echo(f"{automation_id} {verb}d")


@automations.command("enable")
@click.argument("automation_id")
@json_flag
@click.pass_obj
def automations_enable(conn: Connection, automation_id, as_json):
    """Enable an automation."""
    _switch(conn, automation_id, "enable", as_json)


@automations.command("disable")
@click.argument("automation_id")
@json_flag
@click.pass_obj
def automations_disable(conn: Connection, automation_id, as_json):
    """Disable an automation (its history is kept)."""
    _switch(conn, automation_id, "disable", as_json)


@automations.command("delete")
@click.argument("automation_id")
@yes_flag
@click.pass_obj
def automations_delete(conn: Connection, automation_id, yes):
    """Delete an automation (its run history stays until its retention ends)."""
    delete_after_asking(conn, f"/automations/{automation_id}", automation_id, "It will no longer be triggered", yes)


@automations.command("rotate-token")
@click.argument("automation_id")
@json_flag
@click.pass_obj
def automations_rotate(conn: Connection, automation_id, as_json):
    """A new trigger token (the old one stops working at once)."""
    answer = conn.call("POST", f"/automations/{automation_id}/api-trigger/rotate")
    config.save_trigger_token(automation_id, answer["token"])
    render.as_json(answer) if as_json else click.echo(f"trigger URL:   {answer['url']}\ntrigger token: "
                                                      f"{answer['token']}  (shown once; saved)")


@automations.command("templates")
@click.option("--locale", type=click.Choice(["en-US", "zh-CN"]))
@json_flag
@click.pass_obj
def automations_templates(conn: Connection, locale, as_json):
    """The preset templates."""
    found = conn.call("GET", "/automation-templates", params={"locale": locale} if locale else None)
    if as_json:
        return render.as_json(found)
    render.table(found["templates"], [("ID", "id"), ("CATEGORY", "category"), ("NAME", "name")])
