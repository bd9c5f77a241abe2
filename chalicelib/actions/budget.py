"""What one render of a template may spend, so a template cannot exhaust the
worker or the API (both run with 512 MB).

- CPU: `CPU_SECONDS` (50 ms) of the thread's CPU time (`time.thread_time`:
  waiting and other threads do not count), checked at the points the sandbox
  controls: every operator, filter, test, call, key lookup, loop iteration
  and printed value.
- Output: a Jinja template may print at most `OUTPUT_CHARS` (20,000)
  characters.
- Values: no value a template builds (`~`, `+`, `*`, a filter's result, a
  slice, text captured by `{% set %}…{% endset %}`) may be over `VALUE_CHARS`
  (100,000) characters, a list or dict counted as it would be written out;
  a number may have at most `NUMBER_DIGITS` (4,300, Python's own limit for
  printing one) digits. The size is worked out from the operands before the
  value is built (len(a) + len(b) for `~`, b·log10(a) digits for a ** b), so
  a value over the limit is never made.
- Memory: everything a render builds, its output included, adds up to at most
  `BUILT_CHARS` (1,000,000) characters (a few MB), however short-lived.
- Loops: at most `ITERATIONS` (10,000) iterations in all, nested ones
  included.

Going over fails the render with BudgetExceeded, whose message names the
budget and its size. A budget covers one render, or, inside `scope()`, every
render of the scope together: one action's send or preview, one automation's
save (so many templates in one action cannot multiply the budget).
"""
import contextvars
import time
from contextlib import contextmanager

CPU_SECONDS = 0.050
OUTPUT_CHARS = 20_000
VALUE_CHARS = 100_000
NUMBER_DIGITS = 4_300
BUILT_CHARS = 1_000_000
ITERATIONS = 10_000
CLOCK_EVERY = 8  # cheap steps between two reads of the CPU clock (a read costs ~0.6 µs)
LOG10_2 = 0.30103


class BudgetExceeded(Exception):
    """A render went over one of its budgets; the message says which."""


class Budget:
    """What is left of the budgets of one render or scope."""

    def __init__(self):
        self.cpu_left, self.deadline = CPU_SECONDS, None
        self.built, self.iterations, self.steps = 0, ITERATIONS, 0

    @contextmanager
    def running(self):
        """Count the CPU time of one render against the budget (CPU used
        between the renders of a scope, such as sending, does not count)."""
        start = time.thread_time()
        outer, self.deadline = self.deadline, start + self.cpu_left
        try:
            yield self
        finally:
            self.deadline = outer
            self.cpu_left -= time.thread_time() - start

    def check_time(self) -> None:
        """Fail once the render has used its CPU time."""
        if self.deadline is not None and time.thread_time() > self.deadline:
            raise BudgetExceeded(f"over the CPU budget: the template used more than {CPU_SECONDS * 1000:g} ms "
                                 "of CPU time")

    def step(self) -> None:
        """One cheap step (a lookup, an operator, a filter call): the clock is read every few steps."""
        self.steps += 1
        if self.steps % CLOCK_EVERY == 0:
            self.check_time()

    def iterate(self) -> None:
        """One loop iteration."""
        self.iterations -= 1
        if self.iterations < 0:
            raise BudgetExceeded(f"over the loop budget: loops ran more than {ITERATIONS:,} times in one template")
        self.step()

    def fits(self, size: int, what: str) -> None:
        """Refuse to build a value of `size` characters (made by `what`) when it
        would go over the value or memory budget; nothing is counted yet."""
        if size > VALUE_CHARS:
            raise BudgetExceeded(f"over the value budget: {what} would make a value of {size:,} characters; "
                                 f"a value may have at most {VALUE_CHARS:,}")
        if self.built + size > BUILT_CHARS:
            raise BudgetExceeded(f"over the memory budget: the template would build more than {BUILT_CHARS:,} "
                                 "characters in all")

    def built_value(self, size: int, what: str) -> None:
        """Count a value of `size` characters that was built."""
        if size > VALUE_CHARS or self.built + size > BUILT_CHARS:
            self.fits(size, what)
        self.built += size
        if size > 4096:  # big values take time to make: look at the clock now
            self.check_time()

    def number(self, digits: int, what: str) -> None:
        """Refuse to make a number of more than NUMBER_DIGITS digits."""
        if digits > NUMBER_DIGITS:
            raise BudgetExceeded(f"over the number budget: {what} would make a number of about {digits:,} digits; "
                                 f"a number may have at most {NUMBER_DIGITS:,}")


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("template_budget", default=None)


current = _current.get  # () -> the Budget of the render or scope under way, or None


@contextmanager
def scope():
    """One budget for every render inside (an inner scope shares the outer one)."""
    budget = _current.get()
    if budget is not None:
        yield budget
        return
    budget = Budget()
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def digits(number: int) -> int:
    """Decimal digits of an integer, from its bit length (never converts it)."""
    return int(abs(number).bit_length() * LOG10_2) + 1


def size(value, limit: int = VALUE_CHARS, indent: int = 0) -> int:
    """Characters `value` takes written out (as str() or JSON would, roughly:
    strings by their length, numbers by their digits, lists and dicts by
    their items plus separators; with `indent`, JSON's line breaks and
    indentation too). Counting stops once over `limit`, so it costs at most
    about `limit` steps however big or shared the value is."""
    if isinstance(value, str):  # the common cases, quickly
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return digits(value)
    budget, total, seen = _current.get(), 0, 0
    stack = [(value, 0)]
    while stack and total <= limit:
        item, depth = stack.pop()
        seen += 1
        if budget is not None and seen % 4096 == 0:
            budget.check_time()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += digits(item)
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, list | tuple | dict):
            total += 2
            pad = 2 + indent * (depth + 1) if indent else 2  # ", " or a line break and its indentation
            entries = item.items() if isinstance(item, dict) else item
            for entry in entries:
                total += pad
                if isinstance(entry, tuple) and isinstance(item, dict):
                    stack.append((entry[0], depth + 1))
                    stack.append((entry[1], depth + 1))
                else:
                    stack.append((entry, depth + 1))
                if total > limit:
                    break
        else:
            total += 24  # undefined values, loop objects, iterators: a short text at most
    return total
