"""Person names: Sudachi's 固有名詞・人名 (姓/名) joined into full names, unlisted given-name
pieces after a surname (壁村耐三, 影山ヒロノブ), surnames before a listed given name, katakana
names joined by ・/＝ (ミック・ジャガー), and proper-looking tokens before an honorific or a
title (ジョンソン氏, 田中部長).
"""

from __future__ import annotations

from redaction.lexicon import (
    NAME_STOPS,
    PERSON_SUFFIXES,
)
from redaction.morpheme import Morpheme
from redaction.name_tokens import (
    CONNECTORS,
    PERSON,
    NameSpan,
    is_kanji,
    is_katakana,
    is_latin,
    person_token,
    properish,
    titled,
)


def people(run: list[Morpheme]) -> list[NameSpan]:
    spans: list[NameSpan] = []
    i = 0
    while i < len(run):
        if not person_token(run[i]):
            i += 1
            continue
        j = i
        while j + 1 < len(run) and (
            person_token(run[j + 1]) or _joined_katakana(run, j + 1) or _given_name(run, j + 1)
        ):
            j += 1
        while j > i and run[j].surface in CONNECTORS:
            j -= 1
        start = i
        while start > 0 and _joined_katakana(run, start - 1, backwards=True):
            start -= 1
        if start == i and _surname_before(run, i):
            start = i - 1
        evidence = j > i or start < i or titled(run, j)
        if evidence or not run[i].everyday:  # a lone ベンダー, ビル is the everyday word
            score = 0.85 if evidence else 0.6
            spans.append(NameSpan(PERSON, run[start].start, run[j].end, score, "sudachi-person"))
        i = j + 1
    spans += _titled_people(run)
    spans += _surname_and_given(run)
    return spans


_PLURAL_AFTER_NAME = frozenset(["ら", "等", "達", "たち", "ども", "一家"])


def _surname_and_given(run: list[Morpheme]) -> list[NameSpan]:
    """A surname and the pieces of a given name Sudachi does not list (壁村 + 耐 + 三,
    影山 + ヒロノブ, 西尾 + 維新 with 西尾 a place that is also a surname), when the name
    ends the phrase or comes before a title or ら/等. Place-surnames take only rare kanji."""
    spans: list[NameSpan] = []
    for i, m in enumerate(run[:-1]):
        listed = m.pos[2:4] == ("人名", "姓")
        if not (listed or m.surname):
            continue
        j = i + 1
        chars = 0
        while j < len(run) and _given_piece(run[j], strict=not listed):
            chars += len(run[j].surface)
            j += 1
        after = run[j].surface if j < len(run) else None
        if j == i + 1 or not (
            after is None or after in PERSON_SUFFIXES or after in _PLURAL_AFTER_NAME
        ):
            continue
        if (is_kanji(run[i + 1].surface) and chars > 3) or chars > 6:
            continue
        spans.append(NameSpan(PERSON, m.start, run[j - 1].end, 0.7, "surname-given"))
    return spans


def _given_piece(m: Morpheme, *, strict: bool) -> bool:
    s = m.surface
    if s in NAME_STOPS or s in _PLURAL_AFTER_NAME or s.isdigit():
        return False
    if is_kanji(s) and len(s) <= 2:
        return person_token(m) or not m.common
    if strict:
        return False
    return is_katakana(s) and 2 <= len(s) <= 5 and not m.common


def _given_name(run: list[Morpheme], k: int) -> bool:
    """run[k] is an unlisted given name after a surname: 1-3 kanji that end the run or come
    right before a title (須藤元気, 徐平)."""
    rest = run[k:]
    if len(rest) > 2 and not any(m.surface in PERSON_SUFFIXES for m in rest[1:3]):
        return False
    name = []
    for m in rest:
        if m.surface in PERSON_SUFFIXES:
            break
        name.append(m)
    chars = sum(len(m.surface) for m in name)
    given_before = len(run[k - 1].surface) if run[k - 1].pos[3] == "名" else 0
    return (
        person_token(run[k - 1])
        and is_kanji(run[k - 1].surface)
        and chars > 0
        and chars + given_before <= 3
        and len(name) <= 2
        and all(is_kanji(m.surface) and m.pos[0] == "名詞" for m in name)
        and not any(m.surface in NAME_STOPS for m in name)
    )


def _surname_before(run: list[Morpheme], i: int) -> bool:
    """run[i-1] is an unlisted surname before a listed given name (岡本 + 三司 as 地名 + 名)."""
    if i == 0 or run[i].pos[2:4] != ("人名", "名"):
        return False
    m = run[i - 1]
    return (
        is_kanji(m.surface)
        and 1 <= len(m.surface) <= 3
        and m.pos[0] == "名詞"
        and m.surface not in NAME_STOPS
    )


def _joined_katakana(run: list[Morpheme], k: int, *, backwards: bool = False) -> bool:
    """run[k] continues a katakana name through a ・/＝ connector (ミック・ジャガー)."""
    m = run[k]
    if m.surface in CONNECTORS:
        neighbour = k - 1 if backwards else k + 1
        return 0 <= neighbour < len(run) and is_katakana(run[neighbour].surface)
    if not (is_katakana(m.surface) or is_latin(m.surface)):
        return False
    previous = k + 1 if backwards else k - 1
    return 0 <= previous < len(run) and run[previous].surface in CONNECTORS


def _titled_people(run: list[Morpheme]) -> list[NameSpan]:
    """A proper-looking token right before an honorific or title (ジョンソン氏)."""
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        if i == 0 or m.surface not in PERSON_SUFFIXES:
            continue
        j = i - 1
        while j > 0 and (properish(run[j - 1]) or run[j - 1].surface in CONNECTORS):
            j -= 1
        before = run[i - 1]
        if (
            properish(before)
            and before.surface not in NAME_STOPS
            and not (is_katakana(before.surface) and before.pos[1] != "固有名詞" and before.common)
        ):
            spans.append(NameSpan(PERSON, run[j].start, run[i - 1].end, 0.8, "honorific"))
        elif before.short_surname and (i == 1 or run[i - 2].end < before.start):
            # 東課長, 〔顧客C〕の関様: a short surname starting the phrase, before a title.
            spans.append(NameSpan(PERSON, before.start, before.end, 0.7, "short-surname"))
    return spans
