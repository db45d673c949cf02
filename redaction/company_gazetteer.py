"""Companies the rules cannot infer: names from a published list, matched on Sudachi's word
boundaries (issue 13, company recall).

A name built from everyday words (観光バス, 投資銀行) or an everyday katakana word with no legal
form or cue beside it reads, to the rules, like any other noun. ``data/companies.txt`` holds
the names of the companies that file securities reports in Japan (the EDINET code list of
the Financial Services Agency, legal forms removed; built once by
``bench/redaction/build_companies.py``, which states what it leaves out: ordinary words,
places, people's names). Nothing is fetched at run time.

One pass: an Aho-Corasick automaton over the sentence's text, a match kept only when it begins
where a morpheme begins and ends where one ends, and is not glued to more katakana or Latin on
either side (ソニー in ソニーミュージック is a part of a longer word, not a match of its own).
Loaded once per process at import, before the gateway forks its workers, so the pages are
shared.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ahocorasick

from redaction.morpheme import Morpheme
from redaction.name_tokens import COMPANY, NameSpan, is_katakana, is_latin

DATA = Path(__file__).parent / "data" / "companies.txt"
# Above the katakana-name rules' score: a listed name of the same span is a company
# (タカマツ, インテージ are read as foreign names otherwise); below a legal form's.
_SCORE = 0.8


def read_names(path: Path = DATA) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def _automaton(names: Sequence[str]) -> Any:
    automaton: Any = ahocorasick.Automaton()
    for name in names:
        automaton.add_word(name, len(name))
    automaton.make_automaton()
    return automaton


_AUTOMATON = _automaton(read_names())


def _same_script(a: str, b: str) -> bool:
    """Two neighbouring characters that would make one word: katakana or Latin on both sides."""
    return (is_katakana(a) and is_katakana(b)) or (is_latin(a) and is_latin(b))


def _text(morphemes: Sequence[Morpheme]) -> str:
    """The morphemes' text from the first one's start, a space where a gap was left out."""
    parts: list[str] = []
    end = morphemes[0].start
    for m in morphemes:
        if m.start != end:
            parts.append(" " * (m.start - end))
        parts.append(m.surface)
        end = m.end
    return "".join(parts)


def listed_companies(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    """Spans of listed company names that begin and end on morpheme boundaries."""
    if not morphemes:
        return []
    base = morphemes[0].start
    text = _text(morphemes)
    spans: list[NameSpan] = []
    starts: list[int] = []
    for last, length in _AUTOMATON.iter(text):
        if not starts:
            starts = [m.start for m in morphemes]
        start, end = base + last + 1 - length, base + last + 1
        first = bisect.bisect_left(starts, start)
        final = bisect.bisect_left(starts, end) - 1
        if (
            first == len(starts)
            or starts[first] != start
            or morphemes[final].end != end
            or _glued(morphemes, first, final)
        ):
            continue
        spans.append(NameSpan(COMPANY, start, end, _SCORE, "listed-company"))
    return spans


def _glued(morphemes: Sequence[Morpheme], first: int, final: int) -> bool:
    """More katakana or Latin glued on either side: the match is part of a longer word."""
    if first:
        before, m = morphemes[first - 1], morphemes[first]
        if before.end == m.start and _same_script(before.surface[-1], m.surface[0]):
            return True
    if final + 1 < len(morphemes):
        m, after = morphemes[final], morphemes[final + 1]
        if after.start == m.end and _same_script(m.surface[-1], after.surface[0]):
            return True
    return False
