"""What a request reserves: every token-carrying input counted, ``n`` multiplying, output
bounds checked (a 400, never a 500 nor a negative hold) and the larger one forwarded."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.kernel.errors import BadRequest
from gateway.kernel.settings import ModelRoute
from gateway.provider import Providers
from policies.ask import ask, bounded
from policies.model import Policy, Quotas
from policies.quota import Ledger
from policies.quota_memory import MemoryStore

pytestmark = pytest.mark.anyio

MESSAGES: list[dict[str, Any]] = [
    {"role": "user", "content": "見積書を作って"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c",
                "type": "function",
                "function": {"name": "quote", "arguments": '{"品目": "' + "部品" * 200 + '"}'},
            }
        ],
    },
]
TOOLS = [
    {
        "type": "function",
        "function": {"name": "quote", "description": "見積書を作る。" * 100, "parameters": {}},
    }
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_tools_functions_and_response_format_are_counted() -> None:
    route = ModelRoute(alias="m", model="openai/gpt-4o-mini")
    providers = Providers()
    bare = providers.count_tokens(route, MESSAGES[:1], {})
    with_calls = providers.count_tokens(route, MESSAGES, {})
    need = ask({"messages": MESSAGES, "tools": TOOLS, "response_format": {"type": "json_object"}})
    assert set(need.extra) == {"tools", "response_format"}
    everything = providers.count_tokens(route, need.messages, need.extra)
    assert bare < with_calls < everything
    assert everything - with_calls >= 100  # the tool description, 700 characters


@pytest.mark.parametrize(
    "bad",
    [
        {"max_completion_tokens": -1},
        {"max_tokens": 0},
        {"max_tokens": "100"},
        {"max_tokens": 1.5},
        {"max_tokens": True},
        {"n": 0},
        {"n": "2"},
    ],
)
def test_bad_bounds_are_a_400(bad: dict[str, Any]) -> None:
    with pytest.raises(BadRequest) as caught:
        ask({"messages": MESSAGES, **bad})
    assert next(iter(bad)) in caught.value.en


def test_the_larger_bound_is_reserved_and_forwarded_in_both_fields() -> None:
    body = {"messages": MESSAGES, "max_tokens": 50, "max_completion_tokens": 400, "n": 3}
    need = ask(body)
    assert (need.output, need.choices) == (400, 3)
    forwarded = bounded(body)
    assert (forwarded["max_tokens"], forwarded["max_completion_tokens"]) == (400, 400)
    assert bounded({"max_tokens": 50}) == {"max_tokens": 50}  # one bound: as sent


async def test_n_multiplies_the_hold() -> None:
    book = Ledger(MemoryStore())
    policy = Policy(quotas=Quotas.model_validate({"department": {"day": {"tokens": 10_000}}}))

    async def hold(choices: int) -> int:
        reservation = await book.reserve(
            policy=policy,
            department="営業部",
            user="a@example.jp",
            count_prompt=lambda: 100,
            max_tokens=400,
            usd_per_token=(0.0, 0.0),
            choices=choices,
        )
        return reservation.amounts[0]

    assert await hold(1) == 500
    assert await hold(3) == 1500
