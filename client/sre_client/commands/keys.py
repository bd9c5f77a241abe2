"""`sre keys rotate`, `list` and `revoke`."""
import click

from sre_client import config, render
from sre_client.commands.base import Group, json_flag
from sre_client.connection import Connection


@click.group(cls=Group)
def keys():
    """Your API keys: rotate, list, revoke."""


@keys.command("rotate")
@json_flag
@click.pass_obj
def keys_rotate(conn: Connection, as_json):
    """A new API key for you; the one sre uses stops working at once (the new one is saved)."""
    answer = conn.call("POST", "/api-keys/rotate")
    config.save_key(answer["api_key"])
    if as_json:
        return render.as_json(answer)
    click.echo(f"new API key: {answer['api_key']}\n(shown once; saved for sre; the old key no longer works)")


@keys.command("list")
@click.option("--user-id", help="Another user's keys (owner, admin)")
@json_flag
@click.pass_obj
def keys_list(conn: Connection, user_id, as_json):
    """API keys (never their secrets)."""
    found = conn.call("GET", "/api-keys", params={"user_id": user_id} if user_id else None)
    if as_json:
        return render.as_json(found)
    render.table(found["api_keys"], [("KEY", "id"), ("USER", "user_id"), ("CREATED", "created_at"),
                                     ("ENDS IN", "hint"), ("THIS ONE", "current")])


@keys.command("revoke")
@click.argument("key_id", required=False)
@click.option("--user-id", help="Revoke every key of this user (owner, admin)")
@click.pass_obj
def keys_revoke(conn: Connection, key_id, user_id):
    """Revoke a key (yours, or any as owner/admin), or every key of a user."""
    if bool(key_id) == bool(user_id):
        raise click.UsageError("give a KEY_ID or --user-id")
    if user_id:
        click.echo(f"revoked {conn.call('DELETE', f'/users/{user_id}/api-keys')['revoked']} key(s) of {user_id}")
    else:
        conn.call("DELETE", f"/api-keys/{key_id}")
        click.echo(f"revoked {key_id}")
