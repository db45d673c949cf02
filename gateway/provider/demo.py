"""The offline model of ``kakehashi demo``: its answers say plainly that they are demo output,
and show the request as it arrived (placeholders and all)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from gateway.kernel.settings import ModelRoute
from gateway.provider.protocol import Chunk
from redaction.placeholders import CLOSE, OPEN

_PLACEHOLDER = re.compile(f"{re.escape(OPEN)}[^{re.escape(CLOSE)}\\s]{{1,16}}{re.escape(CLOSE)}")
DEMO_LABEL = (
    "【デモ出力 / demo output — オフラインのデモモデルの応答です。実際の AI ではありません】"
)


class DemoModel:
    """An offline model for ``kakehashi demo``: answers say plainly that they are demo output."""

    @staticmethod
    def _answer(body: dict[str, Any]) -> str:
        last = ""
        for message in body.get("messages", []):
            if message.get("role") == "user" and isinstance(message.get("content"), str):
                last = message["content"]
        # Shown with ［］ in place of 〔〕: a placeholder in the answer would be restored to the
        # name, and the point of the demo is to see that the name never arrived here.
        received = last.replace(OPEN, "［").replace(CLOSE, "］")
        answer = (
            f"{DEMO_LABEL}\n\n受け取った依頼 (送信されたとおり。置き換え文字列は〔〕を［］にして表示)"
            f":\n\n{received}"
        )
        # And the other half of the promise: the placeholders written back as they are, which
        # the gateway restores to the names before staff read the answer.
        written = dict.fromkeys(_PLACEHOLDER.findall(last))
        if written:
            answer += f"\n\n回答の中の置き換え文字列は、社内で元に戻して表示されます: {'、'.join(written)}"
        return answer

    @staticmethod
    def prompt_tokens(messages: list[dict[str, Any]]) -> int:
        return sum(len(str(m.get("content", ""))) for m in messages)

    @staticmethod
    def _usage(body: dict[str, Any], text: str) -> dict[str, int]:
        prompt = DemoModel.prompt_tokens(body.get("messages", []))
        return {
            "prompt_tokens": prompt,
            "completion_tokens": len(text),
            "total_tokens": prompt + len(text),
        }

    async def complete(self, route: ModelRoute, body: dict[str, Any]) -> dict[str, Any]:
        text = self._answer(body)
        return {
            "id": "chatcmpl-demo",
            "object": "chat.completion",
            "created": 0,
            "model": route.alias,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": self._usage(body, text),
        }

    async def stream(self, route: ModelRoute, body: dict[str, Any]) -> AsyncIterator[list[Chunk]]:
        text = self._answer(body)
        base = {
            "id": "chatcmpl-demo",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": route.alias,
        }
        yield [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
        for i in range(0, len(text), 8):
            await asyncio.sleep(0.01)
            yield [{**base, "choices": [{"index": 0, "delta": {"content": text[i : i + 8]}}]}]
        yield [
            {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            {**base, "choices": [], "usage": self._usage(body, text)},
        ]
