"""``gateway.kernel.plain.deep_copy``: as deep as ``copy.deepcopy`` for what it copies (a request
body, an audit event's dicts): nothing of the copy is shared with the original."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from gateway.kernel.plain import deep_copy


def test_nothing_mutable_is_shared_and_the_values_are_equal() -> None:
    inner = {"tags": ["a", {"b": None}]}
    kept = ([1, 2], datetime(2026, 12, 3, tzinfo=UTC))  # not JSON: through copy.deepcopy
    original = {"messages": [inner], "n": 1, "t": 0.5, "ok": True, "kept": kept}
    copied = deep_copy(original)
    assert copied == original == copy.deepcopy(original)
    copied["messages"][0]["tags"][1]["b"] = "changed"
    copied["kept"][0].append(3)
    assert inner == {"tags": ["a", {"b": None}]}
    assert kept[0] == [1, 2]
