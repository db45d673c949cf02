"""E-mail addresses (RFC 5322 dot-atom local part, DNS host names). Unlike Presidio's
recognizer there is no ``\\b`` (which fails next to kana: メールはtaro@example.co.jpです)
and no tldextract lookup (which downloads the public suffix list at first use)."""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer


class EmailRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.EMAIL
    PATTERNS = (
        (
            "email",
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*"
            r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])",
            0.9,
        ),
    )
    CONTEXT = ("メール", "mail", "e-mail", "アドレス", "連絡先")
