"""What every command module shares: the group class and the --json flag."""
import click


class Group(click.Group):
    """Commands in the order they are declared."""

    def list_commands(self, ctx):
        return list(self.commands)


json_flag = click.option("--json", "as_json", is_flag=True, help="Print the API's answer as JSON, for scripts.")
