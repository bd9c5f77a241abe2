"""Action templates: the `{name}` form and the Jinja2 sandbox, checked on save
and rendered harmlessly (or refused) at send time."""
import time

import pytest

from chalicelib.actions import sandbox
from chalicelib.actions.templates import MAX_OUTPUT, TemplateError, render, validate_template
from chalicelib.errors import Invalid

CONTEXT = {"run": {"id": "run_1", "status": "failed", "attempt": 2, "tags": ["a", "b"]},
           "event": {"resource": {"id": "svc-api", "name": "API"}, "payload": {"n": 3}},
           "message": "Run run_1 failed."}


@pytest.mark.parametrize("text, expected", [
    ("Run {run.id} is {run.status}", "Run run_1 is failed"),
    ("{event.resource.id} on attempt {run.attempt}", "svc-api on attempt 2"),
    ("missing: [{run.nope}] [{nothing.at.all}]", "missing: [] []"),
    ("tags {run.tags}", 'tags ["a", "b"]'),
    ('literal }} and {"a": 1} and { spaced } stay', 'literal }} and {"a": 1} and { spaced } stay'),
    ("{{ run.status | upper }} x{{ run.attempt * 2 }}", "FAILED x4"),
    ("{% for t in run.tags %}{{ loop.index }}={{ t }};{% endfor %}", "1=a;2=b;"),
    ("{{ run['status'] }}|{{ run.tags[1] }}|{{ nothing.at.all }}|", "failed|b||"),
    ("{% if run.status == 'failed' %}page{% else %}fine{% endif %}", "page"),
    ("{{ event.payload | tojson }}", '{"n": 3}'),
])
def test_renders(text, expected):
    validate_template(text, "actions[0].message")
    assert render(text, CONTEXT) == expected


@pytest.mark.parametrize("text", [
    "{event.__class__}", "{run._private}", "{run.status!r}", "{run[0]}", "{a..b}",
    "{{ ''.__class__.__mro__ }}", "{{ run.__class__ }}", "{{ run['__dict__'] }}", "{{ _secret }}",
    "{{ run|attr('__class__') }}", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "{% include 'other' %}", "{% for i in range(1000000) %}x{% endfor %}", "{% for x in run %}",
    "{{ run.status }", "{% for t in run.tags recursive %}{{ loop(t) }}{% endfor %}",
])
def test_refused_on_save_naming_the_field(text):
    with pytest.raises(Invalid) as err:
        validate_template(text, "actions[2].message")
    assert str(err.value).startswith("actions[2].message: bad template:")


@pytest.mark.parametrize("text", [
    "{event.__class__}", "{{ ''.__class__.__mro__ }}", "{% for i in range(1000000) %}x{% endfor %}",
    "{% set n = 1000000 %}{% for i in range(n) %}x{% endfor %}",
    "{{ run[('_' ~ '_class__')] }}",
    "{{ 'x' * 10000000 }}", "{{ 9 ** 99999 }}", "{{ '%999999999d' % 1 }}",
    "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
    "{{ run.items() }}", "{{ run.status.upper() }}", "{{ lipsum(100000) }}",
])
def test_injection_refused_at_render(text):
    start = time.monotonic()
    with pytest.raises(TemplateError):
        render(text, CONTEXT)
    assert time.monotonic() - start < 2


def test_nothing_but_dict_keys_is_reachable():
    class Secretive:
        password = "hunter2"
    context = {"obj": Secretive(), "d": {"keys": "k"}}
    assert render("[{obj.password}] [{d.keys}]", context) == "[] [k]"
    assert render("{{ obj.password }}|{{ d.keys }}", context) == "|k"


def test_output_is_capped():
    text = "{% for i in range(1000) %}{{ run.id * 5 }}{% endfor %}"  # 25,000 characters
    with pytest.raises(TemplateError, match="over the output budget: the template printed more than 20,000"):
        render(text, CONTEXT)  # a Jinja template fails over its output budget (issue 18) ...
    assert len(render(text.replace("1000", "800"), CONTEXT)) == MAX_OUTPUT  # ... and may print all of it
    assert len(render("{message}", {"message": "x" * 50_000})) == MAX_OUTPUT  # a {name} template is cut


def test_loop_budget_is_per_render():
    text = "{% for i in range(1000) %}{% endfor %}ok"
    for _ in range(sandbox.MAX_ITERATIONS // 1000 + 2):
        assert render(text, {}) == "ok"


def test_escape_applies_to_plain_values_only():
    assert render('{"m": "{message}"}', {"message": 'say "hi"'}, escape=lambda v: v.replace('"', '\\"')) == \
        '{"m": "say \\"hi\\""}'


def test_non_string_template_is_400():
    with pytest.raises(Invalid, match="actions.0..subject must be a string"):
        validate_template(42, "actions[0].subject")
