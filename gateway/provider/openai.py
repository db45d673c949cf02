"""Direct calls to OpenAI-compatible endpoints (``openai/*`` routes: OpenAI itself, vLLM,
Ollama's ``/v1``, LM Studio, any ``api_base``) over ``transports.Http1Transport``.

Measured here (docs/benchmarks.md), ``litellm.acompletion`` spends ~6 ms of CPU per call on
logging, cost and response rebuilding; the plain call costs ~1 ms.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import orjson

from gateway.kernel.errors import UpstreamError
from gateway.kernel.settings import ModelRoute
from gateway.provider.protocol import (
    Chunk,
    connect_error,
    parse_reply,
    status_error,
    timeout_error,
)
from gateway.provider.transports import CONNECT_ERRORS, Http1Transport, Transport

OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"
# One line of an event stream (an event is a few KiB): a stream that never ends its line
# would otherwise be held in memory whole (a ConnectionResetError, a 502).
MAX_LINE_BYTES = 16 << 20


class OpenAICompatible:
    """Direct calls to an OpenAI-compatible endpoint through a transport (pooled HTTP/1.1 unless one
    is given: ``gateway.provider.transports``)."""

    def __init__(self, transport: Transport | None = None) -> None:
        self._transport: Transport = transport or Http1Transport()

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
            status, content = await self._transport.fetch(
                url, data=payload, headers=headers, timeout_s=route.timeout_s
            )
        except TimeoutError as exc:
            raise timeout_error(route) from exc
        except CONNECT_ERRORS as exc:
            raise connect_error(route, exc) from exc
        if status != 200:
            raise status_error(route, status, content.decode(errors="replace"))
        return parse_reply(route, content)

    async def stream(self, route: ModelRoute, body: dict[str, Any]) -> AsyncIterator[list[Chunk]]:
        url, headers = self._request(route)
        payload = self._upstream_body(route, {**body, "stream_options": {"include_usage": True}})
        try:
            async with self._transport.post(
                url, data=payload, headers=headers, timeout_s=route.timeout_s
            ) as reply:
                if reply.status != 200:
                    detail = (await reply.read()).decode(errors="replace")
                    raise status_error(route, reply.status, detail)
                async for batch in sse_batches(reply.pieces()):
                    chunks: list[Chunk] = []
                    for data in batch:
                        if data == b"[DONE]":
                            if chunks:
                                yield chunks
                            return
                        try:
                            chunks.append(parse_reply(route, data))
                        except UpstreamError:
                            if chunks:  # what came before the bad event still goes out first
                                yield chunks
                            raise
                    yield chunks
        except TimeoutError as exc:
            raise timeout_error(route) from exc
        except CONNECT_ERRORS as exc:
            raise connect_error(route, exc) from exc


async def sse_batches(pieces: AsyncIterable[bytes]) -> AsyncIterator[list[bytes]]:
    """The payloads of the ``data:`` lines of an SSE body, however it arrives in pieces, grouped
    by the piece that ended them: the events of one network read leave the gateway in one write
    (lines are split here rather than with readline, which caps a line at a buffer
    size). Never yields an empty group."""
    pending: list[bytes] = []  # the pieces of a line not yet ended (a long line stays linear)
    waiting = 0  # their size
    async for piece in pieces:
        *ended, rest = piece.split(b"\n")
        if ended:
            if pending:
                ended[0] = b"".join([*pending, ended[0]])
                pending.clear()
                waiting = 0
            batch = [line[5:].strip() for line in ended if line.startswith(b"data:")]
            if batch:
                yield batch
        pending.append(rest)
        waiting += len(rest)
        if waiting > MAX_LINE_BYTES:
            raise ConnectionResetError(f"an event stream line over {MAX_LINE_BYTES >> 20} MiB")
    last = b"".join(pending)
    if last.startswith(b"data:"):
        yield [last[5:].strip()]
