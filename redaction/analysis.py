"""Analysis of one request's texts: every string the request carries, in order, in one call.

``analyze_texts`` is the one way in for the request boundary, the chat service and the preview.
Each text is analysed on its own (so its findings do not depend on the rest of the request,
and a cache, ``redaction.cache``, serves a text seen before: the history of a conversation is
analysed once, not on every turn), and the texts are also analysed glued without a separator
around each seam, so a value split between two of them (two text parts, two adjacent messages,
``山田`` | ``太郎``) is found. A finding that covers several texts is returned as one piece in
each, in that text's offsets.

Fairness and bounds: ``FairLimiter`` runs at most one analysis per owner (the user) at a time,
in arrival order, in front of the shared capacity, so one person's large prompts queue behind
their own. A timeout or an abandoned request sets a cancel flag the analyzer checks between
windows, and the slot is held until the worker thread has really stopped (the CPU is free).
Fail closed: any error or timeout raises ``RedactionFailed``. This module finds; it never
substitutes (``redaction.service``) nor decides what is blocked.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import anyio.to_thread

from redaction.cache import AnalysisCache, entities_of, keep
from redaction.engine import Redactor, resolve_overlaps
from redaction.entities import Entity
from redaction.errors import PromptTooLarge, RedactionError, RedactionFailed
from redaction.known import known_surnames
from redaction.profile import RedactionProfile

# Characters on each side of a seam between two texts analysed glued together: longer than any
# identifier or name, so a value typed across the seam is seen whole.
SEAM = 96
# ``timeout_s`` is the budget for each started block of this many characters: a long prompt
# may take longer, and only its owner waits for it (their own queue).
TIMEOUT_CHARS = 50_000
# How long an abandoned analysis may keep its slot while its worker finishes the current window.
STOP_GRACE_S = 30.0


class FairLimiter:
    """The shared analysis capacity with a queue per owner in front of it: an owner holds at
    most ``per_owner`` of the ``total`` slots, so others always find one free."""

    def __init__(self, total: int = 2, per_owner: int = 1) -> None:
        if not 1 <= per_owner < total:
            raise ValueError("per_owner must be at least 1 and below total")
        self._shared = anyio.CapacityLimiter(total)
        self._per_owner = per_owner
        self._owners: dict[str, tuple[anyio.CapacityLimiter, int]] = {}

    @asynccontextmanager
    async def slot(self, owner: str) -> AsyncIterator[None]:
        """Wait for the owner's turn (FIFO), then for a shared slot (FIFO)."""
        queue, users = self._owners.get(owner) or (anyio.CapacityLimiter(self._per_owner), 0)
        self._owners[owner] = (queue, users + 1)
        try:
            async with queue, self._shared:
                yield
        finally:
            queue, users = self._owners[owner]
            if users == 1:
                del self._owners[owner]  # idle owners cost nothing
            else:
                self._owners[owner] = (queue, users - 1)

    def waiting(self, owner: str) -> int:
        """Analyses of ``owner`` running or queued (for tests and metrics)."""
        return self._owners.get(owner, (None, 0))[1]


async def analyze_texts(
    texts: Sequence[str],
    *,
    redactor: Redactor,
    profile: RedactionProfile,
    timeout_s: float,
    limiter: FairLimiter | None,
    owner: str,
    cache: AnalysisCache | None = None,
) -> list[list[Entity]]:
    """Entities of each of ``texts`` (the request's strings, in request order), each list in
    that text's offsets. Raises ``PromptTooLarge`` over the profile's limit, ``RedactionFailed``
    on any error or after ``timeout_s`` per ``TIMEOUT_CHARS`` still to analyse (time queued
    included). Pieces found in ``cache`` are not analysed again; new ones are kept there."""
    size = sum(len(t) for t in texts)
    if size > profile.max_prompt_chars:
        raise PromptTooLarge(size=size, limit=profile.max_prompt_chars)
    pieces = list(dict.fromkeys(_pieces(texts)))
    results: dict[str, list[Entity]] = {}
    keys: dict[str, bytes] = {}
    if cache is not None and pieces:
        scope = cache.scope(profile, redactor.profile_version(profile))
        keys = {piece: cache.key(scope, piece) for piece in pieces}
        for piece, kept in zip(pieces, await cache.get_many(list(keys.values())), strict=True):
            if kept is not None:
                results[piece] = entities_of(piece, kept)
    todo = [piece for piece in pieces if piece not in results]
    if todo:
        fresh = await _analyze_pieces(todo, redactor, profile, timeout_s, limiter, owner)
        results.update(fresh)
        if cache is not None:
            await cache.put_many({keys[piece]: keep(fresh[piece]) for piece in todo})
    return _combine(texts, results, profile)


async def _analyze_pieces(
    pieces: list[str],
    redactor: Redactor,
    profile: RedactionProfile,
    timeout_s: float,
    limiter: FairLimiter | None,
    owner: str,
) -> dict[str, list[Entity]]:
    size = sum(len(p) for p in pieces)
    budget = timeout_s * max(1, -(-size // TIMEOUT_CHARS))
    try:
        with anyio.fail_after(budget):
            if limiter is None:
                return await _run(pieces, redactor, profile)
            async with limiter.slot(owner):
                return await _run(pieces, redactor, profile)
    except TimeoutError:
        raise RedactionFailed(f"timed out after {budget:g} s") from None
    except RedactionError:
        raise
    except Exception as exc:
        raise RedactionFailed(type(exc).__name__) from exc


async def _run(
    pieces: list[str], redactor: Redactor, profile: RedactionProfile
) -> dict[str, list[Entity]]:
    """Analyse in a worker thread; on cancellation, flag it and wait until it has stopped."""
    cancel = threading.Event()
    finished = threading.Event()

    def work() -> dict[str, list[Entity]]:
        try:
            return {p: redactor.analyze(p, profile, cancelled=cancel.is_set) for p in pieces}
        finally:
            finished.set()

    try:
        return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    finally:
        cancel.set()
        if not finished.is_set():
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(finished.wait, STOP_GRACE_S)


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each text sits in a combined string: text ``k`` is ``[starts[k], starts[k] +
    lengths[k])``."""

    starts: tuple[int, ...]
    lengths: tuple[int, ...]

    @staticmethod
    def of(texts: Sequence[str], separator: str) -> _Layout:
        starts, position = [], 0
        for text in texts:
            starts.append(position)
            position += len(text) + len(separator)
        return _Layout(tuple(starts), tuple(len(t) for t in texts))

    def pieces(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """(text index, start, end) in each text that ``[start, end)`` covers."""
        out = []
        k = max(bisect.bisect_right(self.starts, start) - 1, 0)
        while k < len(self.starts) and self.starts[k] < end:
            lo = max(start, self.starts[k]) - self.starts[k]
            hi = min(end, self.starts[k] + self.lengths[k]) - self.starts[k]
            if lo < hi:
                out.append((k, lo, hi))
            k += 1
        return out


def _pieces(texts: Sequence[str]) -> list[str]:
    """What is analysed: each text on its own, and the glued text around each seam."""
    glued = "".join(texts)
    seams = [glued[start:end] for start, end in _seam_ranges(_Layout.of(texts, ""), len(glued))]
    return [*(t for t in texts if t.strip()), *seams]


def _combine(
    texts: Sequence[str], results: dict[str, list[Entity]], profile: RedactionProfile
) -> list[list[Entity]]:
    """Each text's own findings, and the pieces of those found across a seam."""
    found: list[list[Entity]] = [list(results.get(t, ())) if t.strip() else [] for t in texts]
    glued = "".join(texts)
    seams = _Layout.of(texts, "")
    for start, end in _seam_ranges(seams, len(glued)):
        for e in results[glued[start:end]]:
            pieces = seams.pieces(e.start + start, e.end + start)
            if len(pieces) > 1:
                for k, lo, hi in pieces:
                    found[k].append(Entity(e.type, lo, hi, texts[k][lo:hi], e.score))
    found = known_surnames(texts, found)
    return [
        resolve_overlaps(text, entities, first=profile.block) if entities else []
        for text, entities in zip(texts, found, strict=True)
    ]


def _seam_ranges(layout: _Layout, length: int) -> list[tuple[int, int]]:
    """Merged ranges of ``SEAM`` characters either side of each seam between two non-empty
    texts: at most the whole glued text, however many texts there are."""
    ranges: list[tuple[int, int]] = []
    for k in range(1, len(layout.starts)):
        if not layout.lengths[k] or not layout.starts[k]:
            continue  # an empty text, or nothing before this one
        seam = layout.starts[k]
        start, end = max(seam - SEAM, 0), min(seam + SEAM, length)
        if ranges and start <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return ranges
