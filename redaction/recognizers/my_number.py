"""個人番号 (My Number): 12 digits, the last a check digit defined by 行政手続における特定の
個人を識別するための番号の利用等に関する法律施行令 第八条 and 総務省令; validated in
``validate_result``, so a mistyped number is not reported."""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer
from redaction.recognizers.checksums import valid_my_number


class MyNumberRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.MY_NUMBER
    PATTERNS = (
        ("my-number", r"(?<![0-9][-\s]?)[0-9]{4}[-\s]?[0-9]{4}[-\s]?[0-9]{4}(?![-\s]?[0-9])", 0.6),
    )
    CONTEXT = ("マイナンバー", "個人番号", "my number")

    def validate_result(self, pattern_text: str) -> bool | None:
        return bool(valid_my_number(pattern_text))
