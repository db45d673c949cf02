"""How often a failed credential is written to the audit log.

A script retrying with a revoked key, or a scanner, would otherwise add one audit event per
request. The first failure per (client, reason) in a window is audited; the repeats inside it
are counted and reported on the next audited one (``repeats``). Per process, in memory: with
several workers each audits its first failure, which is still a handful, not thousands.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_WINDOW_S = 60.0
_MAX_KEYS = 10_000  # forget everything rather than grow without bound under a wide scan


class Throttle:
    def __init__(self, window_s: float = _WINDOW_S, clock: Callable[[], float] = time.monotonic):
        self._window = window_s
        self._clock = clock
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}  # -> (window start, repeats)

    def admit(self, client: str, reason: str) -> int | None:
        """The repeats to report when this failure is to be audited now, else None."""
        now = self._clock()
        key = (client, reason)
        started, repeats = self._seen.get(key, (float("-inf"), 0))
        if now - started < self._window:
            self._seen[key] = (started, repeats + 1)
            return None
        if len(self._seen) >= _MAX_KEYS:
            self._seen.clear()
        self._seen[key] = (now, 0)
        return repeats
