"""Redaction errors: branches of the one error tree (``gateway.kernel.errors``), so they reach
the user as they are, with their parent's status and code:

    RedactionError (also a KakehashiError)
    ├── RedactionBlocked   the profile blocks something that was found (a Blocked: 400 content_blocked)
    ├── PromptTooLarge     more text than the profile's max_prompt_chars (a TooLarge: 413)
    ├── FieldRefused       a field the boundary cannot redact (a BadRequest: 400)
    └── RedactionFailed    detection errored or timed out; fail closed (an Unavailable: 503)

Messages are Japanese and English; a blocked message names the types found and why, never the
values themselves (they must not reach logs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.kernel.errors import BadRequest, Blocked, KakehashiError, TooLarge, Unavailable
from redaction.entities import LABELS_JA, EntityType


@dataclass(frozen=True, slots=True)
class Finding:
    """A blocked entity: its type and where it is (message index, offsets in that text)."""

    type: EntityType
    message_index: int
    start: int
    end: int
    field: str = ""  # where in the request (``messages[2].tool_calls[0].function.arguments``)


class RedactionError(KakehashiError):
    """Any refusal or failure of the redaction stage."""


class RedactionBlocked(RedactionError, Blocked):
    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        counts = Counter(f.type for f in self.findings)
        ja_items = "、".join(f"{LABELS_JA[t]}（{n}件）" for t, n in sorted(counts.items()))
        en_items = ", ".join(f"{t.value} ({n})" for t, n in sorted(counts.items()))
        super().__init__(
            f"送信できません。入力に{ja_items}が含まれています。"
            "部署のポリシーでこの種類の情報の外部送信は禁止されています。該当部分を削除して再送信してください。",
            f"Not sent: the input contains {en_items}. Your department's policy forbids sending "
            "this kind of information to an AI provider; remove it and try again.",
        )


class PromptTooLarge(RedactionError, TooLarge):
    def __init__(self, *, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"依頼が長すぎるため送信しませんでした（{size:,} 文字。上限は {limit:,} 文字です）。"
            "文章を分けて送ってください。",
            f"Not sent: the request holds {size:,} characters of text; the limit is {limit:,}. "
            "Split the text into smaller requests.",
        )


class FieldRefused(RedactionError, BadRequest):
    """A field the boundary will not send: unknown, of a kind that cannot be redacted (an
    image, audio, a file), or an identifier holding something to redact. Names the field."""

    def __init__(self, field: str, ja: str, en: str) -> None:
        self.field = field
        super().__init__(f"送信できません（項目 {field}）: {ja}", f"Not sent ({field}): {en}")


class RedactionFailed(RedactionError, Unavailable):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            "機密情報の検出に失敗したため、安全のため送信を中止しました。しばらくしてから再試行してください。",
            f"Redaction failed ({reason}); the request was not sent, to be safe. Try again later.",
        )
