"""Shared base of the English name recognizers: the names are computed once per text by the
NLP artifacts (``SudachiArtifacts.english_names``); each recognizer reports its own kind."""

from __future__ import annotations

from typing import Any

from redaction.entities import EntityType
from redaction.nlp import SudachiArtifacts
from redaction.presidio import EntityRecognizer, RecognizerResult
from redaction.recognizers.base import LANGUAGE


class EnglishNameRecognizer(EntityRecognizer):
    ENTITY: EntityType

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[self.ENTITY.value],
            name=type(self).__name__,
            supported_language=LANGUAGE,
        )

    def load(self) -> None:
        """Nothing to load here: the lexicon loads with the first text."""

    def analyze(
        self,
        text: str,  # noqa: ARG002 - Presidio's signature; the artifacts hold the names
        entities: list[str],
        nlp_artifacts: Any = None,
    ) -> list[RecognizerResult]:
        if not isinstance(nlp_artifacts, SudachiArtifacts):
            raise TypeError(f"{type(self).__name__} needs the Sudachi NLP engine")
        if self.ENTITY.value not in entities:
            return []
        return [
            RecognizerResult(span.kind, span.start, span.end, span.score)
            for span in nlp_artifacts.english_names
            if span.kind == self.ENTITY.value
        ]
