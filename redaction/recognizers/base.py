"""A pattern recognizer base with validation hooks typed for mypy.

Presidio's ``PatternRecognizer`` calls ``validate_result`` on each match (True: score 1.0,
False: dropped, None: pattern score) — checksums live there, per Presidio convention.

``STARTS`` (issue 18): for a pattern that can only start near a rare character, a function
giving every position where a match could start; the pattern is then tried at those positions
only (``AnchoredRegex``) instead of scanned over the whole text — the same matches, in the same
order, for a fraction of the time (the address city-block pattern was the costliest scan of a
dense Japanese e-mail).

``NEEDS``: for a pattern every match of which holds one of a few rare words, a test the text
passes whenever it holds one; the pattern is not scanned in a text that fails it
(``GuardedRegex``) — no match is lost, since a text without the words has none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import regex

from redaction.entities import EntityType
from redaction.presidio import Pattern, PatternRecognizer

LANGUAGE = "ja"


class AnchoredRegex:
    """A compiled ``regex`` pattern whose ``finditer`` tries it only at the positions
    ``starts(text)`` gives. Equal to a scan when every match starts at one of them and the
    pattern never matches the empty string: a scan takes, left to right, the first position
    where the pattern matches and resumes at that match's end — here the same, skipping
    positions where no match can start. Lookbehinds still see the text before a position."""

    def __init__(self, compiled: Any, starts: Callable[[str], Iterable[int]]) -> None:
        self.compiled = compiled
        self.pattern = compiled.pattern
        self._starts = starts

    def finditer(self, text: str, timeout: float | None = None) -> Iterator[Any]:
        end = 0
        for position in sorted(set(self._starts(text))):
            if position < end:
                continue  # inside the previous match, as a scan resumes after it
            match = self.compiled.match(text, position, timeout=timeout)
            if match is not None:
                end = match.end()
                yield match


def may_hold(text: str, words: tuple[str, ...]) -> bool:
    """Whether ``text`` holds one of ``words`` (lower-case literals) as an IGNORECASE pattern
    reads them: a ``NEEDS`` test, true whenever such a pattern can match. Beside A-Z only
    ſ (s), İ (i) and K (k) match a literal letter when case is ignored; lower-casing turns K
    into k and İ into i + U+0307, so the text is lower-cased, ſ read as s and that dot
    dropped. Kanji and kana have no case and pass through unchanged."""
    folded = text.lower().replace("ſ", "s").replace("\u0307", "")
    return any(word in folded for word in words)


class GuardedRegex:
    """A compiled pattern (or ``AnchoredRegex``) scanned only in texts ``needed(text)`` says
    may hold a match. Equal to a scan when ``needed`` is true of every text with a match."""

    def __init__(self, compiled: Any, needed: Callable[[str], bool]) -> None:
        self.compiled = compiled
        self.pattern = compiled.pattern
        self._needed = needed

    def finditer(self, text: str, timeout: float | None = None) -> Iterator[Any]:
        if not self._needed(text):
            return iter(())
        return iter(self.compiled.finditer(text, timeout=timeout))


class JaPatternRecognizer(PatternRecognizer):
    ENTITY: EntityType
    PATTERNS: tuple[tuple[str, str, float], ...] = ()
    CONTEXT: tuple[str, ...] = ()
    # Pattern name -> the positions where a match of it may start (see the module docstring).
    STARTS: dict[str, Callable[[str], Iterable[int]]] = {}  # noqa: RUF012 - read-only
    # Pattern name -> a test every text holding a match passes (see the module docstring).
    NEEDS: dict[str, Callable[[str], bool]] = {}  # noqa: RUF012 - read-only

    def __init__(self) -> None:
        patterns: list[Any] = [
            Pattern(name, source, score) for name, source, score in self.PATTERNS
        ]
        super().__init__(
            supported_entity=self.ENTITY.value,
            name=type(self).__name__,
            supported_language=LANGUAGE,
            patterns=patterns,
            context=list(self.CONTEXT),
        )
        for pattern in patterns:
            starts, needed = self.STARTS.get(pattern.name), self.NEEDS.get(pattern.name)
            if starts is None and needed is None:
                continue
            # Compiled as Presidio would (its flags); Presidio recompiles, unanchored and
            # unguarded, only if a caller passes other flags.
            flags = self.global_regex_flags
            compiled: Any = regex.compile(pattern.regex, flags)
            if starts is not None:
                compiled = AnchoredRegex(compiled, starts)
            if needed is not None:
                compiled = GuardedRegex(compiled, needed)
            pattern.compiled_regex = compiled
            pattern.compiled_with_flags = flags
