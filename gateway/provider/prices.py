"""Model prices and context windows from litellm's bundled map, read without importing litellm.

``import litellm`` costs seconds of CPU and ~150 MB per process; a deployment whose routes all
speak the OpenAI wire format needs only two numbers per model from it. They come from the very
file litellm itself loads with ``LITELLM_LOCAL_MODEL_COST_MAP`` (its package data), found with
``importlib.util.find_spec`` (which locates the package without running it), so the figures are
litellm's own (tests/gateway/test_prices.py compares them with ``litellm.model_cost``).
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import orjson

from gateway.kernel.settings import ModelRoute

MAP_FILE = "model_prices_and_context_window_backup.json"


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What the gateway reads of one model in the map (absent fields are 0)."""

    input_usd_per_token: float
    output_usd_per_token: float
    max_input_tokens: int
    max_tokens: int


def map_path() -> Path:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("litellm is not installed: its price map is missing")
    return Path(next(iter(spec.submodule_search_locations))) / MAP_FILE


def _number(entry: dict[str, object], field: str) -> float:
    value = entry.get(field)
    return float(value) if isinstance(value, int | float) else 0.0


@functools.cache
def model_map() -> dict[str, ModelFacts]:
    """The map, parsed once per process (0.1 s; ``kakehashi serve`` does it before forking its
    workers, who share it). Only the four fields used are kept: ~4,000 small records."""
    raw = orjson.loads(map_path().read_bytes())
    return {
        name: ModelFacts(
            _number(entry, "input_cost_per_token"),
            _number(entry, "output_cost_per_token"),
            int(_number(entry, "max_input_tokens")),
            int(_number(entry, "max_tokens")),
        )
        for name, entry in raw.items()
        if isinstance(entry, dict)
    }


def facts(route: ModelRoute) -> ModelFacts | None:
    """The route's model as named (``openai/gpt-4o``), else its bare name (``gpt-4o``)."""
    table = model_map()
    return table.get(route.model) or table.get(route.model.split("/", 1)[-1])


def usd_per_token(route: ModelRoute) -> tuple[float, float]:
    """(prompt, completion) USD per token: the route's overrides, else the map, else 0."""
    found = facts(route)
    inp, out = route.input_usd_per_mtok, route.output_usd_per_mtok
    per_in = inp / 1e6 if inp is not None else (found.input_usd_per_token if found else 0.0)
    per_out = out / 1e6 if out is not None else (found.output_usd_per_token if found else 0.0)
    return per_in, per_out


def context_tokens(route: ModelRoute) -> int | None:
    """The model's input window from the map, if it knows the model."""
    found = facts(route)
    if found is None:
        return None
    return found.max_input_tokens or found.max_tokens or None
