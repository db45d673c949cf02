"""Placeholder grammar, restore, and streaming restore with every possible chunk split."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redaction.engine import Redactor
from redaction.entities import Entity
from redaction.entities import EntityType as T
from redaction.mapping import Mapping
from redaction.placeholders import (
    MAX_LENGTH,
    Placeholder,
    could_be_prefix,
    find_placeholders,
    format_placeholder,
    parse_placeholder,
)
from redaction.profile import RedactionProfile
from redaction.restore import StreamRestorer, restore
from redaction.service import substitute


@pytest.mark.parametrize(
    ("entity_type", "index", "text"),
    [
        (T.COMPANY, 1, "〔会社A〕"),
        (T.PERSON, 2, "〔人物B〕"),
        (T.PERSON, 27, "〔人物AA〕"),
        (T.PHONE, 1, "〔電話1〕"),
        (T.EMAIL, 12, "〔メール12〕"),
    ],
)
def test_format_and_parse_round_trip(entity_type: T, index: int, text: str) -> None:
    assert format_placeholder(entity_type, index) == text
    assert parse_placeholder(text) == Placeholder(entity_type, index)


@given(st.sampled_from(list(T)), st.integers(min_value=1, max_value=50_000))
def test_every_placeholder_parses_back(entity_type: T, index: int) -> None:
    text = format_placeholder(entity_type, index)
    assert len(text) <= MAX_LENGTH
    assert parse_placeholder(text) == Placeholder(entity_type, index)
    assert all(could_be_prefix(text[:k]) for k in range(1, len(text)))


def test_wrong_index_kind_is_not_a_placeholder() -> None:
    assert parse_placeholder("〔会社1〕") is None
    assert parse_placeholder("〔電話A〕") is None
    assert list(find_placeholders("〔不明A〕")) == []


def test_user_text_that_looks_like_a_placeholder_is_never_rewritten() -> None:
    text = "〔会社A〕と山田商事"
    entity = Entity(T.COMPANY, 6, 10, "山田商事", 0.9)
    mapping = Mapping().assign([(T.COMPANY, "山田商事")], avoid=text)
    redacted = substitute(text, [entity], mapping)
    assert redacted == "〔会社A〕と〔会社B〕"
    assert restore(redacted, mapping) == text


_alphabet = st.sampled_from(list("山田商事太郎〔〕会社人物AB1 はの-@.0123456789abc株式"))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=_alphabet, max_size=40))
def test_restore_inverts_redact(redactor: Redactor, text: str) -> None:
    entities = redactor.analyze(text, RedactionProfile())
    mapping = Mapping().assign([(e.type, e.text) for e in entities], avoid=text)
    assert restore(substitute(text, entities, mapping), mapping) == text


def _mapping() -> Mapping:
    return Mapping().assign(
        [(T.COMPANY, "株式会社ミライ"), (T.PERSON, "山田太郎"), (T.PHONE, "03-1234-5678")]
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["〔会社A〕", "〔人物A〕", "〔電話1〕", "〔人物Z〕", "〔", "〕", "様、", "abc", "会社"]
        ),
        max_size=12,
    ),
    st.data(),
)
def test_streaming_restore_equals_whole_restore(parts: list[str], data: st.DataObject) -> None:
    answer = "".join(parts)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(answer)))))
    chunks = [answer[a:b] for a, b in zip([0, *cuts], [*cuts, len(answer)], strict=True)]
    restorer = StreamRestorer(_mapping())
    streamed = "".join(restorer.feed(chunk) for chunk in chunks) + restorer.flush()
    assert streamed == restore(answer, _mapping())


def test_streaming_restore_over_every_two_way_split() -> None:
    answer = "〔人物A〕様、〔会社A〕の件は〔電話1〕へ。〔未知X〕"
    expected = restore(answer, _mapping())
    assert "山田太郎様" in expected
    assert "〔未知X〕" in expected
    for i in range(len(answer) + 1):
        for j in range(i, len(answer) + 1):
            restorer = StreamRestorer(_mapping())
            pieces = [
                restorer.feed(answer[:i]),
                restorer.feed(answer[i:j]),
                restorer.feed(answer[j:]),
            ]
            assert "".join(pieces) + restorer.flush() == expected


def test_streaming_buffers_only_a_possible_placeholder_prefix() -> None:
    restorer = StreamRestorer(_mapping())
    assert restorer.feed("こんにちは〔人") == "こんにちは"
    assert restorer.feed("物A〕さん") == "山田太郎さん"
    assert restorer.feed("〔これは長い括弧書きです〕") == "〔これは長い括弧書きです〕"
    assert restorer.flush() == ""
