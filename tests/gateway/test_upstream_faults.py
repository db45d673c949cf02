"""Provider faults on a real socket (the mock upstream misbehaving on purpose): each gives the
user a clear OpenAI-shaped error (502/504 JSON before the first byte; an in-band error chunk
then ``[DONE]`` once a stream has begun), refunds the quota hold (nothing charged for nothing
produced), and leaves exactly one audit event. A prompt that is not valid Unicode is the
caller's fault: 400, and nothing is sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.gateway import RunningGateway, mock_models
from tests.support.mock_upstream import MockUpstream

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

FAULTS = ["garbage-json", "bad-sse", "bad-sse-first", "reset-stream", "slow-stream"]


@pytest.fixture
def gw(gateway_factory: Callable[..., RunningGateway], upstream_url: str) -> RunningGateway:
    faults = [{"alias": f, "model": f"openai/{f}", "api_base": upstream_url} for f in FAULTS]
    return gateway_factory(models=mock_models(upstream_url) + faults)


def _events(stream: httpx.Response) -> list[Any]:
    lines = [ln.removeprefix("data: ") for ln in stream.text.splitlines() if ln.startswith("data:")]
    return [ln if ln == "[DONE]" else json.loads(ln) for ln in lines]


@pytest.mark.parametrize(("model", "stream"), [("garbage-json", False), ("bad-sse-first", True)])
def test_a_reply_that_is_not_json_is_a_clear_502(
    gw: RunningGateway, upstream: MockUpstream, model: str, stream: bool
) -> None:
    reply = gw.chat(gw.make_key(), model, stream=stream)
    assert reply.status_code == 502
    assert reply.headers["content-type"].startswith("application/json")
    error = reply.json()["error"]
    assert error["code"] == "upstream_error"
    assert "プロバイダ" in error["message_ja"]
    assert "not valid" in error["message_en"]
    [event] = gw.audit_events("chat.completion")
    assert (event.outcome, event.status_code, event.error_code) == ("error", 502, "upstream_error")
    assert event.prompt_tokens + event.completion_tokens == 0  # refunded
    assert len(upstream.requests) == 1


@pytest.mark.parametrize("model", ["bad-sse", "reset-stream"])
def test_a_stream_that_breaks_after_it_began_ends_with_an_error_then_done(
    gw: RunningGateway, model: str
) -> None:
    reply = gw.chat(gw.make_key(), model, stream=True)
    assert reply.status_code == 200  # the headers left with the first chunk
    events = _events(reply)
    assert events[0]["choices"][0]["delta"]["content"] == "ok"
    assert events[-1] == "[DONE]"
    error = events[-2]["error"]
    assert error["code"] == "upstream_error"
    assert error["message_ja"]
    assert error["message_en"]
    [event] = gw.wait_for_audit(1)
    assert (event.outcome, event.status_code) == ("error", 502)
    # Output was produced before the break: charged as estimated (the provider bills it).
    assert event.detail.get("usage_estimated") is True


def test_a_slow_stream_is_relayed_whole(gw: RunningGateway) -> None:
    reply = gw.chat(gw.make_key(), "slow-stream", stream=True)
    events = _events(reply)
    assert [e["choices"][0]["delta"]["content"] for e in events[:-1]] == ["ok"] * 4
    assert events[-1] == "[DONE]"
    [event] = gw.wait_for_audit(1)
    assert event.outcome == "ok"


@pytest.mark.parametrize("stream", [False, True])
def test_a_lone_surrogate_in_the_prompt_is_a_400_and_nothing_is_sent(
    gw: RunningGateway, upstream: MockUpstream, stream: bool
) -> None:
    # JSON may escape a lone surrogate; it is no character, so no text can carry it onward.
    raw = '{"model": "mock-model", "stream": %s, "messages": [{"role": "user", "content": "山田\\ud800"}]}'
    reply = httpx.post(
        f"{gw.v1}/chat/completions",
        content=(raw % str(stream).lower()).encode(),
        headers={"authorization": f"Bearer {gw.make_key()}", "content-type": "application/json"},
        timeout=30,
    )
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_request"
    assert "Unicode" in error["message_en"]
    assert upstream.requests == []
