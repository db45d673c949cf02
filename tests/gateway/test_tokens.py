"""Prompts to OpenAI-wire routes are counted without litellm (issue 18), to the same figure as
``litellm.token_counter``; shapes only litellm sizes (images) still go through it."""

from __future__ import annotations

import os
from typing import Any

import orjson
import pytest

from gateway.kernel.settings import ModelRoute
from gateway.provider import Providers, tokens

LONG = "Estimate for Yamada-san. " * 300  # several 1,024-char pieces, cut inside words
SHAPES: list[list[dict[str, Any]]] = [
    [{"role": "user", "content": "こんにちは"}],
    [{"role": "system", "content": "丁寧に答える。"}, {"role": "user", "content": LONG}],
    [{"role": "user", "name": "yamada", "content": [{"type": "text", "text": "部品の単価は?"}]}],
    [
        {"role": "user", "content": "見積書を作って"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "q", "arguments": '{"a": 1}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "<|endoftext|> 完了"},
    ],
]


def _litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    return litellm


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-4", "gpt-3.5-turbo", "mock-model"])
def test_counts_are_litellms(model: str) -> None:
    lib = _litellm()
    route = ModelRoute(alias="m", model=f"openai/{model}")
    extra = {"response_format": {"type": "json_object"}}
    for messages in SHAPES:
        expected = lib.token_counter(model=model, messages=messages)
        assert tokens.count_messages(model, messages) == expected, messages
        with_extra = expected + lib.token_counter(model=model, text=orjson.dumps(extra).decode())
        assert Providers().count_tokens(route, messages, extra) == with_extra


def test_images_are_left_to_litellm() -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.invalid/a.png"}}
    messages = [{"role": "user", "content": [{"type": "text", "text": "これは?"}, image]}]
    assert tokens.count_messages("gpt-4o", messages) is None
    counted = Providers().count_tokens(ModelRoute(alias="m", model="openai/gpt-4o"), messages, {})
    assert counted == _litellm().token_counter(
        model="gpt-4o", messages=messages, use_default_image_token_count=True
    )
