"""English text as the English name rules see it: words with offsets (not parts of
identifiers, numbers, addresses or domains), whether each starts a sentence, lines in Title
Case, and which stretches of a text are English prose (``english_stretches``, which the
Japanese rules leave alone). Holds no name rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from redaction.english_lexicon import calendar_word, ordinary

# A word: letters with inner apostrophes or hyphens; not part of an identifier, a number, an
# address or a domain (user_timestamp, gpt-4o, example.com, @handle).
_WORD = re.compile(r"(?<![A-Za-z0-9_@/.\-])[A-Za-z](?:[A-Za-z'’\-]*[A-Za-z])?(?![A-Za-z0-9_@/])")
_MID_SENTENCE_BEFORE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789,;&)'’/")


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: int
    end: int
    line: int
    sentence_start: bool
    title_line: bool

    @property
    def capitalised(self) -> bool:
        t = self.text
        return t[0].isupper() and any(c.islower() for c in t) and not calendar_word(t)

    @property
    def acronym(self) -> bool:
        return len(self.text) > 1 and self.text.isupper()


def words(text: str) -> list[Word]:
    out: list[Word] = []
    lines = _line_starts(text)
    titles = _title_lines(text)
    line = 0
    for m in _WORD.finditer(text):
        while line + 1 < len(lines) and lines[line + 1] <= m.start():
            line += 1
        j = m.start() - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        start = j < 0 or text[j].lower() not in _MID_SENTENCE_BEFORE
        out.append(Word(m.group(), m.start(), m.end(), line, start, line in titles))
    return out


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _title_lines(text: str) -> set[int]:
    """Lines in Title Case (headings, agendas, attendee lists): most longer words capitalised."""
    found = set()
    for i, line in enumerate(text.split("\n")):
        long = re.findall(r"[A-Za-z]{4,}", line)
        if len(long) >= 3 and sum(w[0].isupper() for w in long) >= 0.75 * len(long):
            found.add(i)
    return found


def adjacent(text: str, a: Word, b: Word) -> bool:
    """b follows a within one name: one space, or an initial's full stop and a space."""
    gap = text[a.end : b.start]
    return gap == " " or (gap == ". " and len(a.text) == 1)


_MIN_STRETCH_WORDS = 2
_EVERYDAY_SHARE = 0.75
_EMBEDDED_EVERYDAY_WORDS = 2
# Runs of text without Japanese script, full-width forms or Japanese punctuation.
_NOT_JAPANESE = re.compile(r"[^\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
# What an embedded stretch needs to hold an everyday lower-case word of two letters or more.
_LOWER_WORD = re.compile(r"[a-z]{2}")


def english_stretches(text: str) -> list[tuple[int, int]]:
    """Stretches of English prose: runs of text without Japanese script that hold two
    lower-case everyday words, or (in a text with no Japanese at all) two words or more, one
    of them a lower-case everyday word or most of them everyday words or acronyms (Usage
    Review, Roadmap, Open Questions). Japanese rules leave them to this module; a Latin name
    inside Japanese text (Kiva Systemsを, Swan and Hunter社, TOKYO FMの) stays theirs."""
    out: list[tuple[int, int]] = []
    for m in _NOT_JAPANESE.finditer(text):
        embedded = m.start() > 0 or m.end() < len(text)
        if embedded and not _LOWER_WORD.search(m.group()):
            continue  # digits, marks, acronyms (most stretches of a Japanese text): no prose
        found = re.findall(r"[A-Za-z]+", m.group())
        everyday = sum(w.islower() and len(w) > 1 and ordinary(w) for w in found)
        if embedded:
            english = everyday >= _EMBEDDED_EVERYDAY_WORDS
        else:
            english = len(found) >= _MIN_STRETCH_WORDS and (
                everyday > 0
                or sum(ordinary(w) or w.isupper() for w in found) >= _EVERYDAY_SHARE * len(found)
            )
        if english:
            out.append((m.start(), m.end()))
    return out
