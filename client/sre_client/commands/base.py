"""What every command module shares: the group class and the --json flag."""
import click


class Group(click.Group):
    """Commands in the order they are declared."""

    def list_commands(self, ctx):
        return list(self.commands)


json_flag = click.option("--json", "as_json", is_flag=True, help="Print the API's answer as JSON, for scripts.")
yes_flag = click.option("--yes", is_flag=True, help="Do not ask")


def delete_after_asking(conn, path: str, thing_id: str, consequence: str, yes: bool) -> None:
    """Ask (unless --yes), DELETE the path and say so: every `sre … delete` command."""
    if not yes:
        click.confirm(f"Delete {thing_id}? {consequence}", abort=True)
    conn.call("DELETE", path)
    click.echo(f"{thing_id} deleted")
