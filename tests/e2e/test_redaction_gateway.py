"""Redaction through the whole gateway: what the recording upstream received is exactly what
left the company, and the user gets the answer with the originals restored."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from gateway.kernel.settings import Settings
from redaction.engine import Redactor
from redaction.entities import Entity
from redaction.profile import RedactionProfile
from tests.fixtures.gateway import RunningGateway, mock_models, start_gateway
from tests.support.mock_upstream import MockUpstream

EMAIL = """件名: お見積りの件 (株式会社ミライ精工様)

株式会社ミライ精工 購買部 山田太郎様

いつもお世話になっております。
先日はお電話 (03-1234-5678) をいただきありがとうございました。
ご担当の田中一郎様 (tanaka.ichiro@mirai-seiko.co.jp) にも同じ内容をお送りします。
納品先は〒105-0011 東京都港区芝公園4-2-8 でよろしいでしょうか。
お支払いは三井住友銀行 新宿支店 普通 1234567 へお願いいたします。
法人番号 5835678256246 を請求書に記載します。
"""

SECRETS = [
    "ミライ精工",
    "山田太郎",
    "田中一郎",
    "03-1234-5678",
    "tanaka.ichiro@mirai-seiko.co.jp",
    "105-0011",
    "港区芝公園4-2-8",
    "1234567",
    "5835678256246",
]


@pytest.fixture
def redacting_gateway(
    gateway_factory: Callable[..., RunningGateway], customers_csv: Path
) -> RunningGateway:
    profile = RedactionProfile(
        customers_csv=customers_csv,
        code_names=("プロジェクト白鳥",),
        block=("CONFIDENTIAL_MARKER",),
    )
    return gateway_factory(default_policy={"allowed_models": ["*"], "redaction": profile})


def client(gw: RunningGateway) -> openai.OpenAI:
    return gw.openai(gw.make_key())


def assert_nothing_leaked(upstream: MockUpstream, secrets: list[str]) -> None:
    sent = upstream.texts_sent()
    assert upstream.requests, "nothing reached the upstream"
    leaked = [s for s in secrets if s in sent]
    assert leaked == []


def test_a_business_email_leaves_only_placeholders_and_comes_back_whole(
    redacting_gateway: RunningGateway, upstream: MockUpstream
) -> None:
    reply = client(redacting_gateway).chat.completions.create(
        model="mock-model",
        messages=[
            {"role": "system", "content": "あなたは株式会社ミライ精工担当の営業アシスタントです。"},
            {"role": "user", "content": EMAIL},
        ],
    )
    assert_nothing_leaked(upstream, SECRETS)
    sent = upstream.requests[0].body["messages"]
    assert "〔" in sent[0]["content"]
    assert "〔" in sent[1]["content"]
    # The mock echoes what it got (placeholders); the user sees the original text again.
    assert reply.choices[0].message.content == "echo: " + EMAIL
    [event] = redacting_gateway.audit_events("chat.completion")
    assert event.redactions["CUSTOMER"] >= 2
    assert event.redactions["PHONE"] == 1
    assert event.redactions["EMAIL"] == 1


def test_streaming_restores_placeholders_split_across_chunks(
    redacting_gateway: RunningGateway, upstream: MockUpstream
) -> None:
    stream = client(redacting_gateway).chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": EMAIL}], stream=True
    )
    text = "".join((c.choices[0].delta.content or "") if c.choices else "" for c in stream)
    assert_nothing_leaked(upstream, SECRETS)
    assert text == "echo: " + EMAIL


@pytest.mark.parametrize(
    ("evasion", "secret"),
    [
        ("電話は０３－１２３４－５６７８です", "１２３４－５６７８"),
        ("ミライ 精工さんへの提案書", "ミライ 精工"),
        ("ミ\u200bライ精工の件", "ミ\u200bライ精工"),
        ("みらいせいこうさんとの打ち合わせ", "みらいせいこう"),
        ("ﾐﾗｲｾｲｺｳの担当者", "ﾐﾗｲｾｲｺｳ"),
        ("カードは４１１１ １１１１ １１１１ １１１１です", "４１１１ １１１１"),
        ("マイナンバーは1234.5678.9018です", "5678"),
        ("電話は〇九〇ー一二三四ー五六七八まで", "一二三四"),
        ("<ruby>山田<rt>やまだ</rt></ruby>様へ", "やまだ"),
        ("連絡先 taro[at]mirai-seiko.co.jp", "taro"),
    ],
)
def test_evasions_are_redacted_too(
    redacting_gateway: RunningGateway, upstream: MockUpstream, evasion: str, secret: str
) -> None:
    reply = client(redacting_gateway).chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": evasion}]
    )
    assert_nothing_leaked(upstream, [secret])
    assert reply.choices[0].message.content == "echo: " + evasion


def test_a_confidential_marker_in_block_mode_refuses_with_a_japanese_message(
    redacting_gateway: RunningGateway, upstream: MockUpstream
) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client(redacting_gateway).chat.completions.create(
            model="mock-model",
            messages=[{"role": "user", "content": "【社外秘】来期の価格改定案を要約して"}],
        )
    assert upstream.requests == []
    body = info.value.body
    assert isinstance(body, dict)
    assert body["code"] == "content_blocked"
    assert re.search(r"[ぁ-んァ-ン一-龥]", body["message_ja"])
    [event] = redacting_gateway.audit_events("chat.completion")
    assert (event.outcome, event.status_code) == ("refused", 400)
    assert event.detail["blocked"] == ["CONFIDENTIAL_MARKER"]


def test_placeholders_stay_consistent_across_turns_of_a_conversation(
    redacting_gateway: RunningGateway, upstream: MockUpstream
) -> None:
    c = client(redacting_gateway)
    headers = {"X-Kakehashi-Conversation-Id": "conv-1"}
    first = "山田太郎様への返信を書いてください"
    answer = c.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": first}], extra_headers=headers
    )
    second = "山田太郎様に電話 03-1234-5678 の件も追記して"
    c.chat.completions.create(
        model="mock-model",
        messages=[
            {"role": "user", "content": first},
            {"role": "assistant", "content": answer.choices[0].message.content},
            {"role": "user", "content": second},
        ],
        extra_headers=headers,
    )
    one, two = (r.body["messages"] for r in upstream.requests)
    placeholder = re.findall(r"〔[^〕]+〕", one[0]["content"])
    assert placeholder
    assert placeholder[0] in two[2]["content"]
    assert "山田" not in upstream.texts_sent()


class _BrokenRedactor(Redactor):
    def analyze(
        self, text: str, profile: RedactionProfile, *, cancelled: Callable[[], bool]
    ) -> list[Entity]:
        raise RuntimeError("recognizer crashed")


def test_when_redaction_fails_nothing_is_sent(
    db_url: str, upstream_url: str, upstream: MockUpstream
) -> None:
    settings = Settings(mode="test", database={"url": db_url}, models=mock_models(upstream_url))
    gw = start_gateway(settings, _BrokenRedactor(analyzer=None))
    try:
        key = gw.make_key()
        for stream in (False, True):
            response = httpx.post(
                f"{gw.v1}/chat/completions",
                headers={"authorization": f"Bearer {key}"},
                json={
                    "model": "mock-model",
                    "stream": stream,
                    "messages": [{"role": "user", "content": "山田太郎様へ"}],
                },
            )
            assert response.status_code == 503
            error: dict[str, Any] = response.json()["error"]
            assert "送信を中止" in error["message"]
        assert upstream.requests == []
    finally:
        gw.stop()


def test_preview_shows_exactly_what_would_leave_without_sending(
    redacting_gateway: RunningGateway, upstream: MockUpstream
) -> None:
    key = redacting_gateway.make_key()
    text = "株式会社ミライ精工の山田太郎様 (03-1234-5678) へ"
    response = httpx.post(
        f"{redacting_gateway.base_url}/api/redaction/preview",
        headers={"authorization": f"Bearer {key}"},
        json={"text": text},
    )
    assert response.status_code == 200
    result = response.json()
    assert "ミライ精工" not in result["text"]
    assert "03-1234-5678" not in result["text"]
    types = {e["type"] for e in result["entities"]}
    assert {"CUSTOMER", "PHONE"} <= types
    for e in result["entities"]:
        assert text[e["start"] : e["end"]] == e["text"]
        assert result["text"][e["redacted_start"] : e["redacted_end"]] == e["placeholder"]
    assert upstream.requests == []
    unauthenticated = httpx.post(
        f"{redacting_gateway.base_url}/api/redaction/preview", json={"text": text}
    )
    assert unauthenticated.status_code == 401


def test_a_prompt_over_the_policy_limit_is_refused_with_413(
    gateway_factory: Callable[..., RunningGateway], upstream: MockUpstream
) -> None:
    profile = RedactionProfile(max_prompt_chars=5_000)
    gw = gateway_factory(default_policy={"allowed_models": ["*"], "redaction": profile})
    messages = [
        {"role": "system", "content": "議事録を要約してください。"},
        {"role": "user", "content": "山田太郎の発言。" * 700},  # 5,600 characters
    ]
    with pytest.raises(openai.APIStatusError) as info:
        gw.openai(gw.make_key()).chat.completions.create(model="mock-model", messages=messages)
    assert info.value.status_code == 413
    body = info.value.body
    assert isinstance(body, dict)
    assert body["code"] == "prompt_too_large"
    assert "5,000 文字" in body["message_ja"]
    assert "the limit is 5,000" in body["message_en"]
    assert upstream.requests == []
    [event] = gw.audit_events("chat.completion")
    assert event.status_code == 413


def test_values_split_across_parts_and_messages_are_redacted_in_every_piece(
    redacting_gateway: RunningGateway, upstream: MockUpstream
) -> None:
    messages: list[Any] = [
        {"role": "user", "content": "先方の担当は田中"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "一郎様、電話は090-1234-"},
                {"type": "text", "text": "5678、メールは ichiro.tanaka@mirai-"},
            ],
        },
        {"role": "user", "content": "seiko.co.jp です。"},
    ]
    client(redacting_gateway).chat.completions.create(model="mock-model", messages=messages)
    sent = upstream.texts_sent()
    for piece in ("田中", "一郎", "090-1234", "5678", "ichiro.tanaka", "seiko.co.jp"):
        assert piece not in sent, sent


def test_a_blocked_type_split_across_messages_still_blocks(
    gateway_factory: Callable[..., RunningGateway], upstream: MockUpstream
) -> None:
    profile = RedactionProfile(block=("MY_NUMBER",))
    gw = gateway_factory(default_policy={"allowed_models": ["*"], "redaction": profile})
    messages: list[Any] = [
        {"role": "user", "content": "マイナンバーは1234 5678"},
        {"role": "user", "content": "9018 です"},
    ]
    with pytest.raises(openai.BadRequestError) as info:
        gw.openai(gw.make_key()).chat.completions.create(model="mock-model", messages=messages)
    assert isinstance(info.value.body, dict)
    assert info.value.body["code"] == "content_blocked"
    assert upstream.requests == []
