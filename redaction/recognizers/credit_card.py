"""Payment card numbers (ISO/IEC 7812): 14-19 digits in groups, an issuer prefix (Visa 4,
Mastercard 51-55/2221-2720, JCB 3528-3589, Amex 34/37, Diners 30/36/38, Discover 6011/65,
UnionPay 62) and a Luhn check digit (validated). No ``\\b``, so カード番号は4111111111111111です
is found."""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer
from redaction.recognizers.checksums import digits_of, luhn_valid

_PREFIX = r"(?:4|5[1-5]|2[2-7]|3[0-9]|6(?:011|5|2))"


class CreditCardRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.CREDIT_CARD
    PATTERNS = (
        (
            "card",
            rf"(?<![0-9][-\s]?){_PREFIX}[0-9]*(?:[-\s]?[0-9]+)*(?![-\s]?[0-9])",
            0.5,
        ),
    )
    CONTEXT = ("カード", "クレジット", "card", "visa", "master", "jcb", "amex")

    def validate_result(self, pattern_text: str) -> bool | None:
        d = digits_of(pattern_text)
        return bool(14 <= len(d) <= 19 and luhn_valid(d))
