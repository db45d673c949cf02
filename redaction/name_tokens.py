"""What the name rules know about one Sudachi morpheme: its script, whether it is noun-like or
proper-looking, everyday or distinctive, a counter, a company word; and the span they report.

Shared by ``redaction.names`` and its rule modules (company, person and foreign names); holds
no rule of its own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from redaction.lexicon import (
    COMPANY_SUFFIXES,
    LEGAL_FORMS,
    NAME_STOPS,
    NOT_COMPANY_ACRONYMS,
    NOT_NAMES,
    PERSON_SUFFIXES,
)
from redaction.morpheme import Morpheme

PERSON = "PERSON"
COMPANY = "COMPANY"
LOCATION = "LOCATION"
CONNECTORS = frozenset("・=&'-")
MAX_NAME_TOKENS = 6


@dataclass(frozen=True, slots=True)
class Positions:
    """Where the morphemes of one text start and end: built once per text for the text-wide
    rules that look spans up (issue 18: each built its own, six passes over a page)."""

    starts: list[int]  # in text order, for bisection
    at_start: dict[int, int]  # start offset -> index
    at_end: dict[int, int]  # end offset -> index

    @staticmethod
    def of(morphemes: Sequence[Morpheme]) -> Positions:
        starts = [m.start for m in morphemes]
        return Positions(
            starts,
            {s: k for k, s in enumerate(starts)},
            {m.end: k for k, m in enumerate(morphemes)},
        )


@dataclass(frozen=True, slots=True)
class NameSpan:
    kind: str
    start: int
    end: int
    score: float
    rule: str


# Asked several times of every morpheme by the rules (a thousand calls in a page): memoised
# by surface, a hash lookup instead of a scan of the characters (issue 18).
@functools.lru_cache(maxsize=1 << 14)
def is_katakana(text: str) -> bool:
    return all(0x30A0 <= ord(c) <= 0x30FF or c == "ー" for c in text)


@functools.lru_cache(maxsize=1 << 14)
def is_latin(text: str) -> bool:
    return any(c.isascii() and c.isalpha() for c in text) and all(
        c.isascii() and (c.isalnum() or c in ".&'-") for c in text
    )


def capitalised(text: str) -> bool:
    return text[:1].isupper() or (text[:1].isdigit() and any(c.isupper() for c in text))


def nounish(m: Morpheme) -> bool:
    if m.pos[0] == "名詞":
        return m.pos[1] != "数詞" or not m.surface.isdigit()
    if m.surface in LEGAL_FORMS:
        return True  # (株) is tagged as a symbol
    return m.pos[0] == "接頭辞" or (m.pos[0] == "接尾辞" and m.pos[1] == "名詞的")


def properish(m: Morpheme) -> bool:
    """Looks like (part of) a name rather than a common word."""
    if m.surface in NOT_NAMES:
        return False
    if m.pos[1] == "固有名詞" or (m.oov and m.pos[0] == "名詞" and m.pos[1] != "数詞"):
        return True
    s = m.surface
    if is_latin(s):
        return capitalised(s) and s.upper().rstrip(".") not in NOT_COMPANY_ACRONYMS
    return len(s) >= 2 and is_katakana(s) and m.pos[0] == "名詞"


def distinctive(m: Morpheme) -> bool:
    """Not an everyday word: a proper noun, a word Sudachi does not know, a katakana word
    outside its synonym groups (オラクル but not メール), a capitalised Latin word."""
    if m.surface in NOT_NAMES:
        return False
    if m.pos[1] == "固有名詞" or m.oov:
        return True
    if is_latin(m.surface):
        return capitalised(m.surface) and not m.common
    return is_katakana(m.surface) and len(m.surface) >= 2 and not m.common


def counter(m: Morpheme) -> bool:
    return m.pos[1] == "数詞" or m.pos[2] == "助数詞可能" or m.surface.isdigit()


def grow(run: list[Morpheme], i: int, j: int) -> tuple[int, int]:
    """Widen a company name run[i..j] over neighbouring name parts: places and proper nouns
    before it (日本マイクロソフト), proper nouns, katakana and company suffixes after it
    (ヒルトン東京, アリガトール染色); common words inside only when a name part follows."""
    while i > 0 and _name_part(run[i - 1]) and run[i - 1].surface not in CONNECTORS:
        i -= 1
    last = j
    k = j + 1
    while k < len(run) and k - i < MAX_NAME_TOKENS * 2:
        m = run[k]
        if (
            m.surface in NAME_STOPS
            or counter(m)
            or (m.pos[0] != "名詞" and m.surface not in CONNECTORS)
        ):
            break
        if _name_part(m) or company_suffix(m):
            last = k
        k += 1
    return i, last


def _name_part(m: Morpheme) -> bool:
    return (properish(m) or (is_katakana(m.surface) and len(m.surface) > 1)) and (
        m.surface not in NAME_STOPS
    )


def company_suffix(m: Morpheme) -> bool:
    """The token is, or ends in, a company word (工業, 映画社 ending in 社)."""
    s = m.surface
    return (
        s in COMPANY_SUFFIXES
        or m.norm in COMPANY_SUFFIXES
        or (len(s) > 2 and (s[-1:] == "社" or s[-2:] in COMPANY_SUFFIXES) and m.pos[0] == "名詞")
    )


# Counted things the dictionary also lists as surnames (四つ目 is one): never names.
_COUNTED = re.compile(
    r"[0-9一二三四五六七八九十百千]+"
    r"(?:つ|個|点|件|人|名|枚|本|回|度|番|号|位|日|つ目|点目|番目|個目|件目|回目|度目|日目|人目|目)"
)


def person_token(m: Morpheme) -> bool:
    return (
        m.pos[1] == "固有名詞"
        and m.pos[2] == "人名"
        and m.surface not in NOT_NAMES
        and not _COUNTED.fullmatch(m.surface)
    )


def is_kanji(text: str) -> bool:
    return all(0x4E00 <= ord(c) <= 0x9FFF or c in "々ヶ" for c in text)


def char_kinds(text: str) -> frozenset[str]:
    """The kinds of character in ``text``: h(iragana) k(atakana) c(kanji) U/l(atin) d s."""
    kinds = set()
    for c in text:
        code = ord(c)
        if 0x3040 <= code <= 0x309F:
            kinds.add("h")
        elif 0x30A0 <= code <= 0x30FF:
            kinds.add("k")
        elif 0x4E00 <= code <= 0x9FFF or c in "々ヶ":
            kinds.add("c")
        elif c.isascii() and c.isalpha():
            kinds.add("U" if c.isupper() else "l")
        elif c.isdigit():
            kinds.add("d")
        else:
            kinds.add("s")
    return frozenset(kinds)


def titled(run: list[Morpheme], j: int) -> bool:
    return j + 1 < len(run) and run[j + 1].surface in PERSON_SUFFIXES


_DEPARTMENT_ENDS = ("部", "課", "室", "局", "係", "班")


def department(m: Morpheme) -> bool:
    """A common word naming a department (経理部, 営業企画課, 広報室), never part of the
    company name before it."""
    s = m.surface
    return (
        m.pos[1] != "固有名詞"
        and not m.oov
        and len(s) >= 2
        and s.endswith(_DEPARTMENT_ENDS)
        and not s.endswith("倶楽部")
    )
