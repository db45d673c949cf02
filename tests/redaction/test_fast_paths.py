"""The shortcuts taken for speed (issue 18) give what the general paths give."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
import regex
from hypothesis import example, given
from hypothesis import strategies as st

from redaction import english_text, evasions
from redaction.engine import Redactor, _removed_spaces
from redaction.lexicon import LEGAL_FORM_RE, LEGAL_FORMS
from redaction.name_tokens import NameSpan
from redaction.names import _drop_contained, _in_run, _join_legal_forms, _plain, runs
from redaction.nlp import _JOINED_WORD_ID
from redaction.normalize import (
    _drop_spaces_inside_japanese,
    _one_per_character,
    _per_cluster,
    is_cjk,
    normalize,
)
from redaction.presidio import NlpArtifacts
from redaction.recognizers import email
from redaction.recognizers.address import JapaneseAddressRecognizer
from redaction.recognizers.base import AnchoredRegex, GuardedRegex
from redaction.recognizers.confidential import ConfidentialMarkerRecognizer
from redaction.recognizers.email import EmailRecognizer
from redaction.recognizers.labelled_card import LabelledCardRecognizer

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


def test_morphemes_of_cached_words_say_what_sudachi_says(redactor: Redactor) -> None:
    """Spans and out-of-vocabulary flags read from the cache of known words (``is_oov`` and
    ``end`` not asked) are Sudachi's, the first time a word is seen and the next."""
    engine = redactor._analyzer.nlp_engine
    text = "ｸﾞﾛｰﾊﾞﾙ化、ゾルグニクス社のXyzzy様😀と山田太郎様。𠮷野家 ｶﾞｯﾂ" * 2
    for _ in range(2):
        ours = [(m.surface, m.start, m.end, m.oov) for m in engine.tokenize(text)]
        sudachi = [
            (m.surface(), m.begin(), m.end(), m.is_oov() or m.word_id() == _JOINED_WORD_ID)
            for m in engine._tokenizer().tokenize(text)
            if not m.surface().isspace()
        ]
        assert ours == sudachi
    assert any(oov for *_, oov in ours)
    assert not all(oov for *_, oov in ours)


# Business text for the shortcuts of the name rules and patterns (issue 18, fourth session):
# the recognizer and name tables, and addresses of every shape the city-block pattern takes.
_ADDRESSES = [
    "住所は港区芝公園4-2-8、さいたま市浦和区高砂3丁目15番1号 ミナトビル5Fです。",
    "送付先：横浜市中区山下町１２３番地の４　本社は大阪市北区梅田1-1-3 大阪駅前第1ビル",
    "弊社は千代田区霞が関1-3-1にございます。新宿の会議室、渋谷区道玄坂2-10-7。",
    "札幌市中央区北一条西2丁目1番地、名古屋市中村区名駅4-7-1 タワー棟12階",
    "ひたちなか市西大島3-16-1、北海道河東郡音更町木野大通西7丁目1-1 ハイツ木野201号室",
    "宛先：アルプスヶ丘南区芝3-1-1 と かすみがうら市上土田461番地",  # 7 and 6 before the ending
    "区役所で手続き、町内会の回覧、村上さんの市場調査。港区7, 3丁目",
]


def _texts() -> list[str]:
    from tests.redaction.test_names import CAUGHT, LEFT_ALONE
    from tests.redaction.test_recognizers import FOUND, NOT_FOUND

    rows = [*FOUND, *NOT_FOUND, *CAUGHT, *LEFT_ALONE]
    names = ["子会社の株価が上がり、オラクルを買収した。", "ZQXVとABCDに連絡、Yelpの件"]
    return [*_ADDRESSES, *names, *(row[0] for row in rows if isinstance(row[0], str))]


def test_plain_words_alone_hold_no_name(redactor: Redactor) -> None:
    """``names._plain``: a run of one such word is skipped; every rule agrees it is no name."""
    engine = redactor._analyzer.nlp_engine
    skipped = 0
    for text in _texts():
        morphemes = _join_legal_forms(engine.process_text(text, "ja").name_morphemes)
        for run in runs(morphemes):
            if len(run) == 1 and _plain(run[0]):
                skipped += 1
                assert _in_run(run, True) == [], run[0]
                assert _in_run(run, False) == [], run[0]
    assert skipped > 40  # the shortcut is taken (most runs of one word)


def test_legal_forms_are_the_pattern_s_full_matches() -> None:
    words = [*LEGAL_FORMS, "株式", "会社", "株式会社カケハシ", "(株)X", "", "医療法人社団法人"]
    for word in words:
        assert (word in LEGAL_FORMS) is bool(LEGAL_FORM_RE.fullmatch(word)), word


def test_city_blocks_start_where_a_scan_finds_them(redactor: Redactor) -> None:
    """The anchored city-block pattern (``AnchoredRegex``) finds what a scan finds."""
    recognizer = next(
        r for r in redactor._analyzer.registry.recognizers if r.name == "JapaneseAddressRecognizer"
    )
    pattern = next(p for p in recognizer.patterns if p.name == "city-block")
    assert isinstance(pattern.compiled_regex, AnchoredRegex)
    scan = regex.compile(pattern.regex, recognizer.global_regex_flags)
    found = 0
    for text in _texts():
        text = normalize(text).text
        spans = [m.span() for m in scan.finditer(text)]
        assert [m.span() for m in pattern.compiled_regex.finditer(text)] == spans, text
        found += len(spans)
    assert found >= 8


@given(st.text(alphabet="港区市町村郡あさいたまひノが霞関1２3-の丁目番地号 ビル5F\n", max_size=40))
def test_city_blocks_anchored_on_any_text(text: str) -> None:
    recognizer: Any = JapaneseAddressRecognizer()
    pattern = next(p for p in recognizer.patterns if p.name == "city-block")
    scan = regex.compile(pattern.regex, recognizer.global_regex_flags)
    anchored = [m.span() for m in pattern.compiled_regex.finditer(text)]
    assert anchored == [m.span() for m in scan.finditer(text)]


@given(st.text(alphabet="aZ9.-_+!/%@ſKİı ー山（co.jpexample@", max_size=40))
@example("d.sato@kakehashi-shoji.co.jp、m.suzuki@example.com")
@example("ymd.ı@corp.jp 連絡先: tarı.yamada@corp.co.jp")  # dotless ı: A-Za-z under IGNORECASE
@example("a!b@example.jp /x/y@mail.example.org ſam@example.jp")
@example("user..name@example.jp @@a@b.co a.@b.jp -x@y.jp")
@example(".a!b@example.jp a..b/c@example.jp")  # found after a "!" or "/", not at the run's start
def test_email_addresses_anchored_on_any_text(text: str) -> None:
    """The anchored e-mail pattern (tried before each "@" only) finds what a scan finds."""
    recognizer: Any = EmailRecognizer()
    pattern = recognizer.patterns[0]
    assert isinstance(pattern.compiled_regex, AnchoredRegex)
    scan = regex.compile(pattern.regex, recognizer.global_regex_flags)
    anchored = [m.span() for m in pattern.compiled_regex.finditer(text)]
    assert anchored == [m.span() for m in scan.finditer(text)]


def test_the_local_part_set_is_every_character_the_pattern_takes_there() -> None:
    """``_starts`` walks back over ``_LOCAL``: it must hold every character the local part's
    class matches under the recognizer's flags, found here over every code point."""
    recognizer: Any = EmailRecognizer()
    local = regex.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-.]", recognizer.global_regex_flags)
    takes = {c for c in map(chr, range(0x110000)) if local.fullmatch(c)}
    assert takes == email._LOCAL


@given(st.text(alphabet="abcXY  12-.@\n山田ですmeeting the and", max_size=50))
def test_english_stretches_skip_only_stretches_without_prose(text: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(english_text, "_LOWER_WORD", re.compile(""))  # never skips
        every = english_text.english_stretches(text)
    assert english_text.english_stretches(text) == every


def _drop_contained_by_pairs(spans: list[NameSpan]) -> list[NameSpan]:
    """The rule of ``names._drop_contained``, each span tested against every kept one."""
    kept: list[NameSpan] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), -s.score)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


_SPANS = st.lists(
    st.builds(
        lambda start, length, score, kind: NameSpan(kind, start, start + length, score, "r"),
        st.integers(0, 30),
        st.integers(0, 8),
        st.sampled_from([0.55, 0.6, 0.7]),
        st.sampled_from(["PERSON", "COMPANY"]),
    ),
    max_size=25,
)


@given(_SPANS)
def test_drop_contained_keeps_what_testing_every_pair_keeps(spans: list[NameSpan]) -> None:
    assert _drop_contained(spans) == _drop_contained_by_pairs(spans)
    nonempty = [s for s in spans if s.end > s.start]
    assert _drop_contained(nonempty) == _drop_contained_by_pairs(nonempty)


@given(st.text(alphabet="0123456789-- .〇一二", min_size=2, max_size=24))
@example("電話1-2-3-4-5-6-7、1-2-3-4-5-6、090-1234-5678、12-3-4-5-6-7-8")
def test_digit_runs_as_written_are_left(text: str) -> None:
    """``_digit_run``'s shortcut returns what its piece-by-piece rewrite returns."""
    for run in evasions._RUN.findall(text):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(evasions, "_AS_WRITTEN", re.compile(r"(?!)"))  # never shortcut
            pieces = evasions._digit_run(run)
        fast = evasions._digit_run(run)
        if isinstance(fast, str):
            assert fast == run
            assert evasions._unchanged(run, pieces)
        else:
            assert fast == pieces


_PIECES = ["dot", "DoT", "ドット", "どっと", "at", " ", "[", "]", "（", "）", "a", "1", "@", "."]


@given(st.lists(st.sampled_from(_PIECES), max_size=16).map("".join))
@example("a[at]b[dot]jp")
@example("a at b DOT jp")
@example("a（アット）b（ドット）jp")
@example("a(あっと)b(どっと)jp")
def test_dot_scans_skipped_only_where_they_find_nothing(text: str) -> None:
    """``undo`` rewrites a text as it would with the "dot" scans always run."""
    fast = evasions.View(list(text), list(range(len(text))), list(range(1, len(text) + 1)))
    evasions.undo(fast)
    full = evasions.View(list(text), list(range(len(text))), list(range(1, len(text) + 1)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(evasions, "_spells_dot", lambda _: True)
        evasions.undo(full)
    assert fast == full


_MARKED = [
    "card", "CARD", "Card", "カード", "ｶｰﾄﾞ", "クレジット", "クレカ", "番号", ":", " ", "\n",
    "4111", "1111", "-", "5", "社外秘", "秘", "【", "】", "社内限定", "取扱厳重注意", "持ち出し禁止",
    "confidential", "CONFIDENTIAL", "ſ", "İ", "K", "top", "secret", "TOP SECRET", "internal",
    "only", "use", "do not", "distribute", "proprietary", "restricted", "x",
]  # fmt: skip


def _guarded_and_scanned(recognizer: Any, text: str) -> tuple[list[Any], list[Any]]:
    guarded, scanned = [], []
    for pattern in recognizer.patterns:
        assert isinstance(pattern.compiled_regex, GuardedRegex)
        scan = regex.compile(pattern.regex, recognizer.global_regex_flags)
        guarded += [m.span() for m in pattern.compiled_regex.finditer(text)]
        scanned += [m.span() for m in scan.finditer(text)]
    return guarded, scanned


@pytest.mark.parametrize("recognizer", [ConfidentialMarkerRecognizer, LabelledCardRecognizer])
@given(text=st.lists(st.sampled_from(_MARKED), max_size=14).map("".join))
def test_guarded_patterns_find_what_a_scan_finds(recognizer: Any, text: str) -> None:
    """A pattern left unscanned (``GuardedRegex``) in a text without its words misses none."""
    guarded, scanned = _guarded_and_scanned(recognizer(), text)
    assert guarded == scanned


@pytest.mark.parametrize(
    ("recognizer", "text"),
    [
        (ConfidentialMarkerRecognizer, "TOP ſECRET"),  # ſ and İ case-fold to s and i
        (ConfidentialMarkerRecognizer, "İnternal use only"),
        (ConfidentialMarkerRecognizer, "ſtrictly confidentiaL"),
        (ConfidentialMarkerRecognizer, "【秘】"),
        (ConfidentialMarkerRecognizer, "社内限り 取扱注意 機密扱い 持出禁止 複製禁止"),
        (LabelledCardRecognizer, "カード番号: 4111-1111-1111-1111"),
        (LabelledCardRecognizer, "ｶｰﾄﾞ 4111111111111111"),
        (LabelledCardRecognizer, "CARD no. 4111 1111 1111 1111"),
        (LabelledCardRecognizer, "クレカ 4111111111111111"),
    ],
)
def test_guarded_patterns_find_markers_in_odd_cases(recognizer: Any, text: str) -> None:
    guarded, scanned = _guarded_and_scanned(recognizer(), text)
    assert guarded == scanned
    assert guarded, text


@given(st.text(alphabet=_ALPHABET, max_size=40))
@example("株式会社ミライ精工 山田太郎　様\n1 2 3 4 5 6 7 8")
@example("Ⅲｱ  あ")  # Ⅲ → III makes up for the two spaces dropped: the same length
def test_removed_spaces_are_every_whitespace_gap(text: str) -> None:
    """``_removed_spaces`` (gaps found by a comparison looped in C) gives each offset of the
    normalised text whose character starts after whitespace the previous one did not cover."""
    mapped = normalize(text)
    starts, ends = mapped.starts, mapped.ends
    expected = {
        i
        for i in range(1, len(starts))
        if starts[i] > ends[i - 1] and text[ends[i - 1] : starts[i]].isspace()
    }
    assert _removed_spaces(text, mapped) == expected
