"""Provider calls: the only module that talks to LLM providers, and the only one importing litellm.

Three implementations of one ``Provider`` protocol, chosen per model route:

- ``OpenAICompatible``: a direct aiohttp call for endpoints that speak the OpenAI wire format
  (``openai/*`` models: OpenAI itself, vLLM, Ollama's ``/v1``, LM Studio, any ``api_base``).
  Measured here (docs/benchmarks.md), ``litellm.acompletion`` spends ~6 ms of CPU per call on
  logging, cost and response rebuilding; the plain call costs ~1 ms.
- ``LiteLLM``: everything else (Azure, Bedrock, Anthropic, Gemini, …), or any route with
  ``via_litellm: true``. litellm is imported lazily (~6 s, ~200 MB) so the CLI never pays it.
- ``DemoModel``: the clearly labelled offline model used by ``kakehashi demo``.

Provider exceptions are mapped to ``gateway.kernel.errors`` here and nowhere else.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, Protocol

import aiohttp
import orjson

from gateway.kernel.errors import (
    BadRequest,
    KakehashiError,
    QuotaExceeded,
    UpstreamError,
    UpstreamTimeout,
)
from gateway.kernel.settings import ModelRoute
from redaction.placeholders import CLOSE, OPEN

Chunk = dict[str, Any]
OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"


class Provider(Protocol):
    async def complete(self, route: ModelRoute, body: dict[str, Any]) -> dict[str, Any]: ...

    def stream(self, route: ModelRoute, body: dict[str, Any]) -> AsyncIterator[Chunk]: ...


def _timeout_error(route: ModelRoute) -> UpstreamTimeout:
    return UpstreamTimeout(
        f"モデル {route.alias} の応答が {route.timeout_s:g} 秒以内にありませんでした。",
        f"The provider for {route.alias} did not answer within {route.timeout_s:g} s.",
    )


def _status_error(route: ModelRoute, status: int, detail: str) -> KakehashiError:
    detail = detail[:300]
    if status == 400:
        return BadRequest(
            f"プロバイダがリクエストを拒否しました: {detail}",
            f"The provider rejected the request: {detail}",
        )
    if status == 429:
        return QuotaExceeded(
            "プロバイダの利用上限に達しました。しばらくしてから再試行してください。",
            f"The provider for {route.alias} is rate limiting; retry later. ({detail})",
        )
    return UpstreamError(
        f"プロバイダ ({route.alias}) がエラーを返しました (HTTP {status})。",
        f"The provider for {route.alias} returned HTTP {status}: {detail}",
    )


def _reply(route: ModelRoute, content: bytes) -> dict[str, Any]:
    """A reply body or stream event as JSON, or a clear 502 (an HTML error page from a proxy in
    front of the provider, a truncated event)."""
    try:
        parsed = orjson.loads(content)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise UpstreamError(
            f"プロバイダ ({route.alias}) の応答を読めませんでした (JSON ではありません)。",
            f"The reply of the provider for {route.alias} is not valid JSON: "
            f"{content[:80].decode(errors='replace')!r}",
        )
    return parsed


def _connect_error(route: ModelRoute, exc: Exception) -> UpstreamError:
    return UpstreamError(
        f"プロバイダ ({route.alias}) に接続できませんでした。",
        f"Could not reach the provider for {route.alias}: {type(exc).__name__}",
    )


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
            raise _timeout_error(route) from exc
        except aiohttp.ClientError as exc:
            raise _connect_error(route, exc) from exc
        if response.status != 200:
            raise _status_error(route, response.status, content.decode(errors="replace"))
        return _reply(route, content)

    async def stream(self, route: ModelRoute, body: dict[str, Any]) -> AsyncIterator[Chunk]:
        url, headers, timeout = self._request(route)
        payload = self._upstream_body(route, {**body, "stream_options": {"include_usage": True}})
        try:
            async with self._client().post(
                url, data=payload, headers=headers, timeout=timeout
            ) as response:
                if response.status != 200:
                    detail = (await response.read()).decode(errors="replace")
                    raise _status_error(route, response.status, detail)
                async for data in sse_data(response.content.iter_any()):
                    if data == b"[DONE]":
                        return
                    yield _reply(route, data)
        except TimeoutError as exc:
            raise _timeout_error(route) from exc
        except aiohttp.ClientError as exc:
            raise _connect_error(route, exc) from exc


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


def _litellm() -> Any:
    # Never download the price map at run time; companies block it and this machine can't.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


class LiteLLM:
    def __init__(self) -> None:
        self._lib = _litellm()

    async def aclose(self) -> None:
        await self._lib.close_litellm_async_clients()

    def _kwargs(self, route: ModelRoute, body: dict[str, Any]) -> dict[str, Any]:
        kwargs = {**body, "model": route.model, "timeout": route.timeout_s}
        if route.api_base:
            kwargs["api_base"] = route.api_base
        if route.api_version:
            kwargs["api_version"] = route.api_version
        key = route.api_key()
        if key:
            kwargs["api_key"] = key
        return kwargs

    def _map(self, route: ModelRoute, exc: Exception) -> KakehashiError:
        lib = self._lib
        if isinstance(exc, lib.Timeout):
            return _timeout_error(route)
        if isinstance(exc, lib.APIConnectionError):
            return _connect_error(route, exc)
        status = getattr(exc, "status_code", None)
        if isinstance(status, int):
            return _status_error(route, status, str(exc))
        return UpstreamError(
            f"プロバイダ ({route.alias}) の呼び出しに失敗しました。",
            f"The call to {route.alias} failed: {type(exc).__name__}",
        )

    async def complete(self, route: ModelRoute, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._lib.acompletion(**self._kwargs(route, body))
        except Exception as exc:
            raise self._map(route, exc) from exc
        result: dict[str, Any] = response.model_dump(exclude_none=True)
        result["model"] = route.alias
        return result

    async def stream(self, route: ModelRoute, body: dict[str, Any]) -> AsyncIterator[Chunk]:
        kwargs = self._kwargs(route, {**body, "stream_options": {"include_usage": True}})
        try:
            response = await self._lib.acompletion(**kwargs)
            async for chunk in response:
                yield chunk.model_dump(exclude_none=True)
        except Exception as exc:
            raise self._map(route, exc) from exc

    def usd_per_token(self, route: ModelRoute) -> tuple[float, float]:
        """(prompt, completion) USD per token: the route's overrides, else litellm's local map."""
        info = self._lib.model_cost.get(route.model) or self._lib.model_cost.get(
            route.model.split("/", 1)[-1], {}
        )
        inp = route.input_usd_per_mtok
        out = route.output_usd_per_mtok
        per_in = inp / 1e6 if inp is not None else float(info.get("input_cost_per_token", 0.0))
        per_out = out / 1e6 if out is not None else float(info.get("output_cost_per_token", 0.0))
        return per_in, per_out

    def count_tokens(
        self, route: ModelRoute, messages: list[dict[str, Any]], extra: dict[str, Any]
    ) -> int:
        """Prompt tokens with the model's tokenizer. The bare model name selects it (litellm
        does not recognise ``openai/gpt-4o``); image URLs are never fetched to size them.
        ``extra`` (tools, functions, response_format …) is counted as its JSON text: a little
        more than the provider's own rendering, never less."""
        model = route.model.split("/", 1)[-1]
        try:
            counted = self._lib.token_counter(
                model=model, messages=messages, use_default_image_token_count=True
            )
            if extra:
                counted += self._lib.token_counter(model=model, text=orjson.dumps(extra).decode())
            return int(counted)
        except Exception:  # an odd message shape: over-count rather than under-count
            return len(orjson.dumps([messages, extra]))


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
        return (
            f"{DEMO_LABEL}\n\n受け取った依頼 (送信されたとおり。置き換え文字列は〔〕を［］にして表示)"
            f":\n\n{received}"
        )

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

    async def stream(self, route: ModelRoute, body: dict[str, Any]) -> AsyncIterator[Chunk]:
        text = self._answer(body)
        base = {
            "id": "chatcmpl-demo",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": route.alias,
        }
        yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
        for i in range(0, len(text), 8):
            await asyncio.sleep(0.01)
            yield {**base, "choices": [{"index": 0, "delta": {"content": text[i : i + 8]}}]}
        yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        yield {**base, "choices": [], "usage": self._usage(body, text)}


class Providers:
    """Chooses the implementation for a route; owns the shared HTTP session."""

    def __init__(self) -> None:
        self._fast = OpenAICompatible()
        self._demo = DemoModel()
        self._litellm: LiteLLM | None = None
        self._prices: dict[str, tuple[float, float]] = {}

    @property
    def litellm(self) -> LiteLLM:
        if self._litellm is None:
            self._litellm = LiteLLM()
        return self._litellm

    def for_route(self, route: ModelRoute) -> Provider:
        if route.provider == "demo":
            return self._demo
        if route.provider == "openai" and not route.via_litellm:
            return self._fast
        return self.litellm

    def usd_per_token(self, route: ModelRoute) -> tuple[float, float]:
        """Prices for every route, the fast path included (cached per alias)."""
        price = self._prices.get(route.alias)
        if price is None:
            inp, out = route.input_usd_per_mtok, route.output_usd_per_mtok
            if route.provider == "demo":
                price = (0.0, 0.0)
            elif inp is not None and out is not None:
                price = (inp / 1e6, out / 1e6)
            else:
                price = self.litellm.usd_per_token(route)
            self._prices[route.alias] = price
        return price

    def cost_usd(self, route: ModelRoute, prompt_tokens: int, completion_tokens: int) -> float:
        per_in, per_out = self.usd_per_token(route)
        return prompt_tokens * per_in + completion_tokens * per_out

    def count_tokens(
        self, route: ModelRoute, messages: list[dict[str, Any]], extra: dict[str, Any]
    ) -> int:
        """Prompt tokens as the model counts them (``extra``: tools, functions, response_format
        …). CPU work: call it from a worker thread."""
        if route.provider == "demo":
            return DemoModel.prompt_tokens(messages)
        return self.litellm.count_tokens(route, messages, extra)

    def warm(self, routes: list[ModelRoute]) -> None:
        """Load prices (and litellm, when a route needs its map) before the first request, so
        no request blocks the event loop on a ~6 s import. Blocking: run it in a thread."""
        for route in routes:
            self.usd_per_token(route)

    async def aclose(self) -> None:
        await self._fast.aclose()
        if self._litellm is not None:
            # litellm caches aiohttp sessions per event loop; close them with ours.
            await self._litellm.aclose()
