"""Analysis of one request's texts: every string the request carries, in order, in one call.

``analyze_texts`` is the one way in for the request boundary, the chat service and the preview:
it runs the CPU-bound analyzer in a worker thread behind the shared limiter, under a timeout,
and returns each text's entities in that text's own offsets. ``owner`` (the user) is the key
for fairness between users. Fail closed: any error or timeout raises ``RedactionFailed``.
This module finds; it never substitutes (``redaction.service``) nor decides what is blocked.
"""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import anyio.to_thread

from redaction.engine import Redactor
from redaction.entities import Entity
from redaction.errors import RedactionError, RedactionFailed
from redaction.profile import RedactionProfile


async def analyze_texts(
    texts: Sequence[str],
    *,
    redactor: Redactor,
    profile: RedactionProfile,
    timeout_s: float,
    limiter: anyio.CapacityLimiter | None,
    owner: str,
) -> list[list[Entity]]:
    """Entities of each of ``texts`` (the request's strings, in request order), each list in
    that text's offsets. Raises ``RedactionFailed`` on any error or after ``timeout_s``."""
    del owner  # fairness between owners is added on top of the shared limiter

    def work() -> list[list[Entity]]:
        return [redactor.analyze(text, profile) for text in texts]

    try:
        with anyio.fail_after(timeout_s):
            return await anyio.to_thread.run_sync(work, limiter=limiter, abandon_on_cancel=True)
    except TimeoutError:
        raise RedactionFailed(f"timed out after {timeout_s:g} s") from None
    except RedactionError:
        raise
    except Exception as exc:
        raise RedactionFailed(type(exc).__name__) from exc
