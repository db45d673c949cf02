"""Process-wide switches of a server process, set by its entry point and never by an app.

Tests run several apps in one process; a lifespan that changed these would undo them for the
other apps at its shutdown (issue 11). ``kakehashi serve`` (``gateway.server``: once in the parent,
whose workers inherit it), ``uvicorn --factory`` and ``kakehashi demo`` call ``tune()`` before
building the app and hand ``freeze_heap`` to it as its ``started`` hook.
"""

from __future__ import annotations

import gc
import sys

# Helper threads (the audit writer, SQLite, tokenisers) hold the GIL for up to the switch
# interval before the event loop gets it back: 5 ms by default, which was most of the p99 at
# concurrency 1. At 1 ms a request waits at most that (bench/overhead).
SWITCH_INTERVAL_S = 0.001


def tune() -> None:
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def freeze_heap() -> None:
    """Once the app has started: start-up objects (litellm's price map, the analyzer: ~400k of
    them) live as long as the process, so keep them out of the collector, whose full passes over
    them stalled the event loop ~0.5 s, the p99 of docs/benchmarks.md "Gateway overhead"
    (issue 2)."""
    gc.freeze()
