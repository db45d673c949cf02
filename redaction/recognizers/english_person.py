"""English personal names after a title (Mr./Ms./Mrs./Dr./Prof.) or in a "Dear …" salutation."""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer

_NAME = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"


class EnglishPersonRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.PERSON
    PATTERNS = (
        (
            "titled",
            rf"(?<=(?:Mr|Ms|Mrs|Miss|Dr|Prof|Mx)\.?\s){_NAME}(?:\s(?:[A-Z]\.\s)?{_NAME}){{0,2}}",
            0.8,
        ),
        ("salutation", rf"(?<=(?:Dear|Hi|Hello)\s){_NAME}(?:\s{_NAME})?(?=\s?,)", 0.7),
        ("full-name", rf"(?<![A-Za-z]){_NAME}\s(?:[A-Z]\.\s)?{_NAME}(?![A-Za-z])", 0.3),
    )
    CONTEXT = ("regards", "sincerely", "様", "さん", "氏", "担当")

    def __init__(self) -> None:
        super().__init__()
        self.global_regex_flags = 0
