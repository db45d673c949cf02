"""The contract every provider implementation keeps, and the one mapping of provider failures.

A ``Provider`` answers a Chat Completions body for a model route, whole or as a stream of
chunks (in groups: the chunks that arrived together). Whatever goes wrong upstream (timeout, refused connection, HTTP status, a body that is
not JSON) becomes an error of ``gateway.kernel.errors`` here, and nowhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import orjson

from gateway.kernel.errors import (
    BadRequest,
    KakehashiError,
    QuotaExceeded,
    UpstreamError,
    UpstreamTimeout,
)
from gateway.kernel.settings import ModelRoute

Chunk = dict[str, Any]


class Provider(Protocol):
    async def complete(self, route: ModelRoute, body: dict[str, Any]) -> dict[str, Any]: ...

    def stream(self, route: ModelRoute, body: dict[str, Any]) -> AsyncIterator[list[Chunk]]:
        """The chunks in order, grouped as they arrived (never an empty group): the relay
        writes each group to the client at once, one write per network read."""
        ...


def timeout_error(route: ModelRoute) -> UpstreamTimeout:
    return UpstreamTimeout(
        f"モデル {route.alias} の応答が {route.timeout_s:g} 秒以内にありませんでした。",
        f"The provider for {route.alias} did not answer within {route.timeout_s:g} s.",
    )


def status_error(route: ModelRoute, status: int, detail: str) -> KakehashiError:
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


def parse_reply(route: ModelRoute, content: bytes) -> dict[str, Any]:
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


def connect_error(route: ModelRoute, exc: Exception) -> UpstreamError:
    return UpstreamError(
        f"プロバイダ ({route.alias}) に接続できませんでした。",
        f"Could not reach the provider for {route.alias}: {type(exc).__name__}",
    )
