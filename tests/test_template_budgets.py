"""Templates cannot exhaust the worker or the API (issue 18): every render has
a CPU, output, value and memory budget; going over fails that render with an
error naming the budget, when the automation is saved if the template's own
constants go over, in the test fire, and as the action's outcome when sent."""
import json
import re
import time
from pathlib import Path

import pytest

from bench.templates import PROBES, measure
from chalicelib.actions.templates import TemplateError, render, validate_template
from chalicelib.errors import Invalid
from tests.conftest import rule_body, work_queue
from tests.servers import serve

pytestmark = pytest.mark.usefixtures("loopback")  # the stand-in receiver listens on 127.0.0.1

ROOT = Path(__file__).resolve().parent.parent
DOUBLING, POWER_TOWER, SLICE = PROBES["doubling"], PROBES["power tower"], PROBES["slice"]
BUDGET_ERRORS = {
    DOUBLING: "over the value budget: ~ would make a value of 160,000 characters; a value may have at most 100,000",
    POWER_TOWER: "over the number budget: ** would make a number of about 10,025 digits; "
                 "a number may have at most 4,300",
    SLICE: "over the value budget: |slice(3,000,000) would make a value of 6,000,005 characters",
}
# Goes over a budget only with data: passes the save check, fails when rendered with a big event.
LOOPS_OVER_EVENT = "{% for x in event.payload.items %}{% if x > event.payload.items|max %}!{% endif %}{% endfor %}"
BIG_EVENT = {"event": "deploy.finished", "resource": {"id": "svc-api"}, "payload": {"items": list(range(4000))}}


def slack(message: str, on: str = "failed") -> dict:
    return {"type": "slack", "webhook_url_secret": "slack-url", "message": message, "on": [on]}


@pytest.mark.parametrize("probe", [DOUBLING, POWER_TOWER, SLICE], ids=["doubling", "power tower", "slice"])
def test_the_probes_are_refused_on_save_naming_the_field_and_the_budget(api, owner, probe):
    start = time.monotonic()
    code, data = api.call("POST", "/automations", owner, rule_body(actions=[slack(probe)]))
    assert time.monotonic() - start < 1
    assert code == 400, data
    [error] = data["errors"]
    assert error["field"] == "actions[0].message"
    assert error["message"].startswith("actions[0].message: bad template: " + BUDGET_ERRORS[probe])


@pytest.mark.parametrize("probe", [DOUBLING, POWER_TOWER, SLICE], ids=["doubling", "power tower", "slice"])
def test_the_probes_fail_fast_when_rendered(probe):
    start = time.thread_time()
    with pytest.raises(TemplateError) as err:
        render(probe, {})
    assert str(err.value).startswith(BUDGET_ERRORS[probe])
    assert time.thread_time() - start < 0.2


@pytest.mark.parametrize("name", ["doubling", "power tower", "slice"])
def test_the_probes_stay_small_in_a_process_of_their_own(name):
    """Peak RSS and CPU of a fresh process that saves and renders the probe
    (bench/templates.py measures the same way): the template never gets to
    build anything big. Before the budgets: 490 MB, over 10 s of CPU, 260 MB."""
    for phase in ("save", "render"):
        row = measure(ROOT, PROBES[name], phase, cpu_cap=10)
        assert row["outcome"].startswith("refused: actions[0].message: bad template: over the " if phase == "save"
                                         else "fails: over the "), row
        assert row["cpu_ms"] < 500 and row["peak_mb"] < 150 and row["peak_mb"] - row["base_mb"] < 20, row


def test_a_template_as_heavy_as_the_loop_budget_allows_still_fits_the_cpu_budget():
    heavy = PROBES["heavy but fine"]  # 9,999 iterations with a `~`, two filters and a test each (~25 ms)
    assert render(heavy, {}) == "done"
    with pytest.raises(TemplateError, match="over the loop budget: loops ran more than 10,000 times"):
        render(heavy.replace("range(99)", "range(100)"), {})  # the loop budget comes first


@pytest.mark.parametrize("text, words", [
    # many copies of a big value: each fits, all together do not
    ("{% set s = 'x' * 90000 %}" + "".join(f"{{% set b{i} = s ~ '.' %}}" for i in range(12)),
     "over the memory budget: the template would build more than 1,000,000 characters in all"),
    ("{% set l = ['x' * 60000] %}{{ [l, l]|join|length }}", "over the value budget: |join would make a value of"),
    ("{{ ('x' * 90000)|replace('x', 'xy')|length }}", "over the value budget: |replace would make a value of 180,000"),
    ("{{ [1]|batch(100000, 'x')|list }}", "over the value budget: |batch(100,000) would make"),
    ("{{ [[[1]]]|tojson(1000000) }}", "over the value budget: |tojson would make a value of"),
    ("{{ (range(1000)|list) * 100 }}", "over the value budget: * would make a value of"),
    ("{{ 'x' * 60000 + 'y' * 60000 }}", "over the value budget: + would make a value of 120,000"),
    ("{{ 5|round(-100000000) }}", "over the number budget: |round(-100,000,000) would make a number"),
    ("{{ ('1' * 20000)|int(base=2) > 0 }}", "over the number budget: |int would make a number of about 6,021"),
    ("{{ ('ß' * 60000)|upper|length }}", "over the value budget: |upper would make a value of 120,000"),
    ("{% set x %}{% for i in range(99) %}{% for j in range(100) %}" + "y" * 200 + "{% endfor %}{% endfor %}"
     "{% endset %}{{ x|length }}", "over the memory budget"),
    ("{{ 'x' * 30000 }}", "over the output budget: the template printed more than 20,000 characters"),
    ("{% set l = ['x' * 30000] %}{{ l }}", "over the output budget: a value printed would be over 20,000"),
])
def test_every_way_of_growing_a_value_is_bounded(text, words):
    start = time.thread_time()
    with pytest.raises(Invalid, match="^" + re.escape("actions[0].message: bad template: " + words)):
        validate_template(text, "actions[0].message")  # knowable on save: it is all constants
    with pytest.raises(TemplateError, match="^" + re.escape(words)):
        render(text, {})
    assert time.thread_time() - start < 0.5


def test_the_cpu_budget_stops_a_template_looping_over_big_data():
    validate_template(LOOPS_OVER_EVENT, "actions[0].message")  # nothing to go over without data
    start = time.thread_time()
    with pytest.raises(TemplateError, match="^over the CPU budget: the template used more than 50 ms of CPU time$"):
        render(LOOPS_OVER_EVENT, {"event": BIG_EVENT})
    assert time.thread_time() - start < 0.2
    assert render(LOOPS_OVER_EVENT, {"event": {"payload": {"items": [1, 2, 3]}}}) == ""  # small data: fine


def test_the_templates_of_one_action_share_one_budget(api, owner):
    """Forty templates in one webhook payload cannot spend forty budgets: at
    save, their trial renders share one."""
    payload = {f"k{i}": "{{ ('x' * 50000)|length }}" for i in range(40)}
    validate_template(payload["k0"], "actions[0].payload")  # one alone is fine
    code, data = api.call("POST", "/automations", owner, rule_body(actions=[
        {"type": "webhook", "url": "https://hooks.example.com/x", "payload": payload}]))
    assert code == 400 and data["errors"][0]["field"] == "actions[0].payload"
    assert "over the memory budget" in data["errors"][0]["message"]


def test_names_of_the_sandbox_own_filters_are_refused():
    for text in ("{{ 'a'|_captured_text }}", "{{ x is _printed }}", "{{ [1]|_bounded|list }}"):
        with pytest.raises(Invalid, match="names starting with _ are refused"):
            validate_template(text, "actions[0].message")


def test_the_test_fire_shows_the_budget_error_in_that_action_only(api, owner):
    rule = api.ok("POST", "/automations", owner, rule_body(
        triggers=[{"type": "event", "expect": ["deploy.*"]}],
        actions=[slack(LOOPS_OVER_EVENT, "triggered"), slack("{{ event.resource.id }} deployed", "triggered")]),
        status=201)["automation"]
    start = time.monotonic()
    answer = api.ok("POST", f"/automations/{rule['id']}/test", owner, {"event": BIG_EVENT})
    assert time.monotonic() - start < 5
    first, second = answer["actions"]
    assert first["error"] == "message: template error: over the CPU budget: the template used more than 50 ms " \
                             "of CPU time" and "preview" not in first
    assert "svc-api deployed" in json.dumps(second["preview"])


def test_a_send_over_budget_fails_as_the_action_outcome_and_the_worker_goes_on(api, owner, aws):
    seen = []
    with serve(lambda *_: 200, record=seen) as url:
        rule = api.ok("POST", "/automations", owner, rule_body(
            triggers=[{"type": "event", "expect": ["deploy.*"]}],
            actions=[{"type": "webhook", "url": f"{url}/heavy", "on": ["triggered"],
                      "payload": '{"text": "' + LOOPS_OVER_EVENT + '"}'},
                     {"type": "webhook", "url": f"{url}/light", "on": ["triggered"],
                      "payload": '{"id": "{{ event.resource.id }}"}'}]), status=201)["automation"]
        [run_id] = api.ok("POST", "/events", owner, BIG_EVENT, status=202)["runs"]
        work_queue(aws["runs"])
    results = {a["index"]: a for a in api.ok("GET", f"/runs/{run_id}", owner)["run"]["actions"]
               if a["outcome"] == "triggered"}
    assert results[0]["status"] == "failed" and results[0]["attempts"] == 1
    assert results[0]["error"] == "payload: template error: over the CPU budget: the template used more than " \
                                  "50 ms of CPU time"
    assert results[1]["status"] == "sent"  # the rest of the batch went out
    assert [r["path"] for r in seen] == ["/light"] and rule["actions"][0]["on"] == ["triggered"]
