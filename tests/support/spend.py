"""Spending in tests: the mock model with a price, and one chat request through the OpenAI
route with an API key (the budget tests' way of using up a budget)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.gateway import RunningGateway, mock_models


def priced(upstream_url: str) -> list[dict[str, Any]]:
    """The mock model at 0.15 円 per prompt token and 0.30 円 per completion token."""
    models = mock_models(upstream_url)
    models[0] |= {"input_usd_per_mtok": 1000, "output_usd_per_mtok": 2000}
    return models


def ask(gw: RunningGateway, key: str, model: str = "mock-model") -> httpx.Response:
    return httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": "見積書の下書き"}]},
        timeout=15,
    )
