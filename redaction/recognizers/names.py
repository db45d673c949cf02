"""Person, company and place names from Sudachi morphemes (logic in ``redaction.names``)."""

from __future__ import annotations

from typing import Any

from redaction.entities import EntityType
from redaction.nlp import SudachiArtifacts
from redaction.presidio import EntityRecognizer, RecognizerResult
from redaction.recognizers.base import LANGUAGE


class JapaneseNameRecognizer(EntityRecognizer):
    ENTITIES = (EntityType.PERSON, EntityType.COMPANY, EntityType.LOCATION)

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[e.value for e in self.ENTITIES],
            name=type(self).__name__,
            supported_language=LANGUAGE,
        )

    def load(self) -> None:
        """Nothing to load: the Sudachi dictionary belongs to the NLP engine."""

    def analyze(
        self,
        text: str,  # noqa: ARG002 - Presidio's signature; the artifacts hold the tokens
        entities: list[str],
        nlp_artifacts: Any = None,
    ) -> list[RecognizerResult]:
        if not isinstance(nlp_artifacts, SudachiArtifacts):
            raise TypeError("JapaneseNameRecognizer needs the Sudachi NLP engine")
        return [
            RecognizerResult(span.kind, span.start, span.end, span.score)
            for span in nlp_artifacts.names
            if span.kind in entities
        ]
