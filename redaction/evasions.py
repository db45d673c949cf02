"""Undo known evasions in the analysis view, keeping every character's original span.

Runs inside ``normalize`` on its view (after NFKC), before detection:

- numeric identifiers written to slip past patterns: digits separated by dots, slashes, any
  dash or a space between every digit (``1234.5678.9018``, ``1 2 3 4 …``) and kanji digits
  (``〇三ー一二三四ー五六七八``, ``壱弐参``) become ASCII digits with ``-`` between groups;
- markup: tags are dropped and ruby readings (``<rt>やまだ</rt>``) are dropped *into* the
  preceding character's span, so replacing the base also removes the reading; character
  references (``&#23665;``) are decoded;
- obfuscated e-mail addresses: ``name[at]example.co.jp``, ``name（アット）…``, ``name @ …``,
  ``[dot]``, and ``name at example dot co dot jp`` (only in that complete shape).

A run of kanji digits is rewritten only when it holds at least seven digits (the shortest
identifier, a postal code), so ``一二三`` in a name and ``一丁目二番`` in an address stay.
This module knows characters and spans, never entity types.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

_KANJI_DIGITS = {
    **{c: str(i) for i, c in enumerate("〇一二三四五六七八九")},
    **{c: str(i) for i, c in enumerate("零壱弐参肆伍陸漆捌玖")},
}
# The shortest numeric identifier (a postal code) has seven digits.
MIN_IDENTIFIER_DIGITS = 7
_DIGIT = "[0-9" + "".join(_KANJI_DIGITS) + "]"
_DASHES = "\\-‐‑‒–—―−ー─━ｰ⁃˗➖"
_POINTS = "./・·∕⁄_"
_SEPARATOR = rf"(?:[ \t]?[{_DASHES}{_POINTS}][ \t]?|[ \t])"
_RUN = re.compile(rf"{_DIGIT}(?:{_SEPARATOR}?{_DIGIT})+")
_SPLIT = re.compile(rf"({_SEPARATOR})")

_RUBY_TEXT = re.compile(r"<(rt|rp)(?:\s[^<>]{0,200})?>[^<]{0,200}</\1\s*>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]{0,20}(?:\s[^<>]{0,200})?/?>")
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|amp|lt|gt|quot|apos|nbsp);")

_LOCAL = r"(?<=[A-Za-z0-9._%+\-])"
_HOST = r"(?=[A-Za-z0-9])"
_OPEN, _CLOSE = r"[\[(<{【「『]", r"[\])>}】」』]"
_AT = re.compile(
    rf"{_LOCAL}(?:[ \t]*{_OPEN}[ \t]*(?:at|アット|あっと)[ \t]*{_CLOSE}[ \t]*|[ \t]+@[ \t]*"
    rf"|[ \t]*@[ \t]+){_HOST}",
    re.IGNORECASE,
)
_DOT = re.compile(
    rf"(?<=[A-Za-z0-9])[ \t]*{_OPEN}[ \t]*(?:dot|ドット|どっと)[ \t]*{_CLOSE}[ \t]*{_HOST}",
    re.IGNORECASE,
)
_SPELLED = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+ at [A-Za-z0-9\-]+(?: dot [A-Za-z0-9\-]+)+"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


@dataclass(slots=True)
class View:
    """A derived text being built: character ``i`` came from ``original[starts[i]:ends[i]]``."""

    chars: list[str]
    starts: list[int]
    ends: list[int]

    def rewrite(
        self,
        pattern: re.Pattern[str],
        replace: Callable[[str], str | list[tuple[int, str]]],
        *,
        attach: bool = False,
        text: str | None = None,
    ) -> str:
        """Replace each match by ``replace(match)``: a string, or pieces (length of the
        original slice, its new text). A same-length piece keeps each character's span;
        another takes its slice's span. ``attach``: an empty replacement joins the match's
        span to the preceding character's (a ruby reading goes with its base). ``text``: the
        view's characters joined, when the caller has them. Returns the rewritten text."""
        if text is None:
            text = "".join(self.chars)
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        position = 0
        for match in pattern.finditer(text):
            a, b = match.span()
            old = match.group()
            new = replace(old)
            if _unchanged(old, new):
                continue  # most digit runs (dates, phone numbers) read as written
            chars += self.chars[position:a]
            starts += self.starts[position:a]
            ends += self.ends[position:a]
            if not new and attach and ends:
                ends[-1] = self.ends[b - 1]
            for length, piece in [(b - a, new)] if isinstance(new, str) else new:
                if len(piece) == length:
                    starts += self.starts[a : a + length]
                    ends += self.ends[a : a + length]
                elif piece:
                    starts += [self.starts[a]] * len(piece)
                    ends += [self.ends[a + length - 1]] * len(piece)
                chars += piece
                a += length
            position = b
        if not position:
            return text
        self.chars = chars + self.chars[position:]
        self.starts = starts + self.starts[position:]
        self.ends = ends + self.ends[position:]
        return "".join(self.chars)


def _unchanged(old: str, new: str | list[tuple[int, str]]) -> bool:
    """The replacement is the original, character for character (every span kept)."""
    if isinstance(new, str):
        return new == old
    return (
        all(len(piece) == length for length, piece in new)
        and "".join(piece for _, piece in new) == old
    )


# ASCII digit groups joined by single hyphens (2024-12-03, 03-1234-5678): read as written
# unless it is the one-digit-per-group shape (1-2-3-4-5-6-7), which ``_digit_run`` closes up.
_AS_WRITTEN = re.compile(r"[0-9]+(?:-[0-9]+)*")
_ONE_PER_GROUP = re.compile(r"[0-9](?:-[0-9]){6,}")


def _digit_run(run: str) -> str | list[tuple[int, str]]:
    """A run of digits and separators, rewritten piece by piece (see the module docstring)."""
    if _AS_WRITTEN.fullmatch(run) and not _ONE_PER_GROUP.fullmatch(run):
        return run  # the commonest run (dates, phone numbers, amounts): unchanged (issue 18)
    pieces = _SPLIT.split(run)
    groups, separators = pieces[::2], pieces[1::2]
    count = sum(len(g) for g in groups)
    kanji = any(c in _KANJI_DIGITS for c in run)
    if count < MIN_IDENTIFIER_DIGITS and kanji:
        return [(len(run), run)]  # 一二三 in a name, 二〇二四 in a date: left as written
    if count >= MIN_IDENTIFIER_DIGITS:
        groups = ["".join(_KANJI_DIGITS.get(c, c) for c in g) for g in groups]
    spaced = count >= MIN_IDENTIFIER_DIGITS and len(separators) >= 2
    if spaced and all(len(g) == 1 for g in groups):
        return [(len(p), groups[i // 2] if i % 2 == 0 else "") for i, p in enumerate(pieces)]
    uniform = len({s.strip() for s in separators}) == 1
    out = []
    for g, s in zip(groups, [*separators, ""], strict=True):
        mark = s.strip()
        dash = bool(mark) and mark in _DASHES
        # 1234.5678.9018 and 03/1234/5678 read as dashes; a single dot is a decimal point.
        point = bool(mark) and count >= MIN_IDENTIFIER_DIGITS and uniform
        point = point and (mark != "." or len(separators) >= 2)
        out += [(len(g), g), (len(s), "-" if dash or point else s)]
    return out


def undo(view: View) -> None:
    """Apply every rewrite, in order: markup first, so ``1<b>2</b>3`` reads as digits."""
    text = "".join(view.chars)
    if "<" in text:  # no tag without one
        text = view.rewrite(_RUBY_TEXT, lambda _: "", attach=True, text=text)
        text = view.rewrite(_TAG, lambda _: "", text=text)
    if "&" in text:  # nor a character reference
        text = view.rewrite(_REFERENCE, html.unescape, text=text)
    text = view.rewrite(_RUN, _digit_run, text=text)
    text = view.rewrite(_AT, lambda _: "@", text=text)
    if not _spells_dot(text):
        return  # most texts: neither pattern can match (issue 18)
    text = view.rewrite(_DOT, lambda _: ".", text=text)
    view.rewrite(
        _SPELLED,
        lambda m: re.sub(" dot ", ".", re.sub(" at ", "@", m, count=1, flags=re.I), flags=re.I),
        text=text,
    )


def _spells_dot(text: str) -> bool:
    """Whether ``text`` holds a word ``_DOT`` and ``_SPELLED`` need ("[dot]", "（ドット）",
    " dot "): without one neither can match, and their scans are skipped. No character but
    an ASCII one lower-cases or case-folds to d, o or t, so ``lower`` finds every "dot" the
    patterns' IGNORECASE would."""
    return "dot" in text.lower() or "ドット" in text or "どっと" in text
