"""Every provider that does not speak the OpenAI wire format (Azure, Bedrock, Anthropic,
Gemini, …) or any route with ``via_litellm: true``, through litellm: the only module that
imports it. litellm is imported lazily (~6 s, ~150 MB): only when a route calls through it or a
prompt to such a route (or one with images) is counted against a quota limit (``kakehashi serve``
imports it before forking its workers when a route needs it). Its prices are read without
importing it (``prices``), and so are its tokenizer files for OpenAI-wire routes (``tokens``);
its tokenizers come from its package, never downloaded.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import orjson

from gateway.kernel.errors import KakehashiError, UpstreamError
from gateway.kernel.settings import ModelRoute
from gateway.provider.protocol import (
    Chunk,
    connect_error,
    status_error,
    timeout_error,
)


def load_litellm() -> Any:
    # Never download the price map at run time; companies block it and this machine can't.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


class LiteLLM:
    def __init__(self) -> None:
        self._lib = load_litellm()

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
            return timeout_error(route)
        if isinstance(exc, lib.APIConnectionError):
            return connect_error(route, exc)
        status = getattr(exc, "status_code", None)
        if isinstance(status, int):
            return status_error(route, status, str(exc))
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

    async def stream(self, route: ModelRoute, body: dict[str, Any]) -> AsyncIterator[list[Chunk]]:
        kwargs = self._kwargs(route, {**body, "stream_options": {"include_usage": True}})
        try:
            response = await self._lib.acompletion(**kwargs)
            async for chunk in response:  # litellm hands them over one by one
                yield [chunk.model_dump(exclude_none=True)]
        except Exception as exc:
            raise self._map(route, exc) from exc

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
