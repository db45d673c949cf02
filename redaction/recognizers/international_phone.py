"""Telephone numbers in every national and international format, through Google's
libphonenumber (``phonenumbers``): +44 20 7123 4567, +1-212-555-0100, (212) 555-0100,
020 7123 4567, +81 3-1234-5678. A number is reported only when libphonenumber finds it valid
for its country (ITU-T E.164 numbering plans as kept in libphonenumber's metadata), so dates,
order numbers and version strings stay.

``PhoneNumberMatcher`` scans its whole input in pure Python (2–3 ms per 1,000 characters and
region), so it runs only over short candidates: digit runs with at least eight digits. A
number with a ``+`` country code parses in any region; numbers written without one are tried
as Japanese, then North American, then British national numbers. The Japanese pattern
recognizer (``phone.py``) stays: it also takes forms libphonenumber leaves out (03(1234)5678,
hyphens written as ー).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import phonenumbers

from redaction.entities import EntityType
from redaction.presidio import EntityRecognizer, RecognizerResult
from redaction.recognizers.base import LANGUAGE
from redaction.recognizers.phone import JapanesePhoneRecognizer

# Regions whose national formats are tried, in order: the home market, then the usual partners.
REGIONS = ("JP", "US", "GB")
# Runs of digits, spaces, dots, hyphens and brackets on one line, optionally after a '+': the
# only places a phone number can be. Eight digits is the shortest number worth matching (the
# national numbers of Japan, North America and Britain have ten or more; postal codes seven).
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+])(?:\+ ?)?\(?\d[\d \t().\-]{5,24}\d(?![A-Za-z0-9])")
_MIN_DIGITS = 8


class InternationalPhoneRecognizer(EntityRecognizer):
    ENTITY = EntityType.PHONE
    SCORE = 0.7

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[self.ENTITY.value],
            name=type(self).__name__,
            supported_language=LANGUAGE,
        )

    def load(self) -> None:
        """Nothing to load: libphonenumber's metadata is imported with the module."""

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: Any = None,  # noqa: ARG002 - Presidio's signature; no tokens needed
    ) -> list[RecognizerResult]:
        if self.ENTITY.value not in entities:
            return []
        return [
            RecognizerResult(self.ENTITY.value, start, end, self.SCORE)
            for start, end in find_phone_numbers(text, all_numbers=False)
        ]


@cache
def _japanese() -> tuple[re.Pattern[str], re.Pattern[str], JapanesePhoneRecognizer]:
    """Any of the Japanese patterns; those scoring a number at least as high as this
    recognizer does; the Japanese recognizer."""
    recognizer = JapanesePhoneRecognizer()
    patterns = recognizer.PATTERNS
    sure = [p for p in patterns if p[2] >= InternationalPhoneRecognizer.SCORE]
    return _either(patterns), _either(sure), recognizer


def _either(patterns: Sequence[tuple[str, str, float]]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{regex})" for _, regex, _ in patterns))


def _taken_by_japanese_patterns(piece: str) -> bool:
    """The Japanese recognizer reports this number whole: leave it to it (libphonenumber
    costs 0.15 ms per number, most of a Japanese e-mail's phone budget)."""
    pattern, sure, recognizer = _japanese()
    if pattern.fullmatch(piece):
        return recognizer.validate_result(piece) is not False
    # "(080-1234-5678": the candidate opens with the writer's bracket, which libphonenumber
    # leaves out of the number it finds (see below). Left to the Japanese patterns only when
    # one scores the rest at least as high as this recognizer would: the same span, merged
    # with no lower a score (a fixed line, 0.6, still goes to libphonenumber's 0.7).
    rest = piece[1:]
    return (
        piece.startswith("(")
        and bool(sure.fullmatch(rest))
        and recognizer.validate_result(rest) is not False
    )


def find_phone_numbers(text: str, *, all_numbers: bool = True) -> list[tuple[int, int]]:
    """(start, end) of every valid phone number in ``text``; with ``all_numbers=False``,
    not those the Japanese patterns already report."""
    found: set[tuple[int, int]] = set()
    for candidate in _CANDIDATE.finditer(text):
        piece = candidate.group()
        if sum(c.isdigit() for c in piece) < _MIN_DIGITS:
            continue
        if not all_numbers and _taken_by_japanese_patterns(piece.strip()):
            continue
        for region in REGIONS:
            matches = list(
                phonenumbers.PhoneNumberMatcher(piece, region, leniency=phonenumbers.Leniency.VALID)
            )
            for match in matches:
                start = candidate.start() + match.start
                # "(03-1234-5678)": libphonenumber takes the opening bracket of the writer's
                # own pair (the candidate ends at a digit, so never its closing one); hiding it
                # would leave the model an unbalanced ")".
                if match.raw_string.startswith("(") and ")" not in match.raw_string:
                    start += 1
                found.add((start, candidate.start() + match.end))
            if matches:
                break
    return sorted(found)
