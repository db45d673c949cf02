"""Dictionary matching for customer lists, code names and allow-lists: one Aho-Corasick
automaton over folded terms, so every listed name and its variants (width, kana, spacing,
zero-width characters, long-vowel marks) is found in a single pass over the text.

Also reads the customers CSV (header ``name,aliases,kana``; aliases separated by ``;``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ahocorasick

from redaction.lexicon import LEGAL_FORM_RE
from redaction.normalize import MappedText, fold, fold_term

_MIN_TERM_CHARS = 2
_LENGTHENING = "ーうおいウオイ〜~-"


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True, slots=True)
class Match:
    start: int  # offsets in the text given to ``find``
    end: int
    term: str


class TermMatcher:
    """Finds folded occurrences of terms; leftmost-longest, non-overlapping."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._automaton: Any = ahocorasick.Automaton()
        for term in terms:
            for variant in {term, LEGAL_FORM_RE.sub("", term).strip()}:
                key = fold_term(variant)
                if len(key) >= _MIN_TERM_CHARS:
                    self._automaton.add_word(key, (len(key), term))
        self.empty = len(self._automaton) == 0
        if not self.empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[Match]:
        if self.empty:
            return []
        folded = fold(MappedText.identity(text))
        found: list[Match] = []
        for end_index, (length, term) in self._automaton.iter(folded.text):
            start, end = folded.original_span(end_index - length + 1, end_index + 1)
            end = _past_lengthening(text, end, folded, end_index + 1)
            if _bounded(text, start, end):
                found.append(Match(start, end, term))
        return _leftmost_longest(found)


def _past_lengthening(text: str, end: int, folded: MappedText, next_index: int) -> int:
    """Include long-vowel marks the fold dropped right after a match (セイコウ, セイコー)."""
    limit = folded.starts[next_index] if next_index < len(folded.starts) else len(text)
    gap = text[end:limit]
    return end + len(gap) - len(gap.lstrip(_LENGTHENING))


def _bounded(text: str, start: int, end: int) -> bool:
    """Latin terms must not match inside a longer Latin word ("ABC" in "ABCD")."""
    if _ascii_alnum(text[start]) and start > 0 and _ascii_alnum(text[start - 1]):
        return False
    return not (_ascii_alnum(text[end - 1]) and end < len(text) and _ascii_alnum(text[end]))


def _leftmost_longest(matches: list[Match]) -> list[Match]:
    chosen: list[Match] = []
    for m in sorted(matches, key=lambda m: (m.start, -(m.end - m.start))):
        if not chosen or m.start >= chosen[-1].end:
            chosen.append(m)
    return chosen


def read_customers(path: Path) -> list[str]:
    """Every name, alias and kana reading of the customers CSV."""
    terms: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"name", "aliases", "kana"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(
                f"{path}: missing columns {sorted(missing)} (header: name,aliases,kana)"
            )
        for row in reader:
            terms.append((row.get("name") or "").strip())
            terms.extend(a.strip() for a in (row.get("aliases") or "").split(";"))
            terms.append((row.get("kana") or "").strip())
    return [t for t in terms if t]
