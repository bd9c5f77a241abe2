"""The Jinja2 sandbox for user templates: ImmutableSandboxedEnvironment, made
stricter. Only dict keys (and list indexes) are reachable, never attributes of
Python objects; there are no macros, includes or recursive loops; `range` is
capped at 1,000 items.

Every render runs under the budgets of `budget.py` (CPU time, output, value
size, memory, loop iterations). The sandbox controls every point where time
can be spent or a value can grow, and checks the budget there before the work:
- all binary and unary operators are intercepted (`call_binop`/`call_unop`):
  `*`, `+` and `**` refuse a result over the value or number budget, worked
  out from the operands (len(a) + len(b), len(a) · n, b · log10(a) digits);
  `%` is for numbers only; every operator is a step of the budget (whose
  CPU clock is read every few steps, and after any big piece of work);
- `~` (Concat), slices `a[x:y]`, the values printed by `{{ }}` and the text
  captured by `{% set %}…{% endset %}` and `{% filter %}` blocks are
  rewritten into internal filters that do the same;
- every filter and test is bounded (`template_filters.py`);
- every loop iteration, key lookup and call steps the budget.
The constant folding Jinja does when compiling cannot run anything either:
every operator is intercepted and every filter and test takes the context,
so nothing runs before the render and its budget.
"""
from functools import lru_cache

from jinja2 import ChainableUndefined, nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from chalicelib.actions import budget, template_filters
from chalicelib.actions.budget import BudgetExceeded
from chalicelib.actions.template_filters import current as _budget
from chalicelib.actions.template_filters import total_size

MAX_RANGE = 1_000
MAX_ITERATIONS = budget.ITERATIONS  # all loops of one render together, nested ones included
LOOP_ATTRIBUTES = ("index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0",
                   "previtem", "nextitem")
REFUSED_NODES = (nodes.Macro, nodes.CallBlock, nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
_ARITHMETIC = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
               "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b}


def _range(*args):
    _budget().step()
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise SecurityError(f"range() of {len(values)} items is over the limit of {MAX_RANGE}")
    return values


def _sequence(value) -> bool:
    return isinstance(value, str | list | tuple)


@pass_context  # also keeps the optimizer from running it at compile time
def _bounded(_context, iterable):
    spent = _budget()
    for item in iterable:
        spent.iterate()
        yield item


@pass_context
def _concat(context, parts):
    """`a ~ b ~ c`: refused before joining when the text would be over the budget."""
    spent = _budget()
    spent.step()
    total = 0
    for part in parts:
        kind = type(part)
        total += len(part) if kind is str else part.bit_length() // 3 + 1 if kind is int else budget.size(part)
    spent.fits(total, "~")
    text = (markup_join if context.eval_ctx.autoescape else str_join)(parts)
    spent.built_value(len(text), "~")
    return text


@pass_context
def _slice(_context, value, start, stop, step):
    """`a[x:y:z]`; a copy counts against the memory budget."""
    spent = _budget()
    spent.step()
    result = value[start:stop:step]
    if result is not value and isinstance(result, str | list | tuple):
        spent.built_value(budget.size(result), "a slice")
    return result


@pass_context
def _printed(_context, value):
    """A value printed by `{{ }}`: a list or dict is refused before being
    written out when its text would be over the output budget."""
    _budget().step()
    kind = type(value)
    if kind is not str and kind is not int and budget.size(value, budget.OUTPUT_CHARS) > budget.OUTPUT_CHARS:
        raise BudgetExceeded(f"over the output budget: a value printed would be over {budget.OUTPUT_CHARS:,} "
                             "characters")
    return value


@pass_context
def _captured(_context, value):
    """A value printed inside `{% set %}…{% endset %}` or `{% filter %}`: built text."""
    spent = _budget()
    spent.step()
    spent.built_value(len(value) if isinstance(value, str) else budget.size(value), "text captured by a block")
    return value


class _Literal(str):
    """Template text (not a value) inside a captured block: never escaped."""


@pass_context
def _captured_text(_context, text):
    _budget().built_value(len(text), "text captured by a block")
    return _Literal(text)


class _Instrument(NodeTransformer):
    """Rewrites a parsed template so that every loop, `~`, slice and printed
    value goes through the budget (see the module docstring)."""

    def __init__(self):
        self.captured = 0

    @staticmethod
    def _filter(node, name, args=()):
        return nodes.Filter(node, name, list(args), [], None, None, lineno=node.lineno)

    def visit_For(self, node):
        if node.recursive:
            raise SecurityError("recursive loops are not allowed in templates")
        node = self.generic_visit(node)
        node.iter = self._filter(node.iter, "_bounded")
        return node

    def visit_AssignBlock(self, node):
        self.captured += 1
        try:
            return self.generic_visit(node)
        finally:
            self.captured -= 1

    visit_FilterBlock = visit_AssignBlock

    def visit_Concat(self, node):
        node = self.generic_visit(node)
        return self._filter(nodes.Tuple(node.nodes, "load", lineno=node.lineno), "_concat")

    def visit_Getitem(self, node):
        node = self.generic_visit(node)
        if not isinstance(node.arg, nodes.Slice):
            return node
        bounds = [part if part is not None else nodes.Const(None, lineno=node.lineno)
                  for part in (node.arg.start, node.arg.stop, node.arg.step)]
        return self._filter(node.node, "_slice", bounds)

    def visit_Output(self, node):
        node = self.generic_visit(node)
        out = []
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                out.append(self._filter(nodes.Const(child.data, lineno=child.lineno), "_captured_text")
                           if self.captured else child)
            else:
                out.append(self._filter(child, "_captured" if self.captured else "_printed"))
        node.nodes = out
        return node


class StrictSandbox(ImmutableSandboxedEnvironment):
    """Dict keys only: `a.b` and `a['b']` read key b of dict a, nothing else."""
    intercepted_binops = frozenset(_ARITHMETIC)
    intercepted_unops = frozenset(("+", "-"))

    def is_safe_attribute(self, obj, attr, value):
        return False

    def getattr(self, obj, attribute):
        if isinstance(obj, LoopContext) and attribute in LOOP_ATTRIBUTES:
            _budget().step()
            return getattr(obj, attribute)
        return self.getitem(obj, attribute)

    def getitem(self, obj, argument):
        _budget().step()
        if isinstance(argument, str) and argument.startswith("_"):
            raise SecurityError(f"access to {argument!r} is not allowed in templates")
        if isinstance(obj, dict) and isinstance(argument, str) and argument in obj:
            return obj[argument]
        if isinstance(obj, list | tuple) and isinstance(argument, int) and -len(obj) <= argument < len(obj):
            return obj[argument]
        return self.undefined(obj=obj, name=argument)

    def call(__self, __context, __obj, *args, **kwargs):  # the names of Jinja's own call
        _budget().step()
        return super().call(__context, __obj, *args, **kwargs)

    def call_unop(self, context, op, arg):
        _budget().step()
        return super().call_unop(context, op, arg)

    def call_binop(self, context, op, left, right):
        spent = _budget()
        spent.step()
        ints = all(isinstance(v, int) for v in (left, right))
        numbers = all(isinstance(v, int | float) for v in (left, right))
        if op == "**":
            if not (numbers and abs(right) <= 100):
                raise SecurityError("** is allowed for numbers with an exponent of at most 100")
            if ints and right > 0:
                spent.number(int(abs(left).bit_length() * right * budget.LOG10_2) + 1, "**")
        elif op == "%" and not numbers:
            raise SecurityError("% is allowed for numbers only (string formatting is not available)")
        elif op == "*":
            if ints:
                spent.number(budget.digits(left) + budget.digits(right), "*")
            elif not numbers:
                seq, count = (left, right) if isinstance(right, int) else (right, left)
                if _sequence(seq) and isinstance(count, int):
                    spent.fits(budget.size(seq) * max(count, 0), "*")
        elif op in "+-" and ints:
            spent.number(max(budget.digits(left), budget.digits(right)) + 1, op)
        elif op == "+" and _sequence(left) and _sequence(right):
            spent.fits(total_size((left, right)), "+")
        result = _ARITHMETIC[op](left, right)
        if isinstance(result, str | list | tuple):
            spent.built_value(len(result) if isinstance(result, str) else budget.size(result), op)
        return result


def _finalize(escape):
    def finalize(value):
        return value if isinstance(value, _Literal) else escape(str(value))
    return finalize


@lru_cache(maxsize=8)
def environment(escape=None) -> StrictSandbox:
    """The sandbox; with `escape`, every `{{ value }}` it prints is escaped
    (Slack's `&`, `<`, `>`), while the template's own text stays as written."""
    env = StrictSandbox(autoescape=False, undefined=ChainableUndefined, finalize=_finalize(escape) if escape else None)
    env.filters = template_filters.filters() | {
        "_bounded": _bounded, "_concat": _concat, "_slice": _slice, "_printed": _printed, "_captured": _captured,
        "_captured_text": _captured_text}
    env.tests = template_filters.tests()
    env.globals = {"range": _range}
    return env


ENV = environment()


def check(ast: nodes.Template) -> None:
    """Refuse names, attributes, constant keys, filters and tests that start
    with `_` (dunders above all, and the sandbox's own filters), the
    constructs that could recurse or load other templates, and a constant
    range() over the limit."""
    for node in ast.find_all(REFUSED_NODES):
        raise SecurityError(f"{type(node).__name__.lower()} blocks are not allowed in templates")
    for node in ast.find_all((nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Test)):
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
    """Parse, check and compile a template, instrumented for the budget."""
    env = environment(escape)
    ast = env.parse(text)
    check(ast)
    ast = _Instrument().visit(ast)
    ast.set_environment(env)
    return env.from_string(ast)


def generate(text: str, context: dict, limit: int = budget.OUTPUT_CHARS, escape=None) -> str:
    """Render under the budget (the scope's, if one is open); output over
    `limit` characters fails the render."""
    template = compile_template(text, escape)
    with budget.scope() as spent, spent.running():
        out, size = [], 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > limit:
                raise BudgetExceeded(f"over the output budget: the template printed more than {limit:,} characters")
            out.append(chunk)
        spent.built_value(size, "the output")
        return "".join(out)


def trial(text: str) -> None:
    """Render with no data at all: what a template works out from its own
    constants (`'x' * 20000`, `10 ** 100`) must fit the budgets, which is
    known when it is saved. Only a budget error is raised: other errors may
    depend on the data, and are reported when the template is rendered."""
    try:
        generate(text, {})
    except BudgetExceeded:
        raise
    except Exception:  # any other failure depends on the data it is rendered with
        pass
