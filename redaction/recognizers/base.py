"""A pattern recognizer base with validation hooks typed for mypy.

Presidio's ``PatternRecognizer`` calls ``validate_result`` on each match (True: score 1.0,
False: dropped, None: pattern score) — checksums live there, per Presidio convention.
"""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.presidio import Pattern, PatternRecognizer

LANGUAGE = "ja"


class JaPatternRecognizer(PatternRecognizer):
    ENTITY: EntityType
    PATTERNS: tuple[tuple[str, str, float], ...] = ()
    CONTEXT: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__(
            supported_entity=self.ENTITY.value,
            name=type(self).__name__,
            supported_language=LANGUAGE,
            patterns=[Pattern(name, regex, score) for name, regex, score in self.PATTERNS],
            context=list(self.CONTEXT),
        )
