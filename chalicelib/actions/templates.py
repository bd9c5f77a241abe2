"""User templates of action messages, titles, payloads and headers.

Two forms. Text containing `{{` or `{%` is a Jinja2 template, rendered in the
strict sandbox of `sandbox.py`. Any other text uses `{dotted.name}`
placeholders, replaced by looking up dict keys (never attributes); a missing
key renders empty. Braces around anything that is not a bare word (JSON such as
`{"a": 1}`, text with spaces) are left as they are. Both forms are checked when
an automation is saved and again, by the same code, at render time.

A Jinja template renders under the budgets of `budget.py`: 50 ms of CPU time,
20,000 characters of output, 100,000 characters per value it builds (4,300
digits per number), 1,000,000 characters built in all, 10,000 loop
iterations. Going over fails the render with a TemplateError that names the
budget. What a template works out from its own constants is known when it is
saved: `validate_template` renders it once with no data and refuses it when
that goes over a budget. A `{name}` template is cut at 20,000 characters.
"""
import json
import re
from collections.abc import Callable

from chalicelib.actions import budget
from chalicelib.errors import Invalid

MAX_OUTPUT = budget.OUTPUT_CHARS
# A placeholder candidate: braces around one "word" (no spaces, quotes or braces).
_CANDIDATE = re.compile(r"\{([^{}\s\"']+)\}")
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class TemplateError(Exception):
    """A template that cannot be used or rendered; the message says why."""


def is_jinja(text: str) -> bool:
    """Whether the text is a Jinja2 template rather than `{name}` placeholders."""
    return "{{" in text or "{%" in text


def placeholders(text: str) -> list[str]:
    """The `{name}` placeholders of a plain template, checked: each must be a
    dotted name of keys such as `run.status` or `event.resource.id`."""
    names = []
    for match in _CANDIDATE.finditer(text):
        name = match.group(1)
        if "__" in name or not all(_SEGMENT.match(part) for part in name.split(".")):
            raise TemplateError(f"placeholder {{{name}}} is not allowed; use a dotted name such as {{run.status}} "
                                "(no attribute access, no names starting with _)")
        names.append(name)
    return names


def _compile(text: str, trial: bool = False) -> None:
    """Check (and compile) a template; with `trial`, a Jinja template is also
    rendered once with no data, to refuse what must go over a budget."""
    if is_jinja(text):
        # jinja2 loads only for Jinja templates: most requests never need it
        from jinja2.exceptions import SecurityError
        from jinja2.exceptions import TemplateError as JinjaError

        from chalicelib.actions import sandbox
        try:
            sandbox.compile_template(text)
            if trial:
                sandbox.trial(text)
        except budget.BudgetExceeded as exc:
            raise TemplateError(str(exc)) from exc
        except SecurityError as exc:
            raise TemplateError(f"refused: {exc}") from exc
        except JinjaError as exc:
            line = getattr(exc, "lineno", None)
            raise TemplateError(f"line {line}: {exc.message}" if line else str(exc.message)) from exc
    else:
        placeholders(text)


def validate_template(text, field: str) -> None:
    """Check a template when an automation is saved; Invalid names the field.
    Inside a `budget.scope()` (one automation's save), the trial renders of all
    its templates share one budget."""
    if not isinstance(text, str):
        raise Invalid(f"{field} must be a string template", field=field)
    try:
        with budget.scope():
            _compile(text, trial=True)
    except TemplateError as exc:
        raise Invalid(f"{field}: bad template: {exc}", field=field) from exc


def lookup(context: dict, name: str):
    """The value at a dotted path of dict keys, or None (never getattr)."""
    value = context
    for part in name.split("."):
        if not isinstance(value, dict) or part.startswith("_"):
            return None
        value = value.get(part)
    return value


def as_text(value) -> str:
    """How a looked-up value appears in text: strings as they are, None as
    nothing, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _substitute(text: str, context: dict, escape: Callable[[str], str] | None) -> str:
    """A `{name}` template filled in, stopping once the text is MAX_OUTPUT
    characters long (so many placeholders of a big value cannot add up)."""
    parts, size, last = [], 0, 0
    for match in _CANDIDATE.finditer(text):
        value = as_text(lookup(context, match.group(1)))
        for part in (text[last:match.start()], escape(value) if escape else value):
            parts.append(part)
            size += len(part)
        last = match.end()
        if size >= MAX_OUTPUT:
            break
    else:
        parts.append(text[last:])
    return "".join(parts)[:MAX_OUTPUT]


def render(text: str, context: dict, escape: Callable[[str], str] | None = None) -> str:
    """Render a template with the context (a dict of dicts). A Jinja template
    runs under the budgets (module docstring); a `{name}` template is cut at
    MAX_OUTPUT characters. `escape` is applied to each value the template
    substitutes, `{name}` or `{{ expression }}` (the webhook JSON-escapes
    values, Slack escapes its control characters). Raises TemplateError with a
    readable message."""
    _compile(text)
    if not is_jinja(text):
        out = _substitute(text, context, escape)
        try:
            with budget.scope() as spent:
                spent.built_value(len(out), "the output")  # many renders in one scope add up
        except budget.BudgetExceeded as exc:
            raise TemplateError(str(exc)) from exc
        return out
    from jinja2.exceptions import SecurityError, UndefinedError
    from jinja2.exceptions import TemplateError as JinjaError

    from chalicelib.actions import sandbox
    try:
        return sandbox.generate(text, context, MAX_OUTPUT, escape)
    except budget.BudgetExceeded as exc:
        raise TemplateError(str(exc)) from exc
    except SecurityError as exc:
        raise TemplateError(f"refused: {exc}") from exc
    except UndefinedError as exc:
        raise TemplateError(f"undefined value: {exc.message}") from exc
    except JinjaError as exc:
        raise TemplateError(str(exc.message)) from exc
    except (ArithmeticError, AssertionError, AttributeError, LookupError, TypeError, ValueError,
            RecursionError) as exc:
        raise TemplateError(f"{type(exc).__name__}: {exc}") from exc
