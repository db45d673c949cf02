"""Listed names — the company's customers, internal code names — found with one Aho-Corasick
automaton per list (see ``redaction.dictionary``) rather than a loop of regexes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from redaction.dictionary import TermMatcher
from redaction.entities import EntityType
from redaction.presidio import EntityRecognizer, RecognizerResult
from redaction.recognizers.base import LANGUAGE


class ListedTermRecognizer(EntityRecognizer):
    def __init__(self, entity: EntityType, terms: Iterable[str], *, score: float = 1.0) -> None:
        self._entity = entity
        self._score = score
        self._matcher = TermMatcher(terms)
        super().__init__(
            supported_entities=[entity.value],
            name=f"ListedTermRecognizer[{entity.value}]",
            supported_language=LANGUAGE,
        )

    def load(self) -> None:
        """The automaton is built in ``__init__``."""

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: Any = None,  # noqa: ARG002 - Presidio's signature
    ) -> list[RecognizerResult]:
        if self._entity.value not in entities:
            return []
        return [
            RecognizerResult(self._entity.value, m.start, m.end, self._score)
            for m in self._matcher.find(text)
        ]
