"""The Jinja2 sandbox for user templates: ImmutableSandboxedEnvironment, made
stricter. Only dict keys (and list indexes) are reachable, never attributes of
Python objects; there are no macros, includes or recursive loops; `range` is
capped and every loop of one render shares an iteration budget, so a template
cannot run for long; `*`, `**` and `%` are bounded so a value cannot grow huge.
"""
import contextvars
import operator
from functools import lru_cache

from jinja2 import ChainableUndefined, nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_RANGE = 1_000
MAX_ITERATIONS = 10_000  # all loops of one render together, nested ones included
MAX_VALUE = 20_000  # the longest string or list `*` may build
# Filters that cannot grow output beyond their input (no center/indent/format/replace/wordwrap, no attr).
SAFE_FILTERS = ("abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float", "int",
                "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr",
                "reverse", "round", "select", "selectattr", "slice", "sort", "string", "sum", "title", "tojson",
                "trim", "truncate", "unique", "upper", "urlencode", "wordcount")
LOOP_ATTRIBUTES = ("index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0",
                   "previtem", "nextitem")
REFUSED_NODES = (nodes.Macro, nodes.CallBlock, nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)

_budget: contextvars.ContextVar[list[int]] = contextvars.ContextVar("template_loop_budget")


def _range(*args):
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise SecurityError(f"range() of {len(values)} items is over the limit of {MAX_RANGE}")
    return values


@pass_context  # also keeps the optimizer from running it at compile time
def _bounded(_context, iterable):
    budget = _budget.get()
    for item in iterable:
        budget[0] -= 1
        if budget[0] < 0:
            raise SecurityError(f"loops ran more than {MAX_ITERATIONS} times in one template")
        yield item


class StrictSandbox(ImmutableSandboxedEnvironment):
    """Dict keys only: `a.b` and `a['b']` read key b of dict a, nothing else."""
    intercepted_binops = frozenset(("*", "**", "%"))

    def is_safe_attribute(self, obj, attr, value):
        return False

    def getattr(self, obj, attribute):
        if isinstance(obj, LoopContext) and attribute in LOOP_ATTRIBUTES:
            return getattr(obj, attribute)
        return self.getitem(obj, attribute)

    def getitem(self, obj, argument):
        if isinstance(argument, str) and argument.startswith("_"):
            raise SecurityError(f"access to {argument!r} is not allowed in templates")
        if isinstance(obj, dict) and isinstance(argument, str) and argument in obj:
            return obj[argument]
        if isinstance(obj, list | tuple) and isinstance(argument, int) and -len(obj) <= argument < len(obj):
            return obj[argument]
        return self.undefined(obj=obj, name=argument)

    def call_binop(self, context, op, left, right):
        numbers = all(isinstance(v, int | float) for v in (left, right))
        if op == "**" and not (numbers and abs(right) <= 100):
            raise SecurityError("** is allowed for numbers with an exponent of at most 100")
        if op == "%" and not numbers:
            raise SecurityError("% is allowed for numbers only (string formatting is not available)")
        if op == "*" and not numbers:
            size = max(len(v) if isinstance(v, str | list | tuple) else 1 for v in (left, right))
            count = max(v if isinstance(v, int) else 1 for v in (left, right))
            if size * count > MAX_VALUE:
                raise SecurityError(f"* would build a value over {MAX_VALUE} items")
        return {"*": operator.mul, "**": operator.pow, "%": operator.mod}[op](left, right)


@lru_cache(maxsize=8)
def environment(escape=None) -> StrictSandbox:
    """The sandbox; with `escape`, every `{{ value }}` it prints is escaped
    (Slack's `&`, `<`, `>`), while the template's own text stays as written."""
    env = StrictSandbox(autoescape=False, undefined=ChainableUndefined,
                        finalize=(lambda value: escape(str(value))) if escape else None)
    env.filters = {name: FILTERS[name] for name in SAFE_FILTERS} | {"_bounded": _bounded}
    env.globals = {"range": _range}
    return env


ENV = environment()


def check(ast: nodes.Template) -> None:
    """Refuse names, attributes and constant keys that start with `_` (dunders
    above all), the constructs that could recurse or load other templates, and
    a constant range() over the limit."""
    for node in ast.find_all(REFUSED_NODES):
        raise SecurityError(f"{type(node).__name__.lower()} blocks are not allowed in templates")
    for node in ast.find_all((nodes.Name, nodes.Getattr, nodes.Getitem)):
        name = getattr(node, "name", None) or getattr(node, "attr", None)
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        if isinstance(name, str) and name.startswith("_"):
            raise SecurityError(f"the name {name!r} is not allowed: names starting with _ are refused")
    for call in ast.find_all(nodes.Call):  # a constant range over the limit is refused on save already
        if isinstance(call.node, nodes.Name) and call.node.name == "range" and \
                all(isinstance(arg, nodes.Const) and isinstance(arg.value, int) for arg in call.args):
            try:
                _range(*(arg.value for arg in call.args))
            except (TypeError, ValueError):
                pass  # a wrong call is reported when rendered, with the same words as other runtime errors


@lru_cache(maxsize=256)
def compile_template(text: str, escape=None):
    """Parse, check and compile a template; every loop draws on the budget."""
    env = environment(escape)
    ast = env.parse(text)
    check(ast)
    for loop in ast.find_all(nodes.For):
        if loop.recursive:
            raise SecurityError("recursive loops are not allowed in templates")
        loop.iter = nodes.Filter(loop.iter, "_bounded", [], [], None, None, lineno=loop.lineno)
    return env.from_string(ast)


def generate(text: str, context: dict, limit: int, escape=None) -> str:
    """Render, stopping once the output reaches `limit` characters."""
    token = _budget.set([MAX_ITERATIONS])
    try:
        out, size = [], 0
        for chunk in compile_template(text, escape).generate(context):
            out.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
        return "".join(out)[:limit]
    finally:
        _budget.reset(token)
