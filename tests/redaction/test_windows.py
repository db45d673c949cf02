"""Analysis windows: they cover the text, own each position once, and no cut hides a name."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.profile import RedactionProfile
from redaction.windows import OVERLAP, WINDOW, windows


@given(
    st.text(alphabet="あ。\n 山", min_size=200, max_size=3_000),
    st.integers(60, 400),
    st.integers(0, 29),
)
def test_own_ranges_partition_the_text(text: str, window: int, overlap: int) -> None:
    parts = windows(text, window=window, overlap=overlap)
    assert parts[0].own_start == 0
    assert parts[-1].own_end == parts[-1].end == len(text)
    for a, b in itertools.pairwise(parts):
        assert a.own_end == b.own_start
        assert b.start <= a.end - overlap  # consecutive windows overlap
        assert a.end - a.own_end >= overlap // 2
    for part in parts:
        assert part.end - part.start <= window
        assert part.own_start - part.start >= min(overlap // 2, part.own_start)


@pytest.mark.parametrize("shift", range(-5, 3))
def test_no_window_edge_cuts_a_name(redactor: Redactor, shift: int) -> None:
    """Unpunctuated filler, so the first window ends at its hard limit, right by the name."""
    position = WINDOW - OVERLAP // 2 + shift  # around the first own-range edge
    for edge in (position, WINDOW + shift):
        text = "あ" * edge + "山田太郎様" + "あ" * 3_000
        names = [e for e in redactor.analyze(text, RedactionProfile()) if e.type is T.PERSON]
        assert any(e.start <= edge and e.end >= edge + 4 for e in names), (edge, names)
        assert not any(e.start > edge for e in names), names  # no second, cut-off piece
