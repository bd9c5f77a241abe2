"""`sre mcp …`: the MCP servers automations' runs may use (add, list, show, test, delete)."""
import click

from sre_client import render
from sre_client.commands.base import Group, delete_after_asking, json_flag, yes_flag
from sre_client.connection import Connection

ADD_FLAGS = {"name": "NAME", "url": "--url", "team_id": "--team", "headers": "--header", "allowed_tools": "--allow"}
COLUMNS = [("ID", "id"), ("NAME", "name"), ("TEAM", "team"), ("URL", "url"), ("TOOLS", "tools")]


@click.group(cls=Group)
def mcp():
    """MCP servers whose tools automations' runs may use (owners and admins change them)."""


def _pair(text: str, sep: str, flag: str) -> tuple[str, str]:
    name, found, value = text.partition(sep)
    if not found or not name.strip():
        raise click.BadParameter(f"use NAME{sep}VALUE; got {text!r}", param_hint=flag)
    return name.strip(), value.strip()


def headers_of(header, secret_header, bearer_secret) -> dict | None:
    """The request's headers: plain ones, ones naming a secret, and a bearer token from a secret."""
    headers = {}
    for text in header:
        name, value = _pair(text, ":", "--header")
        headers[name] = value
    for text in secret_header:
        name, secret = _pair(text, "=", "--secret-header")
        headers[name] = {"secret": secret}
    if bearer_secret:
        headers["Authorization"] = {"secret": bearer_secret, "prefix": "Bearer "}
    return headers or None


@mcp.command("add")
@click.argument("name")
@click.option("--url", required=True, help="The server's streamable-HTTP endpoint, e.g. https://mcp.example.com/mcp")
@click.option("--team", "--team-id", "team_id", type=int, default=0, show_default=True,
              help="0 for the whole account, or a team id (only that team's automations may use it)")
@click.option("--header", multiple=True, help="'Name: value', a plain header (repeatable; never a credential)")
@click.option("--secret-header", multiple=True,
              help="'Name=secret-name': a header whose value is an account secret (repeatable; see `sre secrets`)")
@click.option("--bearer-secret", help="An account secret sent as 'Authorization: Bearer <secret>'")
@click.option("--allow", multiple=True, help="Only this tool may be called (repeatable; default: every tool)")
@json_flag
@click.pass_obj
def mcp_add(conn: Connection, name, url, team_id, header, secret_header, bearer_secret, allow, as_json):
    """Register an MCP server (owner, admin); `sre mcp test ID` connects to it and lists its tools."""
    body = {"name": name, "url": url, "team_id": team_id}
    headers = headers_of(header, secret_header, bearer_secret)
    if headers:
        body["headers"] = headers
    if allow:
        body["allowed_tools"] = list(allow)
    flags = {**ADD_FLAGS, **({"headers.Authorization": "--bearer-secret"} if bearer_secret else {})}
    answer = conn.call("POST", "/mcp-servers", body, flags=flags)
    if as_json:
        return render.as_json(answer)
    server = answer["mcp_server"]
    click.echo(f"added {server['id']} ({server['name']}): test it with `sre mcp test {server['id']}`, use it with "
               f"`sre automations edit AUTOMATION_ID --mcp-server {server['id']}`")


def _row(s: dict) -> dict:
    return {**s, "team": s.get("team_id") or "account",
            "tools": ", ".join(s["allowed_tools"]) if s.get("allowed_tools") is not None else "all"}


@mcp.command("list")
@json_flag
@click.pass_obj
def mcp_list(conn: Connection, as_json):
    """The MCP servers you can see."""
    found = conn.call("GET", "/mcp-servers")
    render.as_json(found) if as_json else render.table([_row(s) for s in found["mcp_servers"]], COLUMNS,
                                                       empty="no MCP servers")


def _header_text(value) -> str:
    if isinstance(value, dict):
        return f"{value.get('prefix', '')}<secret {value['secret']}>"
    return value


@mcp.command("show")
@click.argument("server_id")
@json_flag
@click.pass_obj
def mcp_show(conn: Connection, server_id, as_json):
    """One MCP server (secret headers by name; their values are never shown)."""
    found = conn.call("GET", f"/mcp-servers/{server_id}")
    if as_json:
        return render.as_json(found)
    s = _row(found["mcp_server"])
    render.fields([("id", s["id"]), ("name", s["name"]), ("team", s["team"]), ("url", s["url"]),
                   ("allowed tools", s["tools"]), ("created", f"{s.get('created_at')} by {s.get('owner_id')}")]
                  + [(f"header {k}", _header_text(v)) for k, v in (s.get("headers") or {}).items()])


@mcp.command("test")
@click.argument("server_id")
@json_flag
@click.pass_obj
def mcp_test(conn: Connection, server_id, as_json):
    """Connect from the service (as a cloud-sandbox run would) and list the server's tools; exit 1 if it fails."""
    found = conn.call("POST", f"/mcp-servers/{server_id}/test", {})
    if as_json:
        render.as_json(found)
    elif found["ok"]:
        click.echo(f"{server_id}: connected in {found['elapsed_ms']:.0f} ms, {len(found['tools'])} tool(s)")
        render.table([{**t, "allowed": "yes" if t["allowed"] else "no (not on the allow-list)"}
                      for t in found["tools"]], [("TOOL", "name"), ("ALLOWED", "allowed"),
                                                 ("DESCRIPTION", "description")], empty="no tools")
    if not found["ok"]:
        raise click.ClickException(f"{server_id}: {found['error']}")


@mcp.command("delete")
@click.argument("server_id")
@yes_flag
@click.pass_obj
def mcp_delete(conn: Connection, server_id, yes):
    """Delete an MCP server; automations that chose it run without it (their runs say so)."""
    delete_after_asking(conn, f"/mcp-servers/{server_id}", server_id,
                        "Automations that use it will run without its tools", yes)
