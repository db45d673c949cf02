"""English company names ending in a legal form: "Acme Trading Co., Ltd.", "Foo Inc.",
"Bar Corp.", "Baz K.K.", "Qux GmbH" — one to five capitalised words before it."""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.lexicon import LEGAL_FORMS_EN
from redaction.recognizers.base import JaPatternRecognizer

_WORD = (
    rf"(?!(?:{LEGAL_FORMS_EN})(?![A-Za-z]))"
    r"(?:[A-Z][A-Za-z0-9&'\-]*|[0-9]+[A-Za-z][A-Za-z0-9&'\-]*|&|and|of|the)"
)


class EnglishCompanyRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.COMPANY
    PATTERNS = (
        (
            "en-legal-form",
            rf"(?<![A-Za-z0-9])(?=[A-Z0-9]){_WORD}(?:,?\s{_WORD}){{0,5}},?\s(?:{LEGAL_FORMS_EN})"
            r"(?![A-Za-z])",
            0.85,
        ),
    )
    CONTEXT = ("company", "corporation", "会社", "取引先")

    def __init__(self) -> None:
        super().__init__()
        # Capitalisation matters here; Presidio's default flags ignore case.
        self.global_regex_flags = 0
