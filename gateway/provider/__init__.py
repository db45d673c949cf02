"""Provider calls: the only package that talks to LLM providers (and, in ``via_litellm``, the
only module importing litellm).

Three implementations of one ``Provider`` protocol (``protocol``), chosen per model route here:

- ``openai.OpenAICompatible``: a direct HTTP/1.1 call for endpoints that speak the OpenAI wire
  format (``openai/*`` models without ``via_litellm``);
- ``via_litellm.LiteLLM``: everything else (Azure, Bedrock, Anthropic, Gemini, …);
- ``demo.DemoModel``: the clearly labelled offline model used by ``kakehashi demo``.

Provider exceptions are mapped to ``gateway.kernel.errors`` in ``protocol`` and nowhere else.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson

from gateway.kernel.settings import ModelRoute
from gateway.provider import http1_pool, prices, tokens
from gateway.provider.demo import DemoModel
from gateway.provider.openai import OpenAICompatible
from gateway.provider.protocol import Provider
from gateway.provider.transports import Http1Transport, Transport
from gateway.provider.via_litellm import LiteLLM, load_litellm

DEFAULT_CONTEXT = 32_000
DEMO_CONTEXT = 1_000_000


class Providers:
    """Chooses the implementation for a route; owns the shared HTTP session."""

    def __init__(
        self, transport: Transport | None = None, *, connections: int = http1_pool.LIMIT_PER_HOST
    ) -> None:
        """``transport``: how OpenAI-compatible endpoints are reached (pooled HTTP/1.1 by default,
        ``connections`` at most per endpoint; tests pass an in-process one,
        ``transports.AsgiTransport``)."""
        self._fast = OpenAICompatible(transport or Http1Transport(max_connections=connections))
        self._demo = DemoModel()
        self._litellm: LiteLLM | None = None
        self._litellm_lock = threading.Lock()  # first token counts arrive from worker threads
        self._prices: dict[str, tuple[float, float]] = {}

    @property
    def litellm(self) -> LiteLLM:
        """Imported on first use (seconds of CPU): a route calling through it, or a prompt to
        such a route (or with images) counted against a quota limit — always from a worker
        thread or ``warm``."""
        if self._litellm is None:
            with self._litellm_lock:
                if self._litellm is None:
                    self._litellm = LiteLLM()
        return self._litellm

    @staticmethod
    def calls_through_litellm(route: ModelRoute) -> bool:
        return route.provider != "demo" and (route.provider != "openai" or route.via_litellm)

    def for_route(self, route: ModelRoute) -> Provider:
        if route.provider == "demo":
            return self._demo
        if not self.calls_through_litellm(route):
            return self._fast
        return self.litellm

    def usd_per_token(self, route: ModelRoute) -> tuple[float, float]:
        """Prices for every route, the fast path included (cached per alias)."""
        price = self._prices.get(route.alias)
        if price is None:  # the route's own prices, else the map's (``prices``)
            price = (0.0, 0.0) if route.provider == "demo" else prices.usd_per_token(route)
            self._prices[route.alias] = price
        return price

    def context_tokens(self, route: ModelRoute) -> int:
        """The route's context window: configured, else litellm's map, else a cautious 32k
        (the offline demo model has no limit worth the name)."""
        if route.context_tokens is not None:
            return route.context_tokens
        if route.provider == "demo":
            return DEMO_CONTEXT
        return prices.context_tokens(route) or DEFAULT_CONTEXT

    def cost_usd(self, route: ModelRoute, prompt_tokens: int, completion_tokens: int) -> float:
        per_in, per_out = self.usd_per_token(route)
        return prompt_tokens * per_in + completion_tokens * per_out

    def count_tokens(
        self, route: ModelRoute, messages: list[dict[str, Any]], extra: dict[str, Any]
    ) -> int:
        """Prompt tokens as the model counts them (``extra``: tools, functions, response_format
        …, counted as their JSON text). CPU work: call it from a worker thread. Routes on the
        OpenAI wire format are counted without litellm (``tokens``), unless a message carries
        parts only litellm sizes (images, files)."""
        if route.provider == "demo":
            return DemoModel.prompt_tokens(messages)
        if not self.calls_through_litellm(route):
            model = route.model.split("/", 1)[-1]
            counted = tokens.count_messages(model, messages)
            if counted is not None:
                if extra:
                    counted += tokens.count_text(model, orjson.dumps(extra).decode())
                return counted
        return self.litellm.count_tokens(route, messages, extra)

    @classmethod
    def preload(cls, routes: list[ModelRoute]) -> None:
        """In a server's parent process before it forks workers, who then share them: the
        price map, and litellm when a route calls through it."""
        prices.model_map()
        if any(cls.calls_through_litellm(route) for route in routes):
            load_litellm()

    def warm(self, routes: list[ModelRoute]) -> None:
        """Load prices, and litellm when a route calls through it, before the first request, so
        no request blocks the event loop on a ~6 s import. Blocking: run it in a thread."""
        for route in routes:
            self.usd_per_token(route)
        if any(self.calls_through_litellm(route) for route in routes):
            _ = self.litellm

    async def aclose(self) -> None:
        await self._fast.aclose()
        if self._litellm is not None:
            # litellm caches aiohttp sessions per event loop; close them with ours.
            await self._litellm.aclose()
