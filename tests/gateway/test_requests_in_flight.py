"""The count of HTTP requests in flight (``AppState.requests``, ``gateway.http.app.CountRequests``)
decides whether a chat request's audit intent is written on the event loop (alone) or through
the spool thread: it rises while a request runs and falls back to zero however the request
ends (answered, refused, failed upstream, streamed); and a request sent alone has its intent
on disk while the provider holds it (issue 17's promise on that path)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.state import AppState
from tests.fixtures.gateway import RunningGateway
from tests.support.mock_upstream import MockUpstream

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _settled(state: AppState, count: int) -> bool:
    """The count reaches ``count`` (the server's task ends just after the client's read)."""
    deadline = time.monotonic() + 5
    while state.requests != count and time.monotonic() < deadline:
        time.sleep(0.005)
    return state.requests == count


def _live_intents(spool: Path) -> list[dict[str, Any]]:
    live: dict[str, dict[str, Any]] = {}
    for path in spool.glob("audit-*.spool"):
        for line in path.read_bytes().rstrip(b"\0").splitlines():  # zeros laid ahead
            entry = json.loads(line)
            if "v" in entry:
                live[entry["k"]] = entry["v"]
            else:
                live.pop(entry["k"], None)
    return list(live.values())


def test_the_count_returns_to_zero_and_a_lone_request_is_spooled_before_it_is_sent(
    gateway_factory: Callable[..., RunningGateway], upstream: MockUpstream, tmp_path: Path
) -> None:
    gw = gateway_factory()
    assert gw.server is not None
    state: AppState = gw.server.config.app.state.kakehashi
    key = gw.make_key()
    assert gw.chat(key, "mock-model").status_code == 200
    assert gw.chat(key, "mock-model", stream=True).status_code == 200
    assert gw.chat(key, "no-such-model").status_code == 404  # refused before sending
    assert gw.chat(key, "slow").status_code == 504  # the provider timed out
    assert _settled(state, 0)

    held: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: held.append(gw.chat(key, "slow")))
    thread.start()
    deadline = time.monotonic() + 5
    while len(upstream.requests) < 4 and time.monotonic() < deadline:
        time.sleep(0.005)
    # The provider has the request: its intent is already on disk, written while alone.
    assert _settled(state, 1)
    [intent] = _live_intents(tmp_path / "spool")
    assert (intent["model"], intent["outcome"], intent["error_code"]) == (
        "slow",
        "error",
        "interrupted",
    )
    thread.join(10)
    assert held[0].status_code == 504
    assert _settled(state, 0)
