"""Japanese postal codes (郵便番号, 7 digits written NNN-NNNN, 日本郵便). With 〒 or a
context word the match is certain (after 〒 also NNN.NNNN, which elsewhere is a decimal); a
bare NNN-NNNN is still likely in Japanese text."""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer


class PostalCodeRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.POSTAL_CODE
    PATTERNS = (
        ("postal-mark", r"〒\s?[0-9]{3}[-.\s]?[0-9]{4}(?![0-9])", 0.95),
        ("postal-hyphen", r"(?<![0-9\-+])[0-9]{3}-[0-9]{4}(?![0-9\-])", 0.5),
    )
    CONTEXT = ("郵便番号", "〒", "住所", "所在地", "postal", "zip")
