"""Confidentiality markers (社外秘, 部外秘, 極秘, 取扱注意, Confidential, Internal Use Only …):
their presence says the text is classified, whatever else it contains; profiles usually block
on them."""

from __future__ import annotations

from functools import partial

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer, may_hold

# A word each marker of a pattern holds (秘 in 社外秘, 極秘, マル秘, 【秘】 …): a text with none
# of them has no marker, and the pattern is not scanned (most texts; issue 18).
_JA_WORDS = ("秘", "社内限", "機密扱い", "注意", "禁止")
_EN_WORDS = ("confidential", "internal", "distribute", "proprietary", "secret", "restricted")


class ConfidentialMarkerRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.CONFIDENTIAL_MARKER
    PATTERNS = (
        (
            "ja-marker",
            r"社外秘|部外秘|関係者外秘|社内限り|社内限定|極秘|厳秘|機密扱い|取扱注意|取扱厳重注意|"
            r"持出禁止|持ち出し禁止|複製禁止|マル秘|[【\[(（〔]秘[】\])）〕]",
            0.9,
        ),
        (
            "en-marker",
            r"(?<![A-Za-z])(?:strictly\s+confidential|confidential|internal\s+use\s+only|"
            r"internal\s+only|do\s+not\s+distribute|proprietary(?:\s+and\s+confidential)?|"
            r"top\s+secret|restricted)(?![A-Za-z])",
            0.85,
        ),
    )
    NEEDS = {  # noqa: RUF012 - read-only
        "ja-marker": partial(may_hold, words=_JA_WORDS),
        "en-marker": partial(may_hold, words=_EN_WORDS),
    }
