"""The request boundary over whole Chat Completions requests: every field a person or a tool
could have written is redacted (tool-call arguments inside their JSON), ``user`` is
pseudonymised, API values pass, and whatever cannot be redacted is refused naming the field."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from redaction.boundary import Outgoing, pseudonym, redact_request
from redaction.engine import Redactor
from redaction.errors import FieldRefused, RedactionBlocked
from redaction.profile import RedactionProfile
from redaction.vault import MemoryVault

pytestmark = pytest.mark.anyio

SECRETS = ["山田太郎", "鈴木一郎", "090-1234-5678", "suzuki@example.com", "カケハシ商事"]


def tool_round_trip() -> dict[str, Any]:
    """An agent's second turn: history with a tool call and its result, tools, stop, user."""
    arguments = {"to": "suzuki@example.com", "名前": "鈴木一郎", "phone": "090-1234-5678"}
    return {
        "model": "mock-model",
        "user": "yamada@example.co.jp",
        "stop": ["山田太郎より"],
        "temperature": 0.2,
        "n": 1,
        "metadata": {"案件": "株式会社カケハシ商事の見積り"},
        "messages": [
            {"role": "developer", "content": "あなたは山田太郎の秘書です。"},
            {"role": "system", "content": [{"type": "text", "text": "丁寧に。"}]},
            {
                "role": "user",
                "name": "山田太郎",
                "content": [
                    {"type": "text", "text": "鈴木一郎さんに"},
                    {"type": "text", "text": "電話 090-1234-5678 で連絡して"},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": "send_mail",
                            "arguments": json.dumps(arguments, ensure_ascii=False),
                        },
                    }
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "call_1",
                "content": "送信しました: suzuki@example.com（鈴木一郎様）",
            },
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "send_mail",
                    "description": "山田太郎の名前でメールを送る",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "to": {
                                "type": "string",
                                "description": "宛先 (例: suzuki@example.com)",
                            },
                            "名前": {"type": "string", "enum": ["鈴木一郎", "その他"]},
                        },
                        "required": ["to"],
                    },
                },
            }
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "reply",
                "description": "カケハシ商事への返信",
                "schema": {"type": "object", "properties": {"body": {"type": "string"}}},
            },
        },
        "prediction": {"type": "content", "content": "鈴木一郎様"},
        "web_search_options": {
            "user_location": {"type": "approximate", "approximate": {"city": "港区"}}
        },
    }


async def redact(
    redactor: Redactor,
    body: dict[str, Any],
    profile: RedactionProfile | None = None,
    vault: MemoryVault | None = None,
    conversation: str | None = None,
) -> Outgoing:
    return await redact_request(
        body=body,
        redactor=redactor,
        vault=vault or MemoryVault(ttl_s=60),
        conversation_id=conversation,
        profile=profile or RedactionProfile(),
        pseudonym=pseudonym("secret", 7),
        timeout_s=30,
    )


async def test_every_field_a_person_or_tool_wrote_is_redacted(redactor: Redactor) -> None:
    body = tool_round_trip()
    original = copy.deepcopy(body)
    out = await redact(redactor, body)
    assert body == original  # the client's request is not mutated
    sent = json.dumps(out.body, ensure_ascii=False)
    assert [s for s in SECRETS if s in sent] == []
    assert "yamada@example.co.jp" not in sent
    assert out.body["user"] == pseudonym("secret", 7) != pseudonym("secret", 8)
    messages = out.body["messages"]
    # One value, one placeholder, in every field it occurs in.
    [suzuki] = {p for p, v in out.mapping.values.items() if v == "鈴木一郎"}
    arguments = json.loads(messages[3]["tool_calls"][0]["function"]["arguments"])
    assert arguments["名前"] == suzuki  # still valid JSON, keys kept
    assert suzuki in messages[2]["content"][0]["text"]
    assert suzuki in messages[4]["content"]
    assert out.body["tools"][0]["function"]["parameters"]["properties"]["名前"]["enum"][0] == suzuki
    assert suzuki in out.body["prediction"]["content"]
    assert messages[2]["content"][1]["text"].startswith("電話 〔電話")  # the second part too
    assert "〔人物" in messages[0]["content"]
    assert "〔人物" in messages[2]["name"]
    assert "〔人物" in out.body["stop"][0]
    # What passes is untouched: ids, names of functions, enums, numbers.
    assert messages[3]["tool_calls"][0]["id"] == "call_1"
    assert messages[4]["tool_call_id"] == "call_1"
    assert out.body["temperature"] == 0.2
    assert out.json_content is True
    assert out.counts["PERSON"] >= 2
    assert out.counts["EMAIL"] >= 1


async def test_a_blocked_type_blocks_in_tool_call_arguments_too(redactor: Redactor) -> None:
    body = tool_round_trip()
    call = body["messages"][3]["tool_calls"][0]["function"]
    call["arguments"] = json.dumps({"番号": "123456789018"})
    with pytest.raises(RedactionBlocked) as caught:
        await redact(redactor, body, RedactionProfile(block=["MY_NUMBER"]))
    assert [f.field for f in caught.value.findings] == [
        "messages[3].tool_calls[0].function.arguments.番号"
    ]
    call["arguments"] = json.dumps({"番号": 123456789018})  # as a JSON number
    with pytest.raises(RedactionBlocked):
        await redact(redactor, body, RedactionProfile(block=["MY_NUMBER"]))


async def test_legacy_function_call_arguments_and_refusal_are_redacted(
    redactor: Redactor,
) -> None:
    body = {
        "model": "m",
        "functions": [{"name": "lookup", "description": "鈴木一郎の電話帳", "parameters": {}}],
        "messages": [
            {
                "role": "assistant",
                "refusal": "山田太郎さんの件はお答えできません",
                "function_call": {"name": "lookup", "arguments": '{"who": "鈴木一郎"}'},
            },
            {"role": "function", "name": "lookup", "content": "鈴木一郎: 090-1234-5678"},
        ],
    }
    out = await redact(redactor, body)
    sent = json.dumps(out.body, ensure_ascii=False)
    assert [s for s in SECRETS if s in sent] == []
    assert json.loads(out.body["messages"][0]["function_call"]["arguments"])["who"].startswith("〔")


async def test_a_placeholder_sent_back_stays_itself(redactor: Redactor) -> None:
    vault = MemoryVault(ttl_s=60)
    first = await redact(
        redactor,
        {"model": "m", "messages": [{"role": "user", "content": "鈴木一郎さんの件"}]},
        vault=vault,
        conversation="c",
    )
    [placeholder] = first.mapping.values
    # The tool ran on the placeholder and echoes it, next to the real name.
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "鈴木一郎さんの件"},
            {
                "role": "tool",
                "tool_call_id": "c1",
                "content": f"{placeholder}様の住所は未登録です。鈴木一郎様",
            },
        ],
    }
    second = await redact(redactor, body, vault=vault, conversation="c")
    assert (
        second.body["messages"][1]["content"]
        == f"{placeholder}様の住所は未登録です。{placeholder}様"
    )
    assert list(second.mapping.values) == [placeholder]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.update(top_k=5), "top_k"),
        (lambda b: b["messages"][0].update(extra="x"), "messages[0].extra"),
        (
            lambda b: b["messages"][0].update(content=[{"type": "video", "video": "x"}]),
            "messages[0].content[0].type",
        ),
        (lambda b: b.update(temperature="山田太郎"), "temperature"),
        (lambda b: b.update(max_completion_tokens=-5), "max_completion_tokens"),
        (lambda b: b.update(n=True), "n"),
        (lambda b: b.update(service_tier="山田"), "service_tier"),
        (
            lambda b: b["messages"][0].update(
                content=[{"type": "image_url", "image_url": {"url": "https://x.jp/a.png"}}]
            ),
            "messages[0].content[0]",
        ),
        (
            lambda b: b["messages"][0].update(content=[{"type": "file", "file": {"file_id": "f"}}]),
            "messages[0].content[0]",
        ),
        (
            lambda b: b.update(
                tools=[
                    {
                        "type": "function",
                        "function": {
                            "name": "f",
                            "parameters": {
                                "type": "object",
                                "properties": {"鈴木一郎": {"type": "string"}},
                            },
                        },
                    }
                ]
            ),
            "tools[0].function.parameters.properties.鈴木一郎 (key)",
        ),
        (
            lambda b: b.update(tools=[{"type": "function", "function": {"name": "山田太郎"}}]),
            "tools[0].function.name",
        ),
    ],
)
async def test_what_cannot_be_redacted_is_refused_naming_the_field(
    redactor: Redactor, change: Any, field: str
) -> None:
    body: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "こんにちは"}]}
    change(body)
    with pytest.raises(FieldRefused) as caught:
        await redact(redactor, body)
    assert caught.value.field == field
    assert field in caught.value.ja
    assert field in caught.value.en


async def test_images_pass_only_where_the_policy_allows_and_never_with_a_query(
    redactor: Redactor,
) -> None:
    def body(url: str) -> dict[str, Any]:
        part = {"type": "image_url", "image_url": {"url": url, "detail": "low"}}
        return {"model": "m", "messages": [{"role": "user", "content": [part]}]}

    allow = RedactionProfile(allow_images=True)
    with pytest.raises(FieldRefused, match="cannot be redacted"):
        await redact(redactor, body("data:image/png;base64,AAAA"))
    assert (await redact(redactor, body("data:image/png;base64,AAAA"), allow)).body
    assert (await redact(redactor, body("https://cdn.example.jp/a.png"), allow)).body
    with pytest.raises(FieldRefused, match="query string"):
        await redact(redactor, body("https://cdn.example.jp/a.png?name=yamada"), allow)


async def test_the_whole_api_passes_untouched_when_nothing_is_found(redactor: Redactor) -> None:
    body: dict[str, Any] = {
        "model": "m",
        "messages": [{"role": "user", "content": "今日の天気は？"}],
        "max_tokens": 10,
        "max_completion_tokens": 20,
        "frequency_penalty": 0,
        "presence_penalty": 0.5,
        "top_p": 1,
        "seed": -3,
        "logprobs": True,
        "top_logprobs": 2,
        "logit_bias": {"50256": -100},
        "parallel_tool_calls": False,
        "store": False,
        "reasoning_effort": "low",
        "service_tier": "auto",
        "verbosity": "low",
        "modalities": ["text"],
        "stream": True,
        "stream_options": {"include_usage": True},
        "tool_choice": {"type": "function", "function": {"name": "f"}},
        "function_call": "auto",
        "moderation": {"model": "omni-moderation-latest", "policy": {"input": {"mode": "block"}}},
        "prompt_cache_options": {"mode": "implicit"},
    }
    out = await redact(redactor, body)
    assert out.body == body
    assert out.usage_chunk is True


def test_docs_security_lists_every_field_the_boundary_knows() -> None:
    from pathlib import Path

    from redaction import fields

    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text("utf-8")
    missing = [key for key in fields._TOP if f"`{key}`" not in doc]
    assert missing == []
