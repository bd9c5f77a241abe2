"""The filters and tests user templates may use, each bounded by the render's
budget (`budget.py`): every call is a step of the budget; the filters that
can grow a value (`join`, `replace`, `slice`, `batch`, `list`, `sum`,
`tojson`, `string`, …) work out the size of their result before they run and
refuse one over the value budget; what a filter builds counts against the
memory budget; `round`'s precision and the digits `int` parses are bounded
(both make numbers); a filter that goes through a long value item by item
steps the budget at each item. Every filter and test takes the context, so
Jinja never runs one while compiling (outside any budget).

Filters with no cheap bound on what they build (`center`, `indent`,
`wordwrap`, `format`, `filesizeformat`, `pprint`, …) and `attr` are not
offered at all.
"""
from jinja2 import Undefined, pass_context
from jinja2.filters import FILTERS, make_attrgetter
from jinja2.tests import TESTS
from jinja2.utils import _PassArg

from chalicelib.actions import budget

# The filters there are (see the module docstring for those left out).
SAFE_FILTERS = ("abs", "batch", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
                "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject",
                "rejectattr", "replace", "reverse", "round", "select", "selectattr", "slice", "sort", "string",
                "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "wordcount")
# Filters whose result is written out as text from their value (a list's str() is its repr).
_TEXT_FILTERS = ("capitalize", "e", "escape", "lower", "string", "title", "trim", "truncate", "upper", "urlencode",
                 "wordcount")
# Filters that build a new string or list: the result counts against the memory budget.
_BUILDING_FILTERS = ("capitalize", "dictsort", "e", "escape", "join", "list", "lower", "replace", "reverse", "sort",
                     "string", "title", "tojson", "trim", "truncate", "upper", "urlencode")
# Filters that go through their value item by item in Python: over a long value, each item steps the budget.
_ITERATING_FILTERS = ("map", "max", "min", "reject", "rejectattr", "select", "selectattr", "sort", "unique")


def current() -> budget.Budget:
    """The budget of the render under way (a render always has one; a stray
    call outside one gets a fresh one)."""
    return budget.current() or budget.Budget()


def total_size(values, extra: int = 0) -> int:
    """The written-out size of several values together, counted to just over the value budget."""
    total = extra
    for value in values:
        total += budget.size(value)
        if total > budget.VALUE_CHARS:
            break
    return total


def _items(spent: budget.Budget, value, what: str):
    """An iterable's items as a list (strings, lists and dicts as they are),
    refused once they would be over the value budget written out."""
    if isinstance(value, str | list | tuple | dict | Undefined):
        return value
    items, total = [], 0
    for item in value:
        spent.step()
        total += budget.size(item) + 2
        spent.fits(total, what)
        items.append(item)
    return items


def _stepping(spent: budget.Budget, items):
    """The items of a long value, each one a step of the budget."""
    for item in items:
        spent.step()
        yield item


# What each growing filter works out before it runs: (value, args, kwargs) to run it with, or a refusal.

def _before_join(spent, context, value, d="", attribute=None):
    items = _items(spent, value, "|join")
    if attribute is not None:
        getter = make_attrgetter(context.environment, attribute)
        items = [getter(item) for item in items]
    if isinstance(items, Undefined):
        return items, (d,), {}
    separator = budget.size(d) * max(len(items) - 1, 0)
    spent.fits(len(items) + separator if isinstance(items, str) else total_size(items, separator), "|join")
    return items, (d,), {}


def _before_replace(spent, context, value, old, new, count=None):
    for part in (value, old, new):
        if not isinstance(part, str):
            spent.fits(budget.size(part), "|replace")
    text, old_text, new_text = str(value), str(old), str(new)
    times = text.count(old_text) if old_text else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    spent.fits(len(text) + times * max(len(new_text) - len(old_text), 0), "|replace")
    return value, (old, new, count), {}


def _before_slice(spent, context, value, slices, fill_with=None):
    items = _items(spent, value, "|slice")
    if isinstance(slices, int) and not isinstance(items, Undefined):
        fill = budget.size(fill_with) + 2 if fill_with is not None else 0
        spent.fits(budget.size(items) + max(slices, 0) * (2 + fill), f"|slice({slices:,})")
    return items, (slices, fill_with), {}


def _before_batch(spent, context, value, linecount, fill_with=None):
    items = _items(spent, value, "|batch")
    if isinstance(linecount, int) and not isinstance(items, Undefined):
        batches = len(items) // max(linecount, 1) + 1
        fill = linecount * (budget.size(fill_with) + 2) if fill_with is not None and linecount > 0 else 0
        spent.fits(budget.size(items) + 2 * batches + fill, f"|batch({linecount:,})")
    return items, (linecount, fill_with), {}


def _before_list(spent, context, value):
    return _items(spent, value, "|list"), (), {}


def _before_tojson(spent, context, value, indent=None):
    width = len(indent) if isinstance(indent, str) else max(indent, 0) if isinstance(indent, int) else 0
    spent.fits(budget.size(value, indent=width), "|tojson")
    return value, (indent,), {}


def _before_round(spent, context, value, precision=0, method="common"):
    if isinstance(precision, int):
        spent.number(abs(precision) + 1, f"|round({precision:,})")  # it computes 10 ** precision
    return value, (precision, method), {}


_BEFORE = {"join": _before_join, "replace": _before_replace, "slice": _before_slice, "batch": _before_batch,
           "list": _before_list, "tojson": _before_tojson, "round": _before_round}


@pass_context
def _sum(context, iterable, attribute=None, start=0):
    """Jinja's sum, bounded: numbers as they are (the digits of the total are
    checked), lists and tuples joined in one pass (the builtin is quadratic)."""
    spent = current()
    spent.step()
    items = _items(spent, iterable, "|sum")
    if attribute is not None:
        getter = make_attrgetter(context.environment, attribute)
        items = [getter(item) for item in items]
    if isinstance(start, list | tuple):
        spent.fits(total_size(items, budget.size(start)), "|sum")
        total = list(start)
        for item in items:
            if type(item) is not type(start):
                raise TypeError(f"can only add {type(start).__name__} to {type(start).__name__}, "
                                f"not {type(item).__name__}")
            total.extend(item)
        return total if isinstance(start, list) else tuple(total)
    if all(isinstance(item, int | float) for item in items) and isinstance(start, int | float):
        widest = max((budget.digits(int(v)) for v in [start, *items] if isinstance(v, int)), default=1)
        spent.number(widest + len(str(len(items))), "|sum")
    return sum(items, start)


def _first_argument(func):
    """What Jinja would pass `func` before the value (context, eval context,
    environment or nothing), as a function of the context."""
    return {_PassArg.context: lambda context: (context,),
            _PassArg.eval_context: lambda context: (context.eval_ctx,),
            _PassArg.environment: lambda context: (context.environment,)}.get(_PassArg.from_obj(func),
                                                                              lambda context: ())


def _bounded_filter(name: str, func):
    """The filter `func`, stepping the budget, with its growth worked out
    before it runs and what it built counted after."""
    first, before = _first_argument(func), _BEFORE.get(name)
    text_in, builds, what = name in _TEXT_FILTERS, name in _BUILDING_FILTERS, f"|{name}"
    parses_numbers, iterates = name == "int", name in _ITERATING_FILTERS

    @pass_context
    def bounded(context, value, *args, **kwargs):
        spent = current()
        spent.step()
        if before is not None:
            value, args, kwargs = before(spent, context, value, *args, **kwargs)
        elif text_in and not isinstance(value, str):
            spent.fits(budget.size(value), what)
        long = isinstance(value, str | list | tuple | dict) and len(value) > 1024
        result = func(*first(context), _stepping(spent, value) if long and iterates else value, *args, **kwargs)
        if long:
            spent.check_time()  # a filter over a long value can take milliseconds: look at the clock now
        if builds and result is not value and isinstance(result, str | list | tuple | dict):
            spent.built_value(budget.size(result), what)
        elif parses_numbers and type(result) is int:  # |int of a long string of binary digits
            spent.number(budget.digits(result), what)
        return result

    return bounded


def _stepping_test(func):
    """A test that steps the budget (and, taking the context, is never run while compiling)."""
    first = _first_argument(func)

    @pass_context
    def stepping(context, value, *args, **kwargs):
        current().step()
        return func(*first(context), value, *args, **kwargs)

    return stepping


def filters() -> dict:
    """The filters templates may use, by name, bounded."""
    return {name: _bounded_filter(name, FILTERS[name]) for name in SAFE_FILTERS} | {"sum": _sum}


def tests() -> dict:
    """Jinja's tests, each a step of the budget."""
    return {name: _stepping_test(test) for name, test in TESTS.items()}
