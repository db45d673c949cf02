"""Prices and context windows come from litellm's own map without importing litellm (issue 18):
the same figures as ``litellm.model_cost`` for every model it knows, and a gateway whose routes
speak the OpenAI wire format starts and prices requests without loading litellm at all."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

from gateway.kernel.settings import ModelRoute
from gateway.provider import Providers, prices


def _litellm_cost_map() -> dict[str, Any]:
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    cost: dict[str, Any] = litellm.model_cost
    return cost


def test_every_model_priced_and_sized_as_litellm_does() -> None:
    cost = _litellm_cost_map()
    assert len(cost) > 1000
    for name, info in cost.items():
        if name == "sample_spec":  # the map's documentation of its fields, not a model
            continue
        # Routes name models both ways: with the provider prefix and bare.
        for model in (name, f"openai/{name}"):
            route = ModelRoute(alias="a", model=model)
            entry = cost.get(route.model) or cost.get(route.model.split("/", 1)[-1], {})
            expected = (
                float(entry.get("input_cost_per_token", 0.0)),
                float(entry.get("output_cost_per_token", 0.0)),
            )
            assert prices.usd_per_token(route) == expected, model
            window = entry.get("max_input_tokens") or entry.get("max_tokens")
            assert prices.context_tokens(route) == (int(window) if window else None), model
        assert isinstance(info, dict)


def test_unknown_model_and_overrides() -> None:
    route = ModelRoute(alias="x", model="openai/no-such-model-anywhere")
    assert prices.usd_per_token(route) == (0.0, 0.0)
    assert prices.context_tokens(route) is None
    assert Providers().context_tokens(route) == 32_000
    priced = ModelRoute(alias="y", model="gpt-4o", input_usd_per_mtok=2.0)
    per_in, per_out = prices.usd_per_token(priced)
    assert per_in == pytest.approx(2e-6)
    assert per_out == _litellm_cost_map()["gpt-4o"]["output_cost_per_token"]


def test_openai_routes_never_import_litellm() -> None:
    script = textwrap.dedent(
        """
        import sys
        from gateway.kernel.settings import ModelRoute
        from gateway.provider import Providers

        fast = ModelRoute(alias="m", model="openai/gpt-4o-mini", api_base="http://127.0.0.1:9")
        providers = Providers()
        providers.warm([fast])
        assert providers.usd_per_token(fast)[0] > 0
        assert providers.context_tokens(fast) > 32_000
        assert providers.for_route(fast) is not None
        assert providers.count_tokens(fast, [{"role": "user", "content": "見積"}], {"n": 1}) > 3
        print("litellm" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    ).stdout.split()
    assert out == ["False"]


def test_a_route_through_litellm_loads_it_at_warm_up() -> None:
    providers = Providers()
    claude = ModelRoute(alias="c", model="anthropic/claude-3-5-haiku-latest")
    providers.warm([claude])
    assert providers._litellm is not None  # before the first request, not during it
    assert providers.for_route(claude) is providers._litellm
