"""MCP servers an account registers for its automations' runs.

Owners and admins create, change and delete them; everyone sees those of the
account (team 0) and of their teams (permissions.can_view, as automations).
An automation may use a server of the whole account or of its own team
(`fits`). A header's value is a plain string, or {"secret": name} (with an
optional "prefix", e.g. "Bearer "): the name of an account secret, read only
when a run starts (`for_run`) and never returned. Credential-looking headers
must name a secret."""
import re

from chalicelib import secrets
from chalicelib.clock import iso
from chalicelib.errors import Invalid, NotFound
from chalicelib.identity import permissions, tokens
from chalicelib.identity.directory import existing_team_id
from chalicelib.store import ConditionFailed, repos
from chalicelib.store.records import McpServer
from chalicelib.validation import name as checked_name

MAX_PER_ACCOUNT = 200
MAX_PER_AUTOMATION = 10
MAX_HEADERS = 20
MAX_ALLOWED_TOOLS = 200
FIELDS = {"name", "team_id", "url", "headers", "allowed_tools"}
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
# The URL the OpenAPI document describes, exactly: a host name or IPv4 address, a port that is one.
URL = re.compile(r"https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::" + _PORT + r")?(?:[/?#][!-~]*)?")
HEADER_VALUE = re.compile(r"[^\r\n\x00]{0,4096}")
_CREDENTIAL = re.compile(r"authorization|cookie|token|secret|password|key|credential", re.IGNORECASE)


def server_json(server: McpServer, caller) -> dict:
    """A server as the API shows it: secret headers by name, never a value."""
    return {"id": server.id, "name": server.name, "team_id": int(server.team_id or 0), "url": server.url,
            "headers": server.headers or {}, "allowed_tools": server.allowed_tools,
            "owner_id": server.owner_id, "can_edit": caller.is_admin,
            "created_at": server.created_at, "updated_at": server.updated_at}


def get(caller, server_id: str) -> McpServer:
    """A server the caller may see, or 404."""
    return permissions.visible(caller, repos.mcp_servers.get(caller.account_id, server_id),
                               f"No MCP server {server_id} visible to you.")


def listing(caller) -> list[McpServer]:
    """The servers the caller may see, by name."""
    return permissions.visible_by_name(caller, repos.mcp_servers.of_account(caller.account_id))


def _url(value) -> str:
    if not isinstance(value, str) or len(value) > 2048 or not URL.fullmatch(value):
        raise Invalid("url must be the server's streamable-HTTP endpoint: an http(s) URL of at most 2048 characters "
                      "with a host name or IPv4 address (no user:password: put credentials in headers naming a "
                      "secret), e.g. https://mcp.example.com/mcp", field="url")
    return value


def _header_value(header: str, value, account_id: str):
    field = f"headers.{header}"
    if isinstance(value, str):
        if _CREDENTIAL.search(header):
            raise Invalid(f'{field} looks like a credential: store it as an account secret and name it, '
                          f'{{"secret": "<name>"}}, so it is never shown again', field=field)
        if not HEADER_VALUE.fullmatch(value):
            raise Invalid(f"{field} must be at most 4096 characters on one line", field=field)
        return value
    if not isinstance(value, dict) or not set(value) <= {"secret", "prefix"} or "secret" not in value:
        raise Invalid(f'{field} must be a string or {{"secret": "<secret name>", "prefix": "Bearer "}}', field=field)
    name = secrets.check_name(value["secret"], f"{field}.secret")
    prefix = value.get("prefix") or ""
    if not isinstance(prefix, str) or len(prefix) > 64 or any(c in prefix for c in "\r\n\0"):
        raise Invalid(f"{field}.prefix must be at most 64 characters on one line", field=f"{field}.prefix")
    if not secrets.secret_exists(account_id, name):
        raise Invalid(f"{field}.secret: there is no secret named {name!r}; create it first with PUT /secrets/{name}",
                      field=f"{field}.secret")
    return {"secret": name, **({"prefix": prefix} if prefix else {})}


def _headers(value, account_id: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > MAX_HEADERS:
        raise Invalid(f"headers must be an object of at most {MAX_HEADERS} headers", field="headers")
    out = {}
    for header, item in value.items():
        if not _HEADER_NAME.fullmatch(header):
            raise Invalid(f"headers: {header!r} is not a header name", field=f"headers.{header}")
        out[header] = _header_value(header, item, account_id)
    return out or None


def _allowed_tools(value) -> list | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_ALLOWED_TOOLS or not all(
            isinstance(t, str) and 0 < len(t) <= 128 for t in value):
        raise Invalid(f"allowed_tools must be null (every tool) or a list of at most {MAX_ALLOWED_TOOLS} tool names",
                      field="allowed_tools")
    return list(dict.fromkeys(value))


def _checked(caller, body: dict, partial: bool) -> dict:
    unknown = set(body) - FIELDS
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    out = {}
    if not partial or "name" in body:
        out["name"] = checked_name(body.get("name"), limit=128)
    if not partial or "url" in body:
        out["url"] = _url(body.get("url"))
    if not partial or "team_id" in body:
        out["team_id"] = existing_team_id(caller.account_id, body.get("team_id"))
    if "headers" in body:
        out["headers"] = _headers(body["headers"], caller.account_id)
    if "allowed_tools" in body:
        out["allowed_tools"] = _allowed_tools(body["allowed_tools"])
    return out


def create(caller, body: dict, now) -> McpServer:
    """A new server (owners and admins)."""
    permissions.require_admin(caller)
    if len(repos.mcp_servers.of_account(caller.account_id)) >= MAX_PER_ACCOUNT:
        raise Invalid(f"An account may have at most {MAX_PER_ACCOUNT} MCP servers; delete one first.", field="name")
    server = McpServer(account_id=caller.account_id, id="mcp_" + tokens.new_id(10), owner_id=caller.user_id,
                       created_at=iso(now), updated_at=iso(now), **_checked(caller, body, partial=False))
    repos.mcp_servers.add(server)
    return server


def update(caller, server_id: str, body: dict, now) -> McpServer:
    """Change any of the create fields (owners and admins)."""
    permissions.require_admin(caller)
    server = get(caller, server_id)
    changes = {**_checked(caller, body, partial=True), "updated_at": iso(now)}
    try:
        repos.mcp_servers.change(server, changes)
    except ConditionFailed:
        raise NotFound(f"No MCP server {server_id} visible to you.") from None
    return server


def delete(caller, server_id: str) -> None:
    """Remove it; automations that named it run without it (their runs say so)."""
    permissions.require_admin(caller)
    repos.mcp_servers.delete(get(caller, server_id))


def fits(server: McpServer, account_id: str, team_id: int) -> bool:
    """Whether an automation of `team_id` may use the server: one of the whole account, or of its own team."""
    return server.account_id == account_id and int(server.team_id or 0) in (0, int(team_id))


def check_for_automation(caller, value, account_id: str, team_id: int) -> list[str] | None:
    """An automation's `mcp_server_ids`: servers the caller sees that fit its
    scope; 400 naming the field (and the item) otherwise."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_PER_AUTOMATION or not all(isinstance(v, str) for v in value):
        raise Invalid(f"mcp_server_ids must be a list of at most {MAX_PER_AUTOMATION} MCP server ids",
                      field="mcp_server_ids")
    for i, server_id in enumerate(value):
        field = f"mcp_server_ids[{i}]"
        server = repos.mcp_servers.get(account_id, server_id) if server_id else None
        if server is None or not permissions.can_view(caller, server):
            raise Invalid(f"{field}: there is no MCP server {server_id!r} visible to you", field=field)
        if not fits(server, account_id, team_id):
            where = f"team {team_id}" if team_id else "a personal automation"
            raise Invalid(f"{field}: MCP server {server_id!r} belongs to team {int(server.team_id)}; this automation "
                          f"({where}) may use servers of the whole account or of its own team", field=field)
    return list(dict.fromkeys(value)) or None


def resolved_headers(server: McpServer) -> dict:
    """The headers with their secrets read (SecretNotFound / SecretUnavailable when one cannot be)."""
    out = {}
    for header, value in (server.headers or {}).items():
        if isinstance(value, dict):
            value = (value.get("prefix") or "") + secrets.get_secret(server.account_id, value["secret"])
        out[header] = value
    return out


def connection(server: McpServer) -> dict:
    """What an environment connects with: the server's name, URL, resolved
    headers and allow-list; {"error"} instead of the headers when a secret
    cannot be read (the run says so; the server is not offered)."""
    out = {"id": server.id, "name": server.name, "url": server.url, "allowed_tools": server.allowed_tools}
    try:
        out["headers"] = resolved_headers(server)
    except (secrets.SecretNotFound, secrets.SecretUnavailable) as exc:
        out["error"] = f"cannot read its header secret: {exc}"
    return out


def for_run(account_id: str, server_ids: list | None, team_id: int) -> list[dict]:
    """The connections of a run's servers, read at its start. A server deleted
    (or moved out of the automation's scope) since is a note, not a failure."""
    out = []
    for server_id in server_ids or []:
        server = repos.mcp_servers.get(account_id, server_id)
        if server is None or not fits(server, account_id, team_id):
            out.append({"id": server_id, "name": server_id, "error": "this MCP server no longer exists "
                                                                      "in the automation's scope"})
            continue
        out.append(connection(server))
    return out
