"""A deep copy of JSON-shaped data (dicts, lists, strings, numbers, booleans, None).

``copy.deepcopy`` keeps a memo of every object and dispatches on each value's type through its
tables: for a request body or an audit event's ``detail`` it costs several times this
recursion, on every request (issue 18). Anything else inside (a tuple, a date) still goes
through ``copy.deepcopy``, so the copy is as deep as before for every value.
"""

from __future__ import annotations

import copy
from typing import Any

_ATOMS = frozenset({str, int, float, bool, type(None)})


def deep_copy(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: deep_copy(v) for k, v in value.items()}
    if kind is list:
        return [deep_copy(v) for v in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)
