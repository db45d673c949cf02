"""Direct calls to OpenAI-compatible endpoints (``openai/*`` routes: OpenAI itself, vLLM,
Ollama's ``/v1``, LM Studio, any ``api_base``) over aiohttp.

Measured here (docs/benchmarks.md), ``litellm.acompletion`` spends ~6 ms of CPU per call on
logging, cost and response rebuilding; the plain call costs ~1 ms.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import aiohttp
import orjson

from gateway.kernel.settings import ModelRoute
from gateway.provider.protocol import (
    Chunk,
    connect_error,
    parse_reply,
    status_error,
    timeout_error,
)

OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"


class OpenAICompatible:
    """Direct calls to an OpenAI-compatible endpoint over one aiohttp session.

    aiohttp rather than httpx: the same call costs a fraction of the CPU (its HTTP parser is
    C, its pool has no per-request locking dance), and the upstream call was the largest share
    of the gateway's own CPU per request (bench/overhead, issue 2). Timeouts keep httpx's
    meaning: ``timeout_s`` for connecting and for each read, not for a whole stream.
    """

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running loop (aiohttp binds a session to its loop).
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=512, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @staticmethod
    def _request(route: ModelRoute) -> tuple[str, dict[str, str], aiohttp.ClientTimeout]:
        base = (route.api_base or OPENAI_DEFAULT_BASE).rstrip("/")
        headers = {"content-type": "application/json"}
        key = route.api_key()
        if key:
            headers["authorization"] = f"Bearer {key}"
        timeout = aiohttp.ClientTimeout(
            total=None, connect=route.timeout_s, sock_read=route.timeout_s
        )
        return f"{base}/chat/completions", headers, timeout

    @staticmethod
    def _upstream_body(route: ModelRoute, body: dict[str, Any]) -> bytes:
        return orjson.dumps({**body, "model": route.model.split("/", 1)[-1]})

    async def complete(self, route: ModelRoute, body: dict[str, Any]) -> dict[str, Any]:
        url, headers, timeout = self._request(route)
        payload = self._upstream_body(route, body)
        try:
            async with self._client().post(
                url, data=payload, headers=headers, timeout=timeout
            ) as response:
                content = await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutErrors too
            raise timeout_error(route) from exc
        except aiohttp.ClientError as exc:
            raise connect_error(route, exc) from exc
        if response.status != 200:
            raise status_error(route, response.status, content.decode(errors="replace"))
        return parse_reply(route, content)

    async def stream(self, route: ModelRoute, body: dict[str, Any]) -> AsyncIterator[Chunk]:
        url, headers, timeout = self._request(route)
        payload = self._upstream_body(route, {**body, "stream_options": {"include_usage": True}})
        try:
            async with self._client().post(
                url, data=payload, headers=headers, timeout=timeout
            ) as response:
                if response.status != 200:
                    detail = (await response.read()).decode(errors="replace")
                    raise status_error(route, response.status, detail)
                async for data in sse_data(response.content.iter_any()):
                    if data == b"[DONE]":
                        return
                    yield parse_reply(route, data)
        except TimeoutError as exc:
            raise timeout_error(route) from exc
        except aiohttp.ClientError as exc:
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
