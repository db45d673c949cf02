"""Overlapping analysis windows over one long text, so that no cut can hide a value.

The analyzer works on windows of at most ``WINDOW`` characters. Each window overlaps the next by
``OVERLAP`` characters, and the right edge prefers a line or sentence end. Every finding belongs
to exactly one window — the one whose *own* range holds its start; own ranges meet in the
middle of each overlap, so a finding up to ``OVERLAP // 2`` characters long is always seen whole,
with at least that much context on its left (a name at a cut, ``山|田太郎``, is found whole by
the next window). Short windows also bound the work between two checks of a cancel flag, and
keep the analyzer linear (Presidio's context enhancer is quadratic in the length of one text).
This module knows offsets only, never entity types.
"""

from __future__ import annotations

from dataclasses import dataclass

WINDOW = 6_000
OVERLAP = 512
# Preferred right edges, best first: a window ends just after one of these when it can.
_CUTS = ("\n", "。", "．", "！", "？", ". ", "、", " ")


@dataclass(frozen=True, slots=True)
class Window:
    """``text[start:end]`` is analysed; findings starting in ``[own_start, own_end)`` are kept."""

    start: int
    end: int
    own_start: int
    own_end: int

    def owns(self, start: int) -> bool:
        return self.own_start <= start < self.own_end


def _edge(text: str, start: int, window: int, overlap: int) -> int:
    """The right edge of the window starting at ``start``: just after the best cut in the
    window's second half, else the hard limit."""
    limit = start + window
    lowest = start + max(window // 2, overlap + 1)
    for cut in _CUTS:
        found = text.rfind(cut, lowest, limit)
        if found != -1 and found + len(cut) <= limit:
            return found + len(cut)
    return limit


def windows(text: str, *, window: int = WINDOW, overlap: int = OVERLAP) -> list[Window]:
    """Windows covering ``text``; their own ranges partition ``[0, len(text))``."""
    if window <= 2 * overlap:
        raise ValueError("the window must be longer than twice the overlap")
    out: list[Window] = []
    start = own_start = 0
    while len(text) - start > window:
        end = _edge(text, start, window, overlap)
        own_end = end - overlap // 2
        out.append(Window(start, end, own_start, own_end))
        start, own_start = end - overlap, own_end
    out.append(Window(start, len(text), own_start, len(text)))
    return out
