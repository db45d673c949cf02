"""Japanese telephone numbers (総務省「電気通信番号計画」: 0 + 9 digits for fixed lines and
0120/0800 toll-free, 0 + 10 digits for 070/080/090 mobile, 050 IP phones and 0800; +81 drops
the leading 0). Presidio's phone recognizer has no JP region and misses hyphen-less or
parenthesised forms such as 03(1234)5678."""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer
from redaction.recognizers.checksums import digits_of

_SEP = r"[-\s.]?"
_LEFT = r"(?<![0-9+\-])"
_RIGHT = r"(?![0-9])"


class JapanesePhoneRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.PHONE
    PATTERNS = (
        ("mobile/ip", _LEFT + rf"0[5789]0{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}}" + _RIGHT, 0.7),
        ("toll-free", _LEFT + rf"0(?:120|800){_SEP}[0-9]{{3}}{_SEP}[0-9]{{3,4}}" + _RIGHT, 0.7),
        (
            "fixed",
            _LEFT + r"0[1-9][0-9]{0,3}(?:-|\s|\)|\()[0-9]{1,4}(?:-|\s|\))[0-9]{4}" + _RIGHT,
            0.6,
        ),
        ("fixed-parens", _LEFT + r"\(0[1-9][0-9]{0,3}\)\s?[0-9]{1,4}-[0-9]{4}" + _RIGHT, 0.7),
        (
            "international",
            r"(?<![0-9])\+81[-\s]?\(?0?\)?[1-9][0-9]{0,3}[-\s]?[0-9]{1,4}[-\s]?[0-9]{4}" + _RIGHT,
            0.8,
        ),
        ("digits-only", _LEFT + r"0[1-9][0-9]{8,9}" + _RIGHT, 0.4),
    )
    CONTEXT = (
        "電話",
        "TEL",
        "携帯",
        "FAX",
        "ファックス",
        "連絡先",
        "phone",
        "mobile",
        "内線",
        "代表",
    )

    def validate_result(self, pattern_text: str) -> bool | None:
        d = digits_of(pattern_text)
        if pattern_text.startswith("+81"):
            d = "0" + d[2:].lstrip("0")
        if d.startswith(("070", "080", "090", "050")) or d.startswith("0800"):
            return None if len(d) == 11 or (d.startswith("0800") and len(d) == 10) else False
        return None if len(d) == 10 else False
