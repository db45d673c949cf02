"""Payment card numbers named as such: 13-19 digits (ISO/IEC 7812-1 allows 8-19; 13 is the
shortest in use) right after a card word (カード番号, クレジットカード, card no.) and passing
the Luhn check (ISO/IEC 7812-1 Annex B), whatever the issuer prefix — new and private-label
issuers are not in ``credit_card``'s prefix list, and the label says what the number is.
"""

from __future__ import annotations

from functools import partial

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer, may_hold
from redaction.recognizers.checksums import digits_of, luhn_valid

_LABELS = ("カード", "ｶｰﾄﾞ", "クレジット", "card", "クレカ")
_LABEL = "(?:" + "|".join(_LABELS) + ")"


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
    NEEDS = {"labelled-card": partial(may_hold, words=_LABELS)}  # noqa: RUF012 - read-only

    def validate_result(self, pattern_text: str) -> bool | None:
        d = digits_of(pattern_text)
        return bool(13 <= len(d) <= 19 and luhn_valid(d))
