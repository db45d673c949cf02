"""Payment card numbers named as such: 13-19 digits (ISO/IEC 7812-1 allows 8-19; 13 is the
shortest in use) right after a card word (カード番号, クレジットカード, card no.) and passing
the Luhn check (ISO/IEC 7812-1 Annex B), whatever the issuer prefix — new and private-label
issuers are not in ``credit_card``'s prefix list, and the label says what the number is.
"""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer
from redaction.recognizers.checksums import digits_of, luhn_valid

_LABELS = ("カード", "ｶｰﾄﾞ", "クレジット", "card", "クレカ")
_LABEL = "(?:" + "|".join(_LABELS) + ")"


def _has_label(text: str) -> bool:
    """Whether ``text`` holds a card word, as every match does (the lookbehind). Only A-Z
    and a-z case-fold to the letters of "card" (IGNORECASE) and kana have no case, so the
    lower-cased text holds every label the pattern would see."""
    lowered = text.lower()
    return any(label in lowered for label in _LABELS)


class LabelledCardRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.CREDIT_CARD
    PATTERNS = (
        (
            "labelled-card",
            rf"(?<={_LABEL}[^0-9\n]{{0,16}})(?<![0-9])[0-9](?:[-\s]?[0-9]){{12,18}}(?![-\s]?[0-9])",
            0.6,
        ),
    )
    # Most texts name no card: the lookbehind, tried at every position, is skipped (issue 18).
    NEEDS = {"labelled-card": _has_label}  # noqa: RUF012 - read-only

    def validate_result(self, pattern_text: str) -> bool | None:
        d = digits_of(pattern_text)
        return bool(13 <= len(d) <= 19 and luhn_valid(d))
