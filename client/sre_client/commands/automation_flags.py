"""The flags that build an automation (`sre automations create` and `edit`),
as one AutomationFlags: the request body, and which flag set which field of
it (so a refusal naming `triggers[0].hour` says to fix --daily)."""
import functools
import json
import os
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import click
import yaml


@dataclass(frozen=True)
class AutomationFlags:
    """The automation flags as given (None, False or () when not)."""

    file: str | None = None
    name: str | None = None
    prompt: str | None = None
    team_id: int | None = None
    environment: str | None = None
    cron: str | None = None
    hourly: bool = False
    daily: int | None = None
    weekly: tuple[int, int] | None = None
    timezone: str = "UTC"
    api_trigger: bool = False
    event: tuple[str, ...] = ()
    locale: str | None = None
    mcp_server: tuple[str, ...] = ()
    agent: str | None = None

    def body(self, enabled: bool | None = None) -> dict:
        """The request body: the --file's fields, with the flags' on top; the flags' triggers replace the file's."""
        body = read_file(self.file) if self.file else {}
        for key, value in (("name", self.name), ("task_prompt", self.prompt), ("team_id", self.team_id),
                           ("enabled", enabled)):
            if value is not None:
                body[key] = value
        if self.environment:
            body["environment"] = parse_environment(self.environment)
        if self.locale:
            body["locale"] = self.locale
        if self.mcp_server:  # "none" alone clears the list
            body["mcp_server_ids"] = [] if list(self.mcp_server) == ["none"] else list(self.mcp_server)
        if self.agent:
            body["agent_id"] = None if self.agent == "default" else self.agent
        triggers = [trigger for _, trigger in self._triggers()]
        if triggers:
            body["triggers"] = triggers
        return body

    def fields(self) -> dict[str, str]:
        """{field of the body: the flag that set it}, for the fields these flags set."""
        named = {field: flag for field, flag, value in (("name", "--name", self.name),
                                                        ("task_prompt", "--prompt", self.prompt),
                                                        ("team_id", "--team-id", self.team_id))
                 if value is not None}
        if self.environment:
            named["environment"] = "--environment"
        if self.locale:
            named["locale"] = "--locale"
        if self.mcp_server:
            named["mcp_server_ids"] = "--mcp-server"
        if self.agent:
            named["agent_id"] = "--agent"
        for i, (flag, trigger) in enumerate(self._triggers()):
            named[f"triggers[{i}]"] = flag
            if "timezone" in trigger:
                named[f"triggers[{i}].timezone"] = "--timezone"
        return named

    def _triggers(self) -> list[tuple[str, dict]]:
        """The triggers the flags make, in the body's order, each with its flag."""
        made = []
        if self.cron:
            made.append(("--cron", {"type": "schedule", "mode": "custom", "cron": self.cron}))
        elif self.hourly:
            made.append(("--hourly", {"type": "schedule", "mode": "hourly"}))
        elif self.daily is not None:
            made.append(("--daily", {"type": "schedule", "mode": "daily", "hour": self.daily,
                                     "timezone": self.timezone}))
        elif self.weekly:
            made.append(("--weekly", {"type": "schedule", "mode": "weekly", "weekday": self.weekly[0],
                                      "hour": self.weekly[1], "timezone": self.timezone}))
        if self.api_trigger:
            made.append(("--api", {"type": "api"}))
        if self.event:
            made.append(("--event", {"type": "event", "expect": list(self.event)}))
        return made


FLAG_NAMES = tuple(f.name for f in fields(AutomationFlags))
LOCALES = ("en-US", "zh-CN")


def shell_locale() -> str:
    """zh-CN when the shell's locale (LC_ALL, else LC_MESSAGES, else LANG: the first set) is zh_CN, else en-US."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh-CN" if value.replace("-", "_").lower().startswith("zh_cn") else "en-US"
    return "en-US"


def automation_options(fn):
    """The automation flags, handed to the command as one `flags` argument (an AutomationFlags)."""
    @functools.wraps(fn)
    def command(*args, **kw):
        return fn(*args, flags=AutomationFlags(**{name: kw.pop(name) for name in FLAG_NAMES}), **kw)

    for option in reversed([
        click.option("--file", "-f", help="An automation as JSON or YAML (.yaml/.yml); - reads stdin"),
        click.option("--name"), click.option("--prompt", help="The task prompt"),
        click.option("--team-id", type=int, help="0 for personal (the default), or a team id"),
        click.option("--environment", help="auto, cloud_sandbox or runner:<runner id>"),
        click.option("--cron", help='A 4-segment UTC cron "hour dom month dow", e.g. "9 * * 1"'),
        click.option("--hourly", is_flag=True, help="Every hour"),
        click.option("--daily", type=click.IntRange(0, 23), help="Every day at this hour (in --timezone)"),
        click.option("--weekly", type=(click.IntRange(0, 6), click.IntRange(0, 23)),
                     help="WEEKDAY HOUR: weekly (0 = Sunday) at this hour (in --timezone)"),
        click.option("--timezone", default="UTC", show_default=True, help="IANA time zone of --daily/--weekly"),
        click.option("--api", "api_trigger", is_flag=True, help="Add a trigger URL (its token is shown once)"),
        click.option("--event", multiple=True, help="Add an event trigger expecting this event name (repeatable)"),
        click.option("--locale", type=click.Choice(LOCALES),
                     help="The language of its builtin reports (and of a --template's text); create's default: "
                          "zh-CN when the shell's locale is zh_CN, else en-US"),
        click.option("--mcp-server", multiple=True,
                     help="An MCP server its runs may use (repeatable; see `sre mcp list`); `none` clears them"),
        click.option("--agent", help="The agent profile its runs use (an id from `sre agents list`); 'default': "
                                     "the account's default profile"),
    ]):
        command = option(command)
    return command


def read_file(path: str) -> dict:
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    try:
        data = yaml.safe_load(text) if path.endswith((".yaml", ".yml")) else json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise click.ClickException(f"{path} is not valid {'YAML' if path.endswith(('.yaml', '.yml')) else 'JSON'}: "
                                   f"{exc}") from exc
    if not isinstance(data, dict):
        raise click.ClickException(f"{path} must hold one automation (an object)")
    return data


def parse_environment(value: str) -> dict:
    if value in ("auto", "cloud_sandbox"):
        return {"type": value}
    if value.startswith("runner:") and len(value) > 7:
        return {"type": "runner", "runner_id": value[7:]}
    raise click.BadParameter("use auto, cloud_sandbox or runner:<runner id>", param_hint="--environment")
