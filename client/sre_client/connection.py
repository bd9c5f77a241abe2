"""What the commands speak to the API through: click's `ctx.obj`.

The `sre` group puts a Connection there; the saved login (or SRE_API_URL /
SRE_API_KEY) is read only when a command first needs the API, so `sre --help`,
`sre login` and `sre runner start` work without one. Tests hand `main` a
Connection of their own (`obj=`), with an `http` session or a ready Api."""
from collections.abc import Mapping

import click

from sre_client import config
from sre_client.api import Api, ApiError


class Connection:
    """The API client of one `sre` invocation, made on first use."""

    def __init__(self, api: Api | None = None, http=None):
        self._api, self.http = api, http

    @property
    def api(self) -> Api:
        if self._api is None:
            saved = config.load()
            if not saved["api_url"] or not saved["api_key"]:
                raise click.ClickException("not logged in: run `sre login --url <API URL> --key <API key>` first "
                                           "(or set SRE_API_URL and SRE_API_KEY)")
            self._api = Api(saved["api_url"], saved["api_key"], http=self.http)
        return self._api

    def connect(self, url: str, key: str) -> Api:
        """An API client for another URL and key (the ones `sre login` checks)."""
        return Api(url, key, http=self.http)

    def call(self, method: str, path: str, body=None, params=None, api: Api | None = None,
             flags: Mapping[str, str] | None = None, **kw):
        """The API's answer; its refusal is a ClickException (exit code 1) in the API's words, naming the
        command's flag to fix when `flags` ({request field: flag}) has the field the answer names."""
        try:
            return (api or self.api).call(method, path, body, params, **kw)
        except ApiError as exc:
            raise click.ClickException(explain(exc, flags or {})) from exc


def explain(exc: ApiError, flags: Mapping[str, str]) -> str:
    """The refusal in words. When a 400's `errors` name fields that the command's flags set, each line says
    `--flag: message`; otherwise the API's message as it is."""
    if exc.status != 400:
        return str(exc)
    named = [(flag_for(error["field"], flags), error["message"]) for error in exc.errors]
    if not any(flag for flag, _ in named):
        return str(exc)
    return "\n".join(f"{flag}: {message}" if flag else message for flag, message in named)


def flag_for(field: str, flags: Mapping[str, str]) -> str | None:
    """The flag of the longest field in `flags` that `field` is or is inside of: with `triggers[0]` → --daily,
    `triggers[0].hour` is --daily's; `name` is not `names`'."""
    for known in sorted(flags, key=len, reverse=True):
        if field == known or field.startswith((f"{known}.", f"{known}[")):
            return flags[known]
    return None
