"""Self-hosted runners: `sre runners list|create|rotate-token`, and `sre runner start` (this machine as one)."""
import logging
import signal
from dataclasses import replace

import click

from sre_client import config, render
from sre_client.api import ApiError
from sre_client.commands.base import Group, json_flag
from sre_client.connection import Connection


@click.group(cls=Group)
def runners():
    """Self-hosted runners: list, register, rotate tokens."""


RUNNER_COLUMNS = [("ID", "id"), ("NAME", "name"), ("TEAM", "team_id"), ("POOL", "pool"),
                  ("LAST HEARTBEAT", "last_heartbeat")]


@runners.command("list")
@json_flag
@click.pass_obj
def runners_list(conn: Connection, as_json):
    """Runners you can pick."""
    found = conn.call("GET", "/runners")
    render.as_json(found) if as_json else render.table(found["runners"], RUNNER_COLUMNS, empty="no runners")


@runners.command("create")
@click.argument("name")
@click.option("--team-id", type=int, default=0, show_default=True, help="0 = account-global")
@click.option("--pool", default="default", show_default=True)
@click.option("--min-healthy", type=int, default=1, show_default=True)
@json_flag
@click.pass_obj
def runners_create(conn: Connection, name, team_id, pool, min_healthy, as_json):
    """Register a runner (owner, admin); its token is shown once."""
    answer = conn.call("POST", "/runners", {"name": name, "team_id": team_id, "pool": pool,
                                            "min_healthy": min_healthy})
    if as_json:
        return render.as_json(answer)
    click.echo(f"runner {answer['runner']['id']} ({name})\ntoken: {answer['token']}  (shown once)\n"
               f"start it: sre runner start --token {answer['token']}")


@runners.command("rotate-token")
@click.argument("runner_id")
@json_flag
@click.pass_obj
def runners_rotate(conn: Connection, runner_id, as_json):
    """A new runner token (owner, admin); the old one stops working at once."""
    answer = conn.call("POST", f"/runners/{runner_id}/token/rotate")
    render.as_json(answer) if as_json else click.echo(f"token: {answer['token']}  (shown once)")


@click.group(cls=Group)
def runner():
    """Run a self-hosted runner on this machine."""


@runner.command("start")
@click.option("--token", envvar="SRE_RUNNER_TOKEN", required=True, help="The runner's token (srert_…)")
@click.option("--url", envvar="SRE_API_URL", help="The API (default: the one `sre login` saved)")
@click.option("--allow-network", multiple=True,
              help="Only these internal ranges (CIDR, repeatable) may be reached; default: loopback and private")
@click.option("--poll", default=20, show_default=True, type=click.IntRange(1, 20), help="Long-poll seconds")
@click.option("--once", is_flag=True, help="Exit after one run")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="The runner's config file (JSON or YAML): local stdio MCP servers only this runner offers")
@click.option("--own-agent", is_flag=True,
              help="Work every run with this runner's own model settings (AGENT_BACKEND, OPENAI_*, BEDROCK_*), "
                   "over the automations' agent profiles (as AGENT_OWN=true)")
def runner_start(token, url, allow_network, poll, once, own_agent, config_file):
    """Claim and work runs of this runner's pool until Ctrl-C."""
    from sre_agent.config import SettingError
    from sre_agent.runner_token import runner_id_of
    from sre_client.runner import Runner, local_mcp_servers, read_config, runner_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    runner_id = runner_id_of(token)
    if not runner_id:
        raise click.BadParameter("not a runner token (srert_…); make one with `sre runners create`",
                                 param_hint="--token")
    url = url or config.load()["api_url"]
    if not url:
        raise click.UsageError("no API URL: pass --url or run `sre login` first")
    try:
        settings = runner_settings(allow_network)
        if own_agent:
            settings = replace(settings, own_agent=True)
    except SettingError as exc:  # an AGENT_*, OPENAI_* or ALLOW_* variable of this shell
        raise click.UsageError(str(exc)) from exc
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--allow-network") from exc
    try:
        mcp_servers = local_mcp_servers(read_config(config_file)) if config_file else []
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--config") from exc
    worker = Runner(url, token, runner_id, poll_seconds=poll, settings=settings, mcp_servers=mcp_servers)

    def interrupt(*_):
        if worker.busy.is_set() and not worker.stopping.is_set():
            click.echo("stopping after the current run (Ctrl-C again to abandon it)", err=True)
            worker.stopping.set()
            return
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    click.echo(f"runner {runner_id} working for {url} (long-poll {poll} s; Ctrl-C stops)")
    try:
        worker.run(once=once)
    except KeyboardInterrupt:
        pass
    except ApiError as exc:
        raise click.ClickException(f"the runner stopped: {exc}") from exc
    finally:
        worker.stop()
        click.echo(f"runner {runner_id} stopped after {worker.worked} run(s), {worker.api.requests} request(s)")
