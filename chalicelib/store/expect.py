"""What a conditional write expects of the stored item, said once for both
kinds of repository: the DynamoDB ones turn it into a condition expression,
the in-memory ones check it in Python. An expectation maps a field to a value
(equal), `In(...)`, `Below(...)`, `ABSENT` or `PRESENT`; every one must hold."""
from dataclasses import dataclass


@dataclass(frozen=True)
class In:
    """The field has one of these values."""
    values: tuple

    def __init__(self, *values):
        object.__setattr__(self, "values", tuple(values))


@dataclass(frozen=True)
class Below:
    """The field is set and sorts before this value."""
    value: object


class _Absent:
    def __repr__(self):
        return "ABSENT"


class _Present:
    def __repr__(self):
        return "PRESENT"


ABSENT, PRESENT = _Absent(), _Present()
REMOVE = None  # a change to None removes the field


def holds(value, expected) -> bool:
    """Whether a stored value (None when the item lacks the field) meets an expectation."""
    if expected is ABSENT:
        return value is None
    if expected is PRESENT:
        return value is not None
    if isinstance(expected, In):
        return value in expected.values
    if isinstance(expected, Below):
        return value is not None and value < expected.value
    return value == expected


def all_hold(item, expect: dict) -> bool:
    """Whether every expectation holds for a record (None: the item does not exist)."""
    if item is None:
        return all(e is ABSENT for e in expect.values())
    return all(holds(getattr(item, name, None), wanted) for name, wanted in expect.items())
