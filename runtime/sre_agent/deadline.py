"""The environment's stop, as every call and wait of a session sees it.

An environment that must stop by a time (the cloud sandbox, some seconds
before its function's limit) gives the executor a time limit; the executor
makes one `Deadline` of it and hands it to the toolbox, so a backend bounds
each model call by `deadline.cap(AGENT_MODEL_TIMEOUT)` and waits no longer
than what is left. When the stop comes, `TimeLimit` says what was under way,
and the executor reports the session so far with that reason."""
import time


class TimeLimit(Exception):
    """The environment's stop came; `during` says what was under way
    ("during a model call", …)."""

    def __init__(self, during: str = "before the session finished"):
        super().__init__(during)
        self.during = during


class Deadline:
    """`seconds` from now (monotonic), or none at all (`seconds` None: a
    runner, which stops only when its lease is gone)."""

    def __init__(self, seconds: float | None = None, clock=time.monotonic):
        self.clock = clock
        self.at = None if seconds is None else clock() + max(0.0, seconds)

    def left(self) -> float | None:
        """Seconds until the stop (0 once it passed), or None without one."""
        return None if self.at is None else max(0.0, self.at - self.clock())

    def cap(self, seconds: float) -> float:
        """`seconds`, or what is left before the stop if that is less."""
        left = self.left()
        return seconds if left is None else min(seconds, left)

    def check(self, during: str = "before the session finished") -> None:
        """Raise TimeLimit once the stop has passed."""
        if self.left() == 0.0:
            raise TimeLimit(during)


NONE = Deadline()  # no stop: what a toolbox has unless its environment gives one
