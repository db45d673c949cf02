"""法人番号 (corporate number, 国税庁): 13 digits whose FIRST digit is a check digit defined by
法人番号の指定等に関する省令 第二条; validated in ``validate_result``."""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer
from redaction.recognizers.checksums import valid_corporate_number


class CorporateNumberRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.CORPORATE_NUMBER
    PATTERNS = (
        (
            "corporate-number",
            # The lookahead (implied by the rest) lets the scan skip to digits and "T" first.
            r"(?=[T0-9])(?<![0-9][-\s]?)(?:T-?)?[0-9][-\s]?[0-9]{4}[-\s]?[0-9]{4}[-\s]?[0-9]{4}(?![-\s]?[0-9])",
            0.6,
        ),
    )
    CONTEXT = ("法人番号", "登録番号", "インボイス", "適格請求書", "corporate number")

    def validate_result(self, pattern_text: str) -> bool | None:
        return bool(valid_corporate_number(pattern_text))
