"""The `sre` command line through click's CliRunner, against the real app in
process (moto): what a user sees, its output and exit codes. The CLI gets its
API client as `obj` (a Connection over the app's transport); refusals the
server does not send yet (RFC 9457 `errors`, plan/ERRORS.md) come from a
small fake answer."""
import contextlib
import io
import json
import re

import pytest
from click.testing import CliRunner

from sre_client.api import Api, ApiError
from sre_client.cli import main
from sre_client.connection import Connection

URL = "http://testserver"


class Quiet:
    """The app's transport, with the app's own log lines (it logs to whatever sys.stdout is) kept out of the
    CLI's output."""

    def __init__(self, transport):
        self.transport = transport

    def request(self, *args, **kw):
        with contextlib.redirect_stdout(io.StringIO()):
            return self.transport.request(*args, **kw)


class Answer:
    def __init__(self, status: int, data):
        self.status_code, self.text = status, json.dumps(data)
        self.content, self.reason = self.text.encode(), "Bad Request"

    def json(self):
        return json.loads(self.text)


class Refusing:
    """An API that answers every call with one refusal, and keeps the bodies it was sent."""

    def __init__(self, data, status=400):
        self.data, self.status, self.sent = data, status, []

    def request(self, method, url, json=None, params=None, headers=None, timeout=None):
        self.sent.append(json)
        return Answer(self.status, self.data)


def problem(*fields, message="triggers[0].hour must be an integer 0-23; got 24"):
    """An error answer as plan/ERRORS.md describes it, naming these fields."""
    return {"Code": "BadRequest", "Message": message, "type": "about:blank", "title": "Bad Request", "status": 400,
            "detail": message, "errors": [{"field": f, "message": message} for f in fields]}


@pytest.fixture
def env(tmp_path):
    """No saved login and no SRE_API_* of the machine running the tests."""
    return {"SRE_CONFIG_DIR": str(tmp_path), "SRE_API_URL": None, "SRE_API_KEY": None}


@pytest.fixture
def sre(transport, owner, env):
    """`sre ARGS…` as the account owner, against the app."""
    def run(*args, obj=None, input=None):
        obj = obj or Connection(api=Api(URL, owner, http=Quiet(transport)))
        return CliRunner(env=env).invoke(main, list(args), obj=obj, prog_name="sre", input=input)
    return run


def fake(env, http, *args):
    """`sre ARGS…` against a fake API."""
    return CliRunner(env=env).invoke(main, list(args), obj=Connection(api=Api(URL, "sreak_x", http=http)),
                                     prog_name="sre")


# --- login, whoami, and the lazy login ---------------------------------------------------------

def test_whoami(sre):
    result = sre("whoami")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"owner@example\.com \(owner, usr_\w+\); teams: none\n", result.output)
    as_json = sre("whoami", "--json")
    assert json.loads(as_json.output)["user"]["email"] == "owner@example.com"


def test_login_saves_the_key_that_later_commands_use(transport, owner, env, tmp_path):
    http = Quiet(transport)
    login = CliRunner(env=env).invoke(main, ["login", "--url", URL + "/", "--key", owner],
                                      obj=Connection(http=http), prog_name="sre")
    assert login.exit_code == 0, login.output
    assert login.output == (f"logged in to {URL} as owner@example.com (owner); saved in "
                            f"{tmp_path / 'config.json'}\n")
    whoami = CliRunner(env=env).invoke(main, ["whoami"], obj=Connection(http=http), prog_name="sre")
    assert whoami.exit_code == 0 and whoami.output.startswith("owner@example.com (owner, ")


def test_login_with_a_wrong_key_saves_nothing(transport, env, tmp_path):
    result = CliRunner(env=env).invoke(main, ["login", "--url", URL, "--key", "sreak_wrong"],
                                       obj=Connection(http=Quiet(transport)), prog_name="sre")
    assert result.exit_code == 1
    assert result.output == ("Error: Missing or invalid API key: send 'Authorization: Bearer <api key>'. "
                             "(HTTP 401)\n")
    assert not (tmp_path / "config.json").exists()


def test_without_a_saved_login_only_commands_that_need_the_api_refuse(env):
    runner = CliRunner(env=env)
    help_ = runner.invoke(main, ["--help"], prog_name="sre")
    assert help_.exit_code == 0
    listed = re.findall(r"^  (\S+)  ", help_.output.split("Commands:")[1], re.M)
    assert listed == ["login", "whoami", "automations", "trigger", "runs", "run", "cancel", "session", "events",
                      "integrations", "alerts", "incidents", "changes", "knowledge", "mcp", "agents", "account",
                      "secrets", "keys", "runners", "runner"]
    whoami = runner.invoke(main, ["whoami"], prog_name="sre")
    assert whoami.exit_code == 1
    assert whoami.output == ("Error: not logged in: run `sre login --url <API URL> --key <API key>` first "
                             "(or set SRE_API_URL and SRE_API_KEY)\n")
    edit = runner.invoke(main, ["automations", "edit", "aut_1"], prog_name="sre")
    assert edit.exit_code == 2 and "nothing to change" in edit.output


# --- automations -------------------------------------------------------------------------------

def test_create_daily_then_list_and_show(sre, api, owner):
    created = sre("automations", "create", "--name", "Daily check", "--prompt", "Check the site.",
                  "--daily", "9", "--timezone", "Europe/Berlin")
    assert created.exit_code == 0, created.output
    automation_id = re.fullmatch(r"created (aut_\w+) \(Daily check\)\n", created.output).group(1)
    saved = api.ok("GET", f"/automations/{automation_id}", owner)["automation"]
    assert saved["team_id"] == 0 and saved["task_prompt"] == "Check the site."
    assert saved["triggers"][0] | {"type": "schedule", "mode": "daily", "hour": 9, "timezone": "Europe/Berlin"} \
        == saved["triggers"][0]

    listed = sre("automations", "list")
    assert listed.exit_code == 0
    header, row = listed.output.splitlines()
    assert header.split() == ["ID", "NAME", "TEAM", "ENABLED", "ENVIRONMENT", "TRIGGERS", "NEXT", "RUN"]
    assert row.split()[:7] == [automation_id, "Daily", "check", "0", "yes", "auto", "schedule"]

    shown = sre("automations", "show", automation_id)
    assert shown.exit_code == 0
    assert f"id           {automation_id}\nname         Daily check\nteam         personal\n" in shown.output
    assert "trigger      schedule: cron " in shown.output
    assert shown.output.endswith("task prompt:\n  Check the site.\n")


def test_list_with_no_automations(sre):
    result = sre("automations", "list")
    assert (result.exit_code, result.output) == (0, "no automations\n")


def test_create_with_an_hour_out_of_range_is_refused_before_the_api(env):
    http = Refusing(problem())
    result = fake(env, http, "automations", "create", "--name", "n", "--prompt", "p", "--daily", "24")
    assert result.exit_code == 2
    assert result.output.endswith("Error: Invalid value for '--daily': 24 is not in the range 0<=x<=23.\n")
    assert http.sent == []


def test_a_refusal_of_the_server_is_printed_in_its_words(sre):
    """End to end: the server's 400 names the field, and the user reads which flag set it."""
    result = sre("automations", "create", "--name", "n", "--prompt", "p", "--daily", "9", "--timezone",
                 "Mars/Olympus")
    assert result.exit_code == 1
    assert result.output.startswith("Error: --timezone: triggers[0].timezone: unknown time zone 'Mars/Olympus'")
    assert result.output.count("\n") == 1


@pytest.mark.parametrize(("flags", "field", "flag"), [
    (["--daily", "9"], "triggers[0].hour", "--daily"),
    (["--weekly", "1", "8"], "triggers[0].weekday", "--weekly"),
    (["--weekly", "1", "8", "--timezone", "Europe/Berlin"], "triggers[0].timezone", "--timezone"),
    (["--cron", "9 * * 1"], "triggers[0].cron", "--cron"),
    (["--hourly", "--event", "deploy.*"], "triggers[1].expect[0]", "--event"),
    (["--team-id", "3"], "team_id", "--team-id"),
    (["--environment", "runner:rnr_1"], "environment.runner_id", "--environment"),
    (["--template", "nope"], "template_id", "--template"),
])
def test_a_refusal_names_the_flag_to_fix(env, flags, field, flag):
    message = "triggers[0].hour must be an integer 0-23; got 24"
    result = fake(env, Refusing(problem(field)), "automations", "create", "--name", "n", "--prompt", "p", *flags)
    assert result.exit_code == 1
    assert result.output == f"Error: {flag}: {message}\n"


def test_each_field_the_refusal_names_gets_its_flag(env):
    result = fake(env, Refusing(problem("name", "task_prompt", "triggers[0].hour", message="bad")),
                  "automations", "create", "--name", "", "--prompt", "", "--daily", "9")
    assert result.exit_code == 1
    assert result.output == "Error: --name: bad\n--prompt: bad\n--daily: bad\n"


def test_edit_names_the_flag_to_fix(env):
    result = fake(env, Refusing(problem("overlap", message="overlap must be skip or allow")),
                  "automations", "edit", "aut_1", "--overlap", "allow")
    assert (result.exit_code, result.output) == (1, "Error: --overlap: overlap must be skip or allow\n")


def test_a_refusal_of_fields_no_flag_set_is_printed_as_the_server_says(env, tmp_path):
    message = "triggers[0].hour must be an integer 0-23; got 24"
    plain = f"Error: {message} (HTTP 400)\n"
    from_file = tmp_path / "a.yaml"
    from_file.write_text("name: n\ntask_prompt: p\ntriggers:\n  - {type: schedule, mode: daily, hour: 24}\n")
    result = fake(env, Refusing(problem("triggers[0].hour")), "automations", "create", "--file", str(from_file))
    assert (result.exit_code, result.output) == (1, plain)
    # the flags set other fields only
    result = fake(env, Refusing(problem("triggers[0].hour")), "automations", "create", "--name", "n", "--prompt", "p")
    assert (result.exit_code, result.output) == (1, plain)
    # today's server: no `errors`
    today = {"Code": "BadRequest", "Message": message}
    result = fake(env, Refusing(today), "automations", "create", "--name", "n", "--prompt", "p", "--daily", "9")
    assert (result.exit_code, result.output) == (1, plain)
    # not a 400
    result = fake(env, Refusing(problem("name") | {"status": 409}, status=409), "automations", "create",
                  "--name", "n", "--prompt", "p")
    assert (result.exit_code, result.output) == (1, f"Error: {message} (HTTP 409)\n")


def test_api_error_keeps_the_fields_to_fix():
    api = Api(URL, "sreak_x", http=Refusing(problem("limit", message="limit must be an integer 1-200")))
    with pytest.raises(ApiError) as refused:
        api.call("GET", "/events", params={"limit": 0})
    assert refused.value.status == 400
    assert refused.value.errors == [{"field": "limit", "message": "limit must be an integer 1-200"}]
    assert str(refused.value) == "limit must be an integer 1-200 (HTTP 400)"

    for answer in ({"Code": "BadRequest", "Message": "no"}, {"Message": "no", "errors": "x"},
                   {"Message": "no", "errors": [{"message": "no field"}, "x", {"field": ""}]}, ["no"]):
        with pytest.raises(ApiError) as refused:
            Api(URL, "sreak_x", http=Refusing(answer)).call("GET", "/me")
        assert refused.value.errors == []


def test_edit_without_a_field_is_a_usage_error(env):
    http = Refusing(problem())
    result = fake(env, http, "automations", "edit", "aut_1")
    assert result.exit_code == 2
    assert result.output == ("Usage: sre automations edit [OPTIONS] AUTOMATION_ID\n"
                             "Try 'sre automations edit --help' for help.\n\n"
                             "Error: nothing to change: give a field flag or --file\n")
    assert http.sent == []


def test_edit_then_trigger_with_the_saved_token(sre):
    created = sre("automations", "create", "--name", "n", "--prompt", "p", "--api")
    assert created.exit_code == 0, created.output
    automation_id = re.match(r"created (aut_\w+) \(n\)\n", created.output).group(1)
    assert f"(shown once; saved for `sre trigger {automation_id}`)" in created.output

    edited = sre("automations", "edit", automation_id, "--name", "renamed")
    assert (edited.exit_code, edited.output) == (0, f"updated {automation_id} (renamed)\n")

    fired = sre("trigger", automation_id, "--text", "hello")
    assert fired.exit_code == 0, fired.output
    assert re.fullmatch(r"run_\w+ queued\n", fired.output)
