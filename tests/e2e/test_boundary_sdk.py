"""The request boundary through the whole gateway with the real OpenAI Python SDK: an agent's
tool round trip (history with tool calls and tool results holding names, phones and e-mail;
tool descriptions; ``stop``, ``user``, ``name``), streamed and not. The recording upstream
shows exactly what left; the client gets every field back restored."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from redaction.profile import RedactionProfile
from tests.fixtures.gateway import RunningGateway
from tests.fixtures.policies import PolicyFolder
from tests.support.mock_upstream import MockUpstream

ASK = "鈴木一郎さん（suzuki@example.com、090-1234-5678）に山田太郎から連絡して"
SECRETS = ["鈴木一郎", "suzuki@example.com", "090-1234-5678", "山田太郎", "yamada@example.co.jp"]
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "send_mail",
            "description": "山田太郎の名前でメールを送る",
            "parameters": {
                "type": "object",
                "properties": {"to": {"type": "string", "description": "例: suzuki@example.com"}},
            },
        },
    }
]


def history() -> list[Any]:
    arguments = {"to": "suzuki@example.com", "本文": "鈴木一郎様 090-1234-5678"}
    return [
        {"role": "developer", "content": "山田太郎の秘書として振る舞う"},
        {"role": "user", "name": "yamada", "content": "鈴木一郎さんに連絡して"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_a",
                    "type": "function",
                    "function": {"name": "send_mail", "arguments": json.dumps(arguments)},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_a",
            "content": "送信済み: 鈴木一郎 <suzuki@example.com>",
        },
        {
            "role": "user",
            "content": [{"type": "text", "text": "続けて"}, {"type": "text", "text": ASK}],
        },
    ]


@pytest.fixture
def gw(gateway_factory: Callable[..., RunningGateway]) -> RunningGateway:
    return gateway_factory()


def sdk(gw: RunningGateway) -> openai.OpenAI:
    return gw.openai(gw.make_key("yamada@example.co.jp"))


def assert_nothing_left(upstream: MockUpstream) -> dict[str, Any]:
    [request] = upstream.requests
    sent = upstream.texts_sent()
    assert [s for s in SECRETS if s in sent] == []
    body = request.body
    assert body["user"].startswith("kk-")
    arguments = json.loads(body["messages"][2]["tool_calls"][0]["function"]["arguments"])
    assert arguments["to"].startswith("〔メール")  # redacted inside valid JSON
    stop = body["stop"]
    assert "〔人物" in (stop if isinstance(stop, str) else stop[0])
    return body


def test_a_tool_round_trip_leaves_redacted_and_comes_back_whole(
    gw: RunningGateway, upstream: MockUpstream
) -> None:
    reply = sdk(gw).chat.completions.create(
        model="mock-model",
        messages=history(),
        tools=TOOLS,
        stop=["山田太郎より"],
        user="yamada@example.co.jp",
        n=2,
    )
    body = assert_nothing_left(upstream)
    assert body["n"] == 2
    for choice in reply.choices:  # every choice restored
        [call] = choice.message.tool_calls or []
        assert json.loads(call.function.arguments) == {"echo": "続けて" + ASK}


def test_a_streamed_tool_round_trip_comes_back_whole_in_every_choice(
    gw: RunningGateway, upstream: MockUpstream
) -> None:
    stream = sdk(gw).chat.completions.create(
        model="mock-model",
        messages=history(),
        tools=TOOLS,
        stop="山田太郎より",
        user="yamada@example.co.jp",
        n=2,
        stream=True,
    )
    arguments = {0: "", 1: ""}
    for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                arguments[choice.index] += (call.function and call.function.arguments) or ""
    assert_nothing_left(upstream)
    assert [json.loads(a) for a in arguments.values()] == [{"echo": "続けて" + ASK}] * 2


def test_the_sdk_readme_streaming_loop_works_unchanged(
    gw: RunningGateway, upstream: MockUpstream
) -> None:
    client = sdk(gw)
    messages: list[Any] = [{"role": "user", "content": ASK}]
    stream = client.chat.completions.create(model="mock-model", messages=messages, stream=True)
    text = ""
    for chunk in stream:  # the loop of the SDK's README: no usage chunk unless asked
        text += chunk.choices[0].delta.content or ""
    assert text == "echo: " + ASK
    assert upstream.requests[0].body["stream_options"] == {"include_usage": True}  # ours
    stream = client.chat.completions.create(
        model="mock-model", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    last = list(stream)[-1]
    assert last.choices == []
    assert last.usage is not None
    # n > 1: each choice restored on its own, the choices' chunks interleaved.
    stream = client.chat.completions.create(model="mock-model", messages=messages, stream=True, n=2)
    texts = {0: "", 1: ""}
    for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
    assert texts == {0: "echo: " + ASK, 1: "echo1: " + ASK}


def test_a_my_number_in_tool_call_arguments_is_blocked_like_in_content(
    gateway_factory: Callable[..., RunningGateway], upstream: MockUpstream
) -> None:
    gw = gateway_factory(
        default_policy={
            "allowed_models": ["*"],
            "redaction": RedactionProfile(block=("MY_NUMBER",)),
        }
    )
    messages = history()
    messages[2]["tool_calls"][0]["function"]["arguments"] = json.dumps({"番号": "1234 5678 9018"})
    with pytest.raises(openai.BadRequestError) as caught:
        sdk(gw).chat.completions.create(model="mock-model", messages=messages)
    assert "マイナンバー" in str(caught.value)
    assert upstream.requests == []


def test_what_cannot_be_redacted_is_refused_with_the_field_named(
    gw: RunningGateway, upstream: MockUpstream
) -> None:
    client = sdk(gw)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="mock-model",
            messages=[{"role": "user", "content": "x"}],
            extra_body={"top_k": 3},
        )
    assert "top_k" in caught.value.message
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": [image]}]
        )
    assert "cannot be redacted" in caught.value.message
    # Both bounds: the larger one is reserved and forwarded in both fields.
    client.chat.completions.create(
        model="mock-model",
        messages=[{"role": "user", "content": "x"}],
        max_tokens=10,
        max_completion_tokens=300,
    )
    forwarded = upstream.requests.pop().body
    assert (forwarded["max_tokens"], forwarded["max_completion_tokens"]) == (300, 300)
    for bad in ({"max_completion_tokens": -1}, {"n": "2"}, {"max_tokens": 1.5}):
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(
                model="mock-model", messages=[{"role": "user", "content": "x"}], extra_body=bad
            )
    assert upstream.requests == []


def test_unknown_routes_answer_like_openai_under_v1_and_as_a_page_elsewhere(
    gw: RunningGateway,
) -> None:
    key = gw.make_key()
    headers = {"authorization": f"Bearer {key}"}
    missing = httpx.get(f"{gw.v1}/assistants", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "invalid_request_error"
    wrong = httpx.delete(f"{gw.v1}/chat/completions", headers=headers)
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    with pytest.raises(openai.NotFoundError):
        gw.openai(key).embeddings.create(model="mock-model", input="x")
    page = httpx.get(f"{gw.base_url}/no-such-page", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


def test_the_audit_stores_what_left_never_the_raw_values(
    policy_gateway: Callable[..., RunningGateway],
    policy_folder: PolicyFolder,
    upstream: MockUpstream,
) -> None:
    policy_folder.write(
        "_defaults.yaml", "allowed_models: ['mock-*']\nretention: {store_redacted_prompts: true}\n"
    )
    gw = policy_gateway()
    sdk(gw).chat.completions.create(model="mock-model", messages=history(), tools=TOOLS)
    [event] = gw.wait_for_audit(1)
    stored = json.dumps(event.detail, ensure_ascii=False)
    assert [s for s in SECRETS if s in stored] == []
    assert event.detail["prompt"] == upstream.requests[0].body["messages"]
