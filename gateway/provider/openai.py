"""Direct calls to OpenAI-compatible endpoints (``openai/*`` routes: OpenAI itself, vLLM,
Ollama's ``/v1``, LM Studio, any ``api_base``) over aiohttp.

Measured here (docs/benchmarks.md), ``litellm.acompletion`` spends ~6 ms of CPU per call on
logging, cost and response rebuilding; the plain call costs ~1 ms.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import orjson

from gateway.kernel.settings import ModelRoute
from gateway.provider.protocol import (
    Chunk,
    connect_error,
    parse_reply,
    status_error,
    timeout_error,
)
from gateway.provider.transports import CONNECT_ERRORS, AiohttpTransport, Transport

OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"


class OpenAICompatible:
    """Direct calls to an OpenAI-compatible endpoint through a transport (aiohttp unless one
    is given: ``gateway.provider.transports``)."""

    def __init__(self, transport: Transport | None = None) -> None:
        self._transport: Transport = transport or AiohttpTransport()

    async def aclose(self) -> None:
        await self._transport.aclose()

    @staticmethod
    def _request(route: ModelRoute) -> tuple[str, dict[str, str]]:
        base = (route.api_base or OPENAI_DEFAULT_BASE).rstrip("/")
        headers = {"content-type": "application/json"}
        key = route.api_key()
        if key:
            headers["authorization"] = f"Bearer {key}"
        return f"{base}/chat/completions", headers

    @staticmethod
    def _upstream_body(route: ModelRoute, body: dict[str, Any]) -> bytes:
        return orjson.dumps({**body, "model": route.model.split("/", 1)[-1]})

    async def complete(self, route: ModelRoute, body: dict[str, Any]) -> dict[str, Any]:
        url, headers = self._request(route)
        payload = self._upstream_body(route, body)
        try:
            async with self._transport.post(
                url, data=payload, headers=headers, timeout_s=route.timeout_s
            ) as reply:
                status, content = reply.status, await reply.read()
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutErrors too
            raise timeout_error(route) from exc
        except CONNECT_ERRORS as exc:
            raise connect_error(route, exc) from exc
        if status != 200:
            raise status_error(route, status, content.decode(errors="replace"))
        return parse_reply(route, content)

    async def stream(self, route: ModelRoute, body: dict[str, Any]) -> AsyncIterator[Chunk]:
        url, headers = self._request(route)
        payload = self._upstream_body(route, {**body, "stream_options": {"include_usage": True}})
        try:
            async with self._transport.post(
                url, data=payload, headers=headers, timeout_s=route.timeout_s
            ) as reply:
                if reply.status != 200:
                    detail = (await reply.read()).decode(errors="replace")
                    raise status_error(route, reply.status, detail)
                async for data in sse_data(reply.pieces()):
                    if data == b"[DONE]":
                        return
                    yield parse_reply(route, data)
        except TimeoutError as exc:
            raise timeout_error(route) from exc
        except CONNECT_ERRORS as exc:
            raise connect_error(route, exc) from exc


async def sse_data(pieces: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """The payloads of the ``data:`` lines of an SSE body, however it arrives in pieces (lines
    are split here rather than with readline, which caps a line at aiohttp's buffer size)."""
    pending: list[bytes] = []  # the pieces of a line not yet ended (a long line stays linear)
    async for piece in pieces:
        *ended, rest = piece.split(b"\n")
        for line in ended:
            line = b"".join([*pending, line])
            pending.clear()
            if line.startswith(b"data:"):
                yield line[5:].strip()
        pending.append(rest)
    last = b"".join(pending)
    if last.startswith(b"data:"):
        yield last[5:].strip()
