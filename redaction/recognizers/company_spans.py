"""Organisation names the rules miss, from the span classifier in ``redaction.company_spans``.

Per profile (``company_model``, off by default: its CPU cost): the engine adds it to a profile's own
recognizers. It only adds spans where the name rules found none (their boundaries between a
company and its person, departments and 御中 stay the rules'), and it reads the morphemes the
rules read (English prose is the English rules').
"""

from __future__ import annotations

from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from redaction.company_spans import SpanModel, shipped
from redaction.entities import EntityType
from redaction.nlp import SudachiArtifacts
from redaction.recognizers.base import LANGUAGE


class CompanySpanRecognizer(EntityRecognizer):
    def __init__(self, model: SpanModel | None = None) -> None:
        self.model = model or shipped()
        super().__init__(
            supported_entities=[EntityType.COMPANY.value],
            name=type(self).__name__,
            supported_language=LANGUAGE,
        )

    def load(self) -> None:
        """Nothing more to load: the model is read in ``__init__``."""

    def analyze(
        self,
        text: str,  # noqa: ARG002 - Presidio's signature; the artifacts hold the tokens
        entities: list[str],
        nlp_artifacts: Any = None,
    ) -> list[RecognizerResult]:
        if EntityType.COMPANY.value not in entities:
            return []
        if not isinstance(nlp_artifacts, SudachiArtifacts):
            raise TypeError("CompanySpanRecognizer needs the Sudachi NLP engine")
        found = self.model.find(nlp_artifacts.name_morphemes, nlp_artifacts.names)
        return [RecognizerResult(s.kind, s.start, s.end, s.score) for s in found]
