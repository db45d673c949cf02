"""The setting ``provider_connections`` reaches the provider client of a running gateway: with
one connection to the mock upstream, a chat while another holds it waits its turn, and past
its route's timeout is a 504 in JSON; once the connection is free, chats pass again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest

from tests.fixtures.gateway import RunningGateway, mock_models
from tests.support.mock_upstream import MockUpstream

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_a_chat_over_the_connection_cap_waits_then_is_a_504(
    gateway_factory: Callable[..., RunningGateway], upstream: MockUpstream, upstream_url: str
) -> None:
    routes = [
        {"alias": "hold", "model": "openai/sleep-2", "api_base": upstream_url},
        {"alias": "quick", "model": "openai/mock-model", "api_base": upstream_url,
         "timeout_s": 0.5},
    ]  # fmt: skip
    gw = gateway_factory(
        socket_upstream=True, provider_connections=1, models=mock_models(upstream_url) + routes
    )
    key = gw.make_key()
    held: list[httpx.Response] = []
    holder = threading.Thread(target=lambda: held.append(gw.chat(key, "hold")))
    holder.start()
    deadline = time.monotonic() + 10
    while not upstream.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert upstream.requests  # the holder's request is at the upstream

    waited = gw.chat(key, "quick")  # the one connection is the holder's for 2 s
    assert waited.status_code == 504
    assert waited.json()["error"]["code"] == "upstream_timeout"
    assert len(upstream.requests) == 1  # it never left

    holder.join(10)
    assert held[0].status_code == 200
    assert gw.chat(key, "quick").status_code == 200
