"""Japanese bank account numbers (全銀協: 7-digit 口座番号 with 普通/当座, 4-digit 金融機関
コード, 3-digit 支店番号; ゆうちょ銀行 記号 5 digits - 番号 up to 8 digits). A bare 7-digit
number is ambiguous, so it counts only next to a context word (Presidio context enhancement)."""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer


class BankAccountRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.BANK_ACCOUNT
    PATTERNS = (
        (
            "typed-account",
            # The lookahead first (implied by the rest): the scan skips to seven digits.
            r"(?=[0-9]{7})(?<=(?:普通|当座|貯蓄|総合)(?:預金)?\s?(?:口座)?\s?(?:番号)?\s?[:：]?\s?(?:No\.?\s?)?)"
            r"[0-9]{7}(?![0-9])",
            0.85,
        ),
        ("yucho", r"(?<![0-9])1[0-9]{4}-[0-9]{1,8}(?![0-9\-])", 0.4),
        ("seven-digits", r"(?<![0-9\-])[0-9]{7}(?![0-9]|-[0-9])", 0.2),
    )
    CONTEXT = (
        "口座",
        "普通",
        "当座",
        "預金",
        "振込",
        "振り込み",
        "銀行",
        "支店",
        "account",
        "ゆうちょ",
    )
