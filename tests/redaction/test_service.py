"""redact_messages / preview: every message redacted, consistent placeholders per
conversation, blocking, and fail-closed behaviour on errors and timeouts."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import pytest

from redaction.boundary import redact_messages
from redaction.engine import Redactor
from redaction.entities import Entity
from redaction.errors import FieldRefused, RedactionBlocked, RedactionFailed
from redaction.presidio import EntityRecognizer, RecognizerResult
from redaction.profile import RedactionProfile
from redaction.restore import restore
from redaction.service import preview
from redaction.vault import MemoryVault

pytestmark = pytest.mark.anyio

MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "あなたは株式会社カケハシ商事の山田太郎のアシスタントです。"},
    {"role": "user", "content": "鈴木一郎さん（suzuki@example.com）に返信して"},
    {"role": "assistant", "content": "承知しました。鈴木一郎さんへの返信案です。"},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "電話は03-1234-5678です"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        ],
    },
]


async def test_every_message_is_redacted_and_restorable(redactor: Redactor) -> None:
    original = copy.deepcopy(MESSAGES)
    result = await redact_messages(
        redactor=redactor,
        vault=MemoryVault(ttl_s=60),
        conversation_id="c1",
        messages=MESSAGES,
        profile=RedactionProfile(allow_images=True),  # the image passes as it is
        timeout_s=10,
    )
    assert original == MESSAGES  # the request is not mutated
    flat = repr(result.messages)
    for secret in ("カケハシ", "山田太郎", "鈴木一郎", "suzuki@example.com", "03-1234-5678"):
        assert secret not in flat
    assert result.messages[1]["content"].startswith("〔人物")
    assert result.messages[2]["content"].count(result.messages[1]["content"][:5]) == 1
    assert result.messages[3]["content"][1] == MESSAGES[3]["content"][1]
    for before, after in zip(MESSAGES[:3], result.messages[:3], strict=True):
        assert restore(after["content"], result.mapping) == before["content"]
    assert result.counts["PERSON"] == 3
    assert result.counts["EMAIL"] == 1


async def test_placeholders_are_stable_across_turns(redactor: Redactor) -> None:
    vault = MemoryVault(ttl_s=60)
    kwargs: dict[str, Any] = {
        "redactor": redactor,
        "vault": vault,
        "conversation_id": "c2",
        "profile": RedactionProfile(),
        "timeout_s": 10,
    }
    first = await redact_messages(messages=[{"role": "user", "content": "山田太郎さん"}], **kwargs)
    second = await redact_messages(
        messages=[{"role": "user", "content": "佐藤花子さんと山田太郎さん"}], **kwargs
    )
    a = first.messages[0]["content"]
    b = second.messages[0]["content"]
    assert a == "〔人物A〕さん"
    assert b == "〔人物B〕さんと〔人物A〕さん"


async def test_blocked_types_refuse_the_request(redactor: Redactor) -> None:
    profile = RedactionProfile(block=["CONFIDENTIAL_MARKER", "MY_NUMBER"])
    with pytest.raises(RedactionBlocked) as caught:
        await redact_messages(
            redactor=redactor,
            vault=MemoryVault(ttl_s=60),
            conversation_id="c3",
            messages=[{"role": "user", "content": "【社外秘】マイナンバー123456789018"}],
            profile=profile,
            timeout_s=10,
        )
    error = caught.value
    assert {f.type.value for f in error.findings} == {"CONFIDENTIAL_MARKER", "MY_NUMBER"}
    assert "機密表示" in error.ja
    assert "マイナンバー" in error.ja
    assert "CONFIDENTIAL_MARKER" in error.en
    assert "123456789018" not in error.message  # values never reach the message


class _Exploding(EntityRecognizer):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="exploding", supported_language="ja")

    def load(self) -> None:
        return None

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: Any = None,
    ) -> list[RecognizerResult]:
        if "爆発" in text:  # the start-up warm-up passes; this request trips the bug
            raise RuntimeError("recognizer bug")
        return []


class _Slow(Redactor):
    def analyze(
        self, text: str, profile: RedactionProfile, *, cancelled: Callable[[], bool]
    ) -> list[Entity]:
        time.sleep(0.3)  # one window that does not look at the flag
        return []


async def test_a_failing_recognizer_fails_closed() -> None:
    broken = Redactor.build(extra_recognizers=[_Exploding()])
    with pytest.raises(RedactionFailed) as caught:
        await redact_messages(
            redactor=broken,
            vault=MemoryVault(ttl_s=60),
            conversation_id="c4",
            messages=[{"role": "user", "content": "山田太郎"}, {"role": "user", "content": "爆発"}],
            profile=RedactionProfile(),
            timeout_s=10,
        )
    assert "RuntimeError" in caught.value.en
    assert "機密情報の検出に失敗" in caught.value.ja


async def test_a_timeout_fails_closed() -> None:
    started = time.perf_counter()
    with pytest.raises(RedactionFailed) as caught:
        await redact_messages(
            redactor=_Slow(analyzer=None),
            vault=MemoryVault(ttl_s=60),
            conversation_id="c5",
            messages=[{"role": "user", "content": "山田太郎"}],
            profile=RedactionProfile(),
            timeout_s=0.1,
        )
    assert time.perf_counter() - started < 0.9
    assert "timed out" in caught.value.en


async def test_unknown_content_shapes_fail_closed(redactor: Redactor) -> None:
    with pytest.raises(FieldRefused, match=r"messages\[0\]\.content"):
        await redact_messages(
            redactor=redactor,
            vault=MemoryVault(ttl_s=60),
            conversation_id="c6",
            messages=[{"role": "user", "content": {"unexpected": "山田太郎"}}],
            profile=RedactionProfile(),
            timeout_s=10,
        )


async def test_preview_shows_the_text_as_it_would_leave(redactor: Redactor) -> None:
    text = "株式会社カケハシの山田です。【社外秘】"
    result = await preview(
        redactor=redactor,
        text=text,
        profile=RedactionProfile(block=["CONFIDENTIAL_MARKER"]),
        timeout_s=10,
    )
    assert result.text.startswith("株式会社〔会社A〕の〔人物A〕です。")  # legal form kept
    assert [f.type.value for f in result.blocked] == ["CONFIDENTIAL_MARKER"]
    for span in result.spans:
        assert text[span.start : span.end] == span.text
        assert result.text[span.redacted_start : span.redacted_end] == span.placeholder
