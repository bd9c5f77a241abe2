"""`sre`: the command line of the AI SRE automations service.

Every command speaks the public HTTP API with the key `sre login` saved (or
SRE_API_URL / SRE_API_KEY). An error from the API is printed in its own words
with exit code 1; `--json` prints the API's answer for scripts."""
import json
import logging
import signal
import sys
import time
from pathlib import Path

import click
import yaml

from sre_client import config, render
from sre_client.api import Api, ApiError

ENDED = ("succeeded", "partial", "failed", "skipped", "abandoned")
json_flag = click.option("--json", "as_json", is_flag=True, help="Print the API's answer as JSON, for scripts.")


def _api() -> Api:
    saved = config.load()
    if not saved["api_url"] or not saved["api_key"]:
        raise click.ClickException("not logged in: run `sre login --url <API URL> --key <API key>` first "
                                   "(or set SRE_API_URL and SRE_API_KEY)")
    return Api(saved["api_url"], saved["api_key"])


def _call(method: str, path: str, body=None, params=None, api: Api | None = None, **kw):
    try:
        return (api or _api()).call(method, path, body, params, **kw)
    except ApiError as exc:
        raise click.ClickException(str(exc))


class Group(click.Group):
    """Commands in the order they are declared."""

    def list_commands(self, ctx):
        return list(self.commands)


@click.group(cls=Group)
@click.version_option("0.1.0", prog_name="sre")
def main():
    """The AI SRE automations service from your terminal."""


@main.command()
@click.option("--url", prompt="API URL", help="The service's API, e.g. http://127.0.0.1:8000")
@click.option("--key", prompt="API key", hide_input=True, help="Your API key (sreak_…)")
def login(url, key):
    """Check an API URL and key, and save them (readable by you only)."""
    me = _call("GET", "/me", api=Api(url, key))
    path = config.save(url, key)
    click.echo(f"logged in to {url.rstrip('/')} as {me['user']['email']} ({me['user']['role']}); saved in {path}")


@main.command()
@json_flag
def whoami(as_json):
    """Who the saved key belongs to, and their teams."""
    me = _call("GET", "/me")
    if as_json:
        return render.as_json(me)
    teams = ", ".join(f"{t['name']} ({t['id']})" for t in me["teams"]) or "none"
    click.echo(f"{me['user']['email']} ({me['user']['role']}, {me['user']['id']}); teams: {teams}")


# --- automations ----------------------------------------------------------------

@main.group(cls=Group)
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
def automations_list(scope, team_ids, status, as_json):
    """Automations you can see."""
    found = _call("GET", "/automations", params={"scope": scope, "status": status, "team_id": list(team_ids)})
    if as_json:
        return render.as_json(found)
    render.table([_row(a) for a in found["automations"]], AUTOMATION_COLUMNS, empty="no automations")


def _show(a: dict) -> None:
    render.fields([("id", a["id"]), ("name", a["name"]), ("team", a["team_id"] or "personal"),
                   ("enabled", "yes" if a["enabled"] else "no"), ("can edit", "yes" if a["can_edit"] else "no"),
                   ("environment", render.environment(a.get("environment"))),
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
def automations_show(automation_id, as_json):
    """One automation."""
    found = _call("GET", f"/automations/{automation_id}")
    render.as_json(found) if as_json else _show(found["automation"])


def _read_file(path: str) -> dict:
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    try:
        data = yaml.safe_load(text) if path.endswith((".yaml", ".yml")) else json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise click.ClickException(f"{path} is not valid {'YAML' if path.endswith(('.yaml', '.yml')) else 'JSON'}: "
                                   f"{exc}")
    if not isinstance(data, dict):
        raise click.ClickException(f"{path} must hold one automation (an object)")
    return data


def _environment(value: str) -> dict:
    if value in ("auto", "cloud_sandbox"):
        return {"type": value}
    if value.startswith("runner:") and len(value) > 7:
        return {"type": "runner", "runner_id": value[7:]}
    raise click.BadParameter("use auto, cloud_sandbox or runner:<runner id>", param_hint="--environment")


def _body(file, name, prompt, team_id, environment, cron, hourly, daily, weekly, timezone, api_trigger, event,
          enabled) -> dict:
    body = _read_file(file) if file else {}
    for key, value in (("name", name), ("task_prompt", prompt), ("team_id", team_id), ("enabled", enabled)):
        if value is not None:
            body[key] = value
    if environment:
        body["environment"] = _environment(environment)
    triggers = []
    if cron:
        triggers.append({"type": "schedule", "mode": "custom", "cron": cron})
    elif hourly:
        triggers.append({"type": "schedule", "mode": "hourly"})
    elif daily is not None:
        triggers.append({"type": "schedule", "mode": "daily", "hour": daily, "timezone": timezone})
    elif weekly:
        triggers.append({"type": "schedule", "mode": "weekly", "weekday": weekly[0], "hour": weekly[1],
                         "timezone": timezone})
    if api_trigger:
        triggers.append({"type": "api"})
    if event:
        triggers.append({"type": "event", "expect": list(event)})
    if triggers:
        body["triggers"] = triggers
    return body


def automation_options(fn):
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
    ]):
        fn = option(fn)
    return fn


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
def automations_create(file, name, prompt, team_id, environment, cron, hourly, daily, weekly, timezone, api_trigger,
                       event, template, disabled, as_json):
    """Create an automation from a preset template, from flags, or from a JSON/YAML file."""
    body = _body(file, name, prompt, team_id, environment, cron, hourly, daily, weekly, timezone, api_trigger,
                 event, False if disabled else None)
    if template:
        body["template_id"] = template
    body.setdefault("team_id", 0)
    _created(_call("POST", "/automations", body), as_json, "created")


@automations.command("edit")
@click.argument("automation_id")
@automation_options
@click.option("--overlap", type=click.Choice(["skip", "allow"]))
@json_flag
def automations_edit(automation_id, file, name, prompt, team_id, environment, cron, hourly, daily, weekly, timezone,
                     api_trigger, event, overlap, as_json):
    """Change an automation: the fields given (flags, or a file of fields). New triggers replace the old ones."""
    body = _body(file, name, prompt, team_id, environment, cron, hourly, daily, weekly, timezone, api_trigger,
                 event, None)
    if overlap:
        body["overlap"] = overlap
    if not body:
        raise click.UsageError("nothing to change: give a field flag or --file")
    _created(_call("PATCH", f"/automations/{automation_id}", body), as_json, "updated")


def _switch(automation_id: str, verb: str, as_json: bool) -> None:
    answer = _call("POST", f"/automations/{automation_id}/{verb}")
    render.as_json(answer) if as_json else click.echo(f"{automation_id} {verb}d")


@automations.command("enable")
@click.argument("automation_id")
@json_flag
def automations_enable(automation_id, as_json):
    """Enable an automation."""
    _switch(automation_id, "enable", as_json)


@automations.command("disable")
@click.argument("automation_id")
@json_flag
def automations_disable(automation_id, as_json):
    """Disable an automation (its history is kept)."""
    _switch(automation_id, "disable", as_json)


@automations.command("delete")
@click.argument("automation_id")
@click.option("--yes", is_flag=True, help="Do not ask")
def automations_delete(automation_id, yes):
    """Delete an automation (its run history stays until its retention ends)."""
    if not yes:
        click.confirm(f"Delete {automation_id}? It will no longer be triggered", abort=True)
    _call("DELETE", f"/automations/{automation_id}")
    click.echo(f"{automation_id} deleted")


@automations.command("rotate-token")
@click.argument("automation_id")
@json_flag
def automations_rotate(automation_id, as_json):
    """A new trigger token (the old one stops working at once)."""
    answer = _call("POST", f"/automations/{automation_id}/api-trigger/rotate")
    config.save_trigger_token(automation_id, answer["token"])
    render.as_json(answer) if as_json else click.echo(f"trigger URL:   {answer['url']}\ntrigger token: "
                                                      f"{answer['token']}  (shown once; saved)")


@automations.command("templates")
@click.option("--locale", type=click.Choice(["en-US", "zh-CN"]))
@json_flag
def automations_templates(locale, as_json):
    """The preset templates."""
    found = _call("GET", "/automation-templates", params={"locale": locale} if locale else None)
    if as_json:
        return render.as_json(found)
    render.table(found["templates"], [("ID", "id"), ("CATEGORY", "category"), ("NAME", "name")])


# --- runs and sessions ----------------------------------------------------------------

RUN_COLUMNS = [("RUN", "id"), ("CREATED", "created_at"), ("TRIGGER", "trigger"), ("STATUS", "status"),
               ("DURATION", "took"), ("ENVIRONMENT", "env"), ("REASON", "reason")]


def _run_row(r: dict) -> dict:
    took = f"{r['duration_ms'] / 1000:.1f} s" if r.get("duration_ms") is not None else None
    return {**r, "took": took, "env": render.environment(r.get("environment"))}


@main.command()
@click.argument("automation_id")
@click.option("--text", help="Context for this run (the body's text)")
@click.option("--token", envvar="SRE_TRIGGER_TOKEN", help="The trigger token (default: the one sre saved)")
@click.option("--idempotency-key", help="A repeated call with the same key returns the same run")
@click.option("--wait", is_flag=True, help="Follow the run to its end; exit 0 only when it succeeded")
@click.option("--timeout", default=900, show_default=True, help="Seconds --wait waits")
@json_flag
def trigger(automation_id, text, token, idempotency_key, wait, timeout, as_json):
    """Start a run through the automation's trigger URL, with its trigger token."""
    automation = _call("GET", f"/automations/{automation_id}")["automation"]
    api = next((t for t in automation["triggers"] if t["type"] == "api"), None)
    if api is None:
        raise click.ClickException(f"{automation_id} has no api trigger: add one with "
                                   f"`sre automations edit {automation_id} --api …`")
    token = token or config.trigger_token(automation_id)
    if not token:
        raise click.ClickException(f"no trigger token for {automation_id}: pass --token, or make a new one with "
                                   f"`sre automations rotate-token {automation_id}`")
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    fired = _call("POST", api["url"], {"text": text} if text is not None else {}, token=token, headers=headers)
    if not wait:
        return render.as_json(fired) if as_json else click.echo(f"{fired['run_id']} {fired['status']}")
    run = _follow(fired["run_id"], timeout, quiet=as_json)
    if as_json:
        render.as_json({"run": run})
    else:
        click.echo(f"{run['id']} {run['status']}" + (f": {run['reason']}" if run.get("reason") else ""))
    sys.exit(0 if run["status"] == "succeeded" else 3)


def _follow(run_id: str, timeout: float, quiet: bool) -> dict:
    api, deadline, seen = _api(), time.monotonic() + timeout, None
    while True:
        run = _call("GET", f"/runs/{run_id}", api=api)["run"]
        now = (run["status"], run.get("reason"), render.environment(run.get("environment")))
        if now != seen and not quiet and run["status"] not in ENDED:
            click.echo(f"{run_id} {run['status']}" + (f" on {now[2]}" if now[2] != "-" else "")
                       + (f" ({run['reason']})" if run.get("reason") else ""))
        seen = now
        if run["status"] in ENDED:
            return run
        if time.monotonic() > deadline:
            raise click.ClickException(f"{run_id} is still {run['status']} after {timeout} s")
        time.sleep(0.5)


@main.command()
@click.argument("automation_id")
@click.option("--status", help="A run status, or all")
@click.option("--since", help="ISO time (default: 30 days before --until)")
@click.option("--until", help="ISO time (default: now)")
@click.option("--limit", type=int, help="1-200 runs a page (default 50)")
@click.option("--cursor", help="next_cursor of the previous page")
@json_flag
def runs(automation_id, status, since, until, limit, cursor, as_json):
    """An automation's run history, newest first (the API's filters)."""
    params = {k: v for k, v in (("status", status), ("since", since), ("until", until), ("limit", limit),
                                ("cursor", cursor)) if v is not None}
    found = _call("GET", f"/automations/{automation_id}/runs", params=params)
    if as_json:
        return render.as_json(found)
    render.table([_run_row(r) for r in found["runs"]], RUN_COLUMNS, empty="no runs in this window")
    if found.get("next_cursor"):
        click.echo(f"more: --cursor {found['next_cursor']}")


@main.command()
@click.argument("run_id")
@json_flag
def run(run_id, as_json):
    """One run."""
    found = _call("GET", f"/runs/{run_id}")
    if as_json:
        return render.as_json(found)
    r = _run_row(found["run"])
    render.fields([(k.lower(), r.get(key)) for k, key in RUN_COLUMNS[1:]] +
                  [("attempt", r["attempt"]), ("session", r.get("session_id"))])


@main.command()
@click.argument("run_id")
@json_flag
def cancel(run_id, as_json):
    """Cancel a queued or running run."""
    found = _call("POST", f"/runs/{run_id}/cancel")
    render.as_json(found) if as_json else click.echo(f"{run_id} {found['run']['status']}: {found['run']['reason']}")


@main.command()
@click.argument("run_or_session_id")
@json_flag
def session(run_or_session_id, as_json):
    """A run's hidden session: the conversation, tool calls and artifacts."""
    session_id = run_or_session_id
    if run_or_session_id.startswith("run_"):
        session_id = _call("GET", f"/runs/{run_or_session_id}")["run"]["session_id"]
        if not session_id:
            raise click.ClickException(f"{run_or_session_id} has not started: it has no session yet")
    found = _call("GET", f"/sessions/{session_id}")
    render.as_json(found) if as_json else render.session(found["session"])


# --- events, secrets, keys, runners ---------------------------------------------------

@main.group(cls=Group)
def events():
    """Send and list events."""


@events.command("send")
@click.argument("name", required=False)
@click.option("--resource-id", help="The event's resource.id")
@click.option("--resource", "resource_json", help="The resource as a JSON object")
@click.option("--payload", help="The payload as a JSON object")
@click.option("--file", "-f", help="One event or a list, as JSON (- reads stdin)")
@json_flag
def events_send(name, resource_id, resource_json, payload, file, as_json):
    """Send an event (NAME with --resource-id/--payload), or events from a file."""
    if file:
        body = json.loads(sys.stdin.read() if file == "-" else Path(file).read_text())
    elif name:
        try:
            resource = json.loads(resource_json) if resource_json else {}
            body = {"event": name, "resource": {**resource, **({"id": resource_id} if resource_id else {})},
                    **({"payload": json.loads(payload)} if payload else {})}
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}")
    else:
        raise click.UsageError("give an event NAME or --file")
    answer = _call("POST", "/events", body)
    if as_json:
        return render.as_json(answer)
    click.echo(f"accepted {len(answer['accepted'])}, duplicates {len(answer['duplicates'])}, "
               f"rejected {len(answer['rejected'])}; runs started: {', '.join(answer.get('runs') or []) or 'none'}")
    for bad in answer["rejected"]:
        click.echo(f"  rejected [{bad['index']}]: {bad['reason']}")


@events.command("list")
@click.option("--event", help="Name pattern, * wildcards")
@click.option("--resource-id")
@click.option("--since")
@click.option("--until")
@click.option("--limit", type=int)
@json_flag
def events_list(event, resource_id, since, until, limit, as_json):
    """Events of the account, newest first."""
    params = {k: v for k, v in (("event", event), ("resource_id", resource_id), ("since", since), ("until", until),
                                ("limit", limit)) if v is not None}
    found = _call("GET", "/events", params=params)
    if as_json:
        return render.as_json(found)
    rows = [{"occurred": e.get("occurred"), "event": e["event"], "resource": (e.get("resource") or {}).get("id"),
             "id": e.get("id")} for e in found["events"]]
    render.table(rows, [("OCCURRED", "occurred"), ("EVENT", "event"), ("RESOURCE", "resource"), ("ID", "id")],
                 empty="no events")


@main.group(cls=Group)
def secrets():
    """Named secrets for actions (owner, admin)."""


@secrets.command("set")
@click.argument("name")
@click.option("--value", help="The value (default: read from stdin, or prompted)")
def secrets_set(name, value):
    """Store a secret's value; it is never shown again."""
    if value is None:
        value = sys.stdin.read().strip() if not sys.stdin.isatty() else click.prompt("value", hide_input=True)
    answer = _call("PUT", f"/secrets/{name}", {"value": value})
    click.echo(f"secret {name} {'created' if answer['created'] else 'updated'}")


@main.group(cls=Group)
def keys():
    """Your API keys: rotate, list, revoke."""


@keys.command("rotate")
@json_flag
def keys_rotate(as_json):
    """A new API key for you; the one sre uses stops working at once (the new one is saved)."""
    answer = _call("POST", "/api-keys/rotate")
    config.save_key(answer["api_key"])
    if as_json:
        return render.as_json(answer)
    click.echo(f"new API key: {answer['api_key']}\n(shown once; saved for sre; the old key no longer works)")


@keys.command("list")
@click.option("--user-id", help="Another user's keys (owner, admin)")
@json_flag
def keys_list(user_id, as_json):
    """API keys (never their secrets)."""
    found = _call("GET", "/api-keys", params={"user_id": user_id} if user_id else None)
    if as_json:
        return render.as_json(found)
    render.table(found["api_keys"], [("KEY", "id"), ("USER", "user_id"), ("CREATED", "created_at"),
                                     ("ENDS IN", "hint"), ("THIS ONE", "current")])


@keys.command("revoke")
@click.argument("key_id", required=False)
@click.option("--user-id", help="Revoke every key of this user (owner, admin)")
def keys_revoke(key_id, user_id):
    """Revoke a key (yours, or any as owner/admin), or every key of a user."""
    if bool(key_id) == bool(user_id):
        raise click.UsageError("give a KEY_ID or --user-id")
    if user_id:
        click.echo(f"revoked {_call('DELETE', f'/users/{user_id}/api-keys')['revoked']} key(s) of {user_id}")
    else:
        _call("DELETE", f"/api-keys/{key_id}")
        click.echo(f"revoked {key_id}")


@main.group(cls=Group)
def runners():
    """Self-hosted runners: list, register, rotate tokens."""


RUNNER_COLUMNS = [("ID", "id"), ("NAME", "name"), ("TEAM", "team_id"), ("POOL", "pool"),
                  ("LAST HEARTBEAT", "last_heartbeat")]


@runners.command("list")
@json_flag
def runners_list(as_json):
    """Runners you can pick."""
    found = _call("GET", "/runners")
    render.as_json(found) if as_json else render.table(found["runners"], RUNNER_COLUMNS, empty="no runners")


@runners.command("create")
@click.argument("name")
@click.option("--team-id", type=int, default=0, show_default=True, help="0 = account-global")
@click.option("--pool", default="default", show_default=True)
@click.option("--min-healthy", type=int, default=1, show_default=True)
@json_flag
def runners_create(name, team_id, pool, min_healthy, as_json):
    """Register a runner (owner, admin); its token is shown once."""
    answer = _call("POST", "/runners", {"name": name, "team_id": team_id, "pool": pool, "min_healthy": min_healthy})
    if as_json:
        return render.as_json(answer)
    click.echo(f"runner {answer['runner']['id']} ({name})\ntoken: {answer['token']}  (shown once)\n"
               f"start it: sre runner start --token {answer['token']}")


@runners.command("rotate-token")
@click.argument("runner_id")
@json_flag
def runners_rotate(runner_id, as_json):
    """A new runner token (owner, admin); the old one stops working at once."""
    answer = _call("POST", f"/runners/{runner_id}/token/rotate")
    render.as_json(answer) if as_json else click.echo(f"token: {answer['token']}  (shown once)")


@main.group(cls=Group)
def runner():
    """Run a self-hosted runner on this machine."""


@runner.command("start")
@click.option("--token", envvar="SRE_RUNNER_TOKEN", required=True, help="The runner's token (srert_…)")
@click.option("--url", envvar="SRE_API_URL", help="The API (default: the one `sre login` saved)")
@click.option("--allow-network", multiple=True,
              help="Only these internal ranges (CIDR, repeatable) may be reached; default: loopback and private")
@click.option("--poll", default=20, show_default=True, type=click.IntRange(1, 20), help="Long-poll seconds")
@click.option("--once", is_flag=True, help="Exit after one run")
def runner_start(token, url, allow_network, poll, once):
    """Claim and work runs of this runner's pool until Ctrl-C."""
    from sre_agent.config import SettingError
    from sre_agent.runner_token import runner_id_of
    from sre_client.runner import Runner, runner_settings

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
    except SettingError as exc:  # an AGENT_*, OPENAI_* or ALLOW_* variable of this shell
        raise click.UsageError(str(exc)) from exc
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--allow-network") from exc
    worker = Runner(url, token, runner_id, poll_seconds=poll, settings=settings)

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
        raise click.ClickException(f"the runner stopped: {exc}")
    finally:
        worker.stop()
        click.echo(f"runner {runner_id} stopped after {worker.worked} run(s), {worker.api.requests} request(s)")
