"""Normalisation with offsets that map back to the original text.

Detection runs on a normalised view so that full-width digits, half-width kana, zero-width
characters and spaces inside Japanese words do not hide anything; every normalised character
remembers the span of original characters it came from, so findings index the ORIGINAL text.
``fold`` builds a second, matching-only view (kana and case folded, spaces, middle dots and
long-vowel marks dropped) for dictionary lookups of customer names, code names and allow-lists.
This module must not know about entity types.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import compress

from redaction.evasions import View, undo

# Invisible characters that can be slipped into a word to break matching (Unicode "default
# ignorable" code points that NFKC keeps).
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u200b\u200c"
    "\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066"
    "\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
# Marks that combine with the preceding character under NFKC (half-width ﾞﾟ included).
_COMBINING_EXTRA = frozenset("\uff9e\uff9f\u3099\u309a")
_LONG_VOWELS = frozenset("ー〜～-‐‑–—―−─━ｰ~")
_DROPPED_IN_FOLD = frozenset(" \t\r\n・･.&＆'’ー")


def is_cjk(ch: str) -> bool:
    """Kanji, kana and the iteration/long-vowel marks: scripts written without spaces."""
    code = ord(ch)
    return (
        0x3040 <= code <= 0x30FF
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
        or ch in "々〆ヵヶ"
    )


@dataclass(frozen=True, slots=True)
class MappedText:
    """A derived text; character ``i`` came from ``original[starts[i]:ends[i]]``."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    original_length: int

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``[start, end)`` of this text to the smallest covering span of the original."""
        if start >= end:
            position = self.starts[start] if start < len(self.starts) else self.original_length
            return position, position
        return self.starts[start], self.ends[end - 1]

    @staticmethod
    def identity(text: str) -> MappedText:
        n = len(text)
        return MappedText(text, tuple(range(n)), tuple(range(1, n + 1)), n)


def _clusters(text: str) -> list[tuple[int, int]]:
    """Base character plus following combining marks, as original index spans."""
    spans: list[tuple[int, int]] = []
    for i, ch in enumerate(text):
        if spans and (unicodedata.combining(ch) or ch in _COMBINING_EXTRA) and ch not in _INVISIBLE:
            spans[-1] = (spans[-1][0], i + 1)
        else:
            spans.append((i, i + 1))
    return spans


def normalize(text: str) -> MappedText:
    """NFKC per character cluster, invisible characters removed, known evasions undone
    (``redaction.evasions``: digit separators, kanji digits, markup, obfuscated e-mail), and
    whitespace between two Japanese characters removed ("山田　太郎" -> "山田太郎")."""
    view = _one_per_character(text) or _per_cluster(text)
    undo(view)
    keep = _drop_spaces_inside_japanese(view.chars)
    if all(keep):
        return MappedText("".join(view.chars), tuple(view.starts), tuple(view.ends), len(text))
    return MappedText(
        "".join(compress(view.chars, keep)),
        tuple(compress(view.starts, keep)),
        tuple(compress(view.ends, keep)),
        len(text),
    )


def _per_cluster(text: str) -> View:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for begin, end in _clusters(text):
        cluster = "".join(ch for ch in text[begin:end] if ch not in _INVISIBLE)
        for ch in unicodedata.normalize("NFKC", cluster):
            chars.append(ch)
            starts.append(begin)
            ends.append(end)
    return View(chars, starts, ends)


# Per character: its NFKC form ("" if invisible) and whether it joins the character before it
# (a combining mark). Bounded: a text of rare characters cannot grow it without limit.
_CHARACTERS: dict[str, tuple[str, bool]] = {}


def _character(ch: str) -> tuple[str, bool]:
    found = _CHARACTERS.get(ch)
    if found is None:
        joins = bool(unicodedata.combining(ch) or ch in _COMBINING_EXTRA) and ch not in _INVISIBLE
        found = ("" if ch in _INVISIBLE else unicodedata.normalize("NFKC", ch), joins)
        if len(_CHARACTERS) < 65_536:
            _CHARACTERS[ch] = found
    return found


def _one_per_character(text: str) -> View | None:
    """``_per_cluster`` for the usual text, where every cluster is one character (no
    combining mark after the first character); None for any other text."""
    forms = {ch: _character(ch) for ch in set(text)}
    if all(len(form) == 1 and not joins for form, joins in forms.values()):
        # The commonest text: one character for each (none invisible, joining or expanding),
        # so the spans are the identity; asked once per distinct character (issue 18).
        for ch, (form, _) in forms.items():
            if form != ch:
                text = text.replace(ch, form)
        return View(
            list(text),
            list(range(len(text))),
            list(range(1, len(text) + 1)),
        )
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        form, joins = _character(ch)
        if joins and i:
            return None
        if len(form) == 1:
            chars.append(form)
            starts.append(i)
            ends.append(i + 1)
        else:
            for c in form:
                chars.append(c)
                starts.append(i)
                ends.append(i + 1)
    return View(chars, starts, ends)


# Runs of whitespace other than a line break (``\s`` is ``str.isspace``).
_SPACES = re.compile(r"[^\S\n]+")


def _drop_spaces_inside_japanese(chars: list[str]) -> list[bool]:
    keep = [True] * len(chars)
    text = "".join(chars)  # one character per entry
    for run in _SPACES.finditer(text):
        i, j = run.span()
        if i > 0 and j < len(chars) and is_cjk(chars[i - 1]) and is_cjk(chars[j]):
            keep[i:j] = [False] * (j - i)
    return keep


def _fold_char(ch: str, previous: str) -> str:
    code = ord(ch)
    if 0x30A1 <= code <= 0x30F6:  # katakana -> hiragana
        return chr(code - 0x60)
    if ch in _LONG_VOWELS and (0x3041 <= ord(previous or " ") <= 0x30FC):
        return "ー"
    folded = ch.lower()
    return folded if len(folded) == 1 else ch


_O_ROW = frozenset("おこごそぞとどのほぼぽもよょろを")
_U_ROW = frozenset("うくぐすずつづぬふぶぷむゆゅるゔ")
_E_ROW = frozenset("えけげせぜてでねへべぺめれ")


def _vowel_lengthening(ch: str, previous: str) -> bool:
    """う after an o-row kana and い after an e-row kana lengthen the vowel (セイコウ reads
    セーコー); dropped like ー so both spellings fold alike."""
    return (
        (ch in "うお" and previous in _O_ROW)
        or (ch == "う" and previous in _U_ROW)
        or (ch == "い" and previous in _E_ROW)
    )


def fold(mapped: MappedText) -> MappedText:
    """Matching view: hiragana for katakana, lower case, long-vowel marks, spaces and middle
    dots dropped, long vowels shortened: "ヤマダ・ショウジ", "やまだ しょうじ" and
    "ヤマダショージ" fold alike."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    previous = ""
    kept = ""
    for ch, s, e in zip(mapped.text, mapped.starts, mapped.ends, strict=True):
        folded = _fold_char(ch, previous)
        previous = ch
        if folded in _DROPPED_IN_FOLD or _vowel_lengthening(folded, kept):
            continue
        kept = folded
        chars.append(folded)
        starts.append(s)
        ends.append(e)
    return MappedText("".join(chars), tuple(starts), tuple(ends), mapped.original_length)


def fold_term(term: str) -> str:
    """The folded form of a dictionary term (customer name, code name, allowed term)."""
    return fold(normalize(term)).text
