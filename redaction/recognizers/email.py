"""E-mail addresses (RFC 5322 dot-atom local part, DNS host names). Unlike Presidio's
recognizer there is no ``\\b`` (which fails next to kana: メールはtaro@example.co.jpです)
and no tldextract lookup (which downloads the public suffix list at first use)."""

from __future__ import annotations

import string
from collections.abc import Iterator

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer

# The local part's characters: every one its class matches under the recognizer's flags,
# IGNORECASE adding four that A-Za-z matches (İ, ı, ſ, K); one missing and an address holding
# it is never tried, so it would leave unredacted (a test checks the set over every code
# point). And those the lookbehind refuses before an address (ASCII only: enough to skip).
_LOCAL = frozenset(
    string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-." + "\u0130\u0131\u017f\u212a"
)
_JOINED = frozenset(string.ascii_letters + string.digits + "._%+-")


def _starts(text: str) -> Iterator[int]:
    """Where an address may start: before each "@", the first character of the run of
    local-part characters it ends, and any later one the lookbehind could let start (after a
    character such as "!" or "/"). Every match holds an "@" with local-part characters only
    between its start and it, so the pattern need not be tried anywhere else (issue 18)."""
    at = text.find("@")
    while at != -1:
        first = at
        while first > 0 and text[first - 1] in _LOCAL:
            first -= 1
        yield first
        yield from (i for i in range(first + 1, at) if text[i - 1] not in _JOINED)
        at = text.find("@", at + 1)


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
    STARTS = {"email": _starts}  # noqa: RUF012 - read-only
