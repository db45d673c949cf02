"""The shortcuts taken for speed (issue 18) give what the general paths give."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from redaction.engine import Redactor
from redaction.normalize import (
    _drop_spaces_inside_japanese,
    _one_per_character,
    _per_cluster,
    is_cjk,
)
from redaction.presidio import NlpArtifacts

# Characters NFKC keeps, changes, expands (㈱), drops (zero-width) or joins (ﾞ, a combining
# accent), spaces of both widths, line breaks, kana, kanji and Latin.
_ALPHABET = "aZ09 \u3000\n\t（）：ｶﾞﾟ\u0301\u200b㈱ｱ山田タロウあ-.@Ⅲ"


@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_one_per_character_is_the_per_cluster_view(text: str) -> None:
    fast = _one_per_character(text)
    if fast is not None:
        assert fast == _per_cluster(text)


@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_only_spaces_between_japanese_characters_are_dropped(text: str) -> None:
    def blank(ch: str) -> bool:
        return ch.isspace() and ch != "\n"

    keep = _drop_spaces_inside_japanese(list(text))
    for i, ch in enumerate(text):
        left = text[:i].rstrip("".join(c for c in _ALPHABET if blank(c)))
        right = text[i:].lstrip("".join(c for c in _ALPHABET if blank(c)))
        between = bool(left and right) and is_cjk(left[-1]) and is_cjk(right[0])
        assert keep[i] is not (blank(ch) and between)


def test_keywords_are_presidios(redactor: Redactor) -> None:
    engine = redactor._analyzer.nlp_engine
    artifacts = engine.process_text("電話: 03-1234-5678、担当は山田 (TEL)。Email: a@b.jp", "ja")
    presidio = NlpArtifacts.set_keywords(engine, artifacts.lemmas, "ja")
    assert presidio
    assert engine.keywords(artifacts.lemmas) == presidio
    assert artifacts.keywords == presidio


def test_morphemes_compare_hash_and_replace_like_frozen_records(redactor: Redactor) -> None:
    engine = redactor._analyzer.nlp_engine
    first, again = engine.tokenize("山田様"), engine.tokenize("山田様")
    assert first == again
    assert hash(first[0]) == hash(again[0])
    moved = dataclasses.replace(first[0], start=5)
    assert moved.start == 5
    assert first[0].start == 0
