"""What one client cannot do to a worker: make it buffer a body of any size (the chat API's own
lane and every other route have the same bound), or get Starlette's plain-text 500 from a bug."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway import pipeline
from tests.fixtures.gateway import RunningGateway
from tests.support.mock_upstream import MockUpstream


@pytest.fixture
def gateway(gateway_factory: Callable[..., RunningGateway]) -> RunningGateway:
    return gateway_factory(server={"max_body_mb": 1})  # over a real socket: what uvicorn sends


def _post(gw: RunningGateway, key: str, body: bytes, **headers: str) -> httpx.Response:
    return gw.http.post(
        "/v1/chat/completions",
        content=body,
        headers={"authorization": f"Bearer {key}", "content-type": "application/json", **headers},
    )


def _chat_body(chars: int) -> str:
    """Japanese escaped as JSON \\uXXXX: six bytes a character, under the policy's 200,000
    characters either way (so a refusal is the byte bound's, not the text limit's)."""
    text = "議事録" * (chars // 3)
    return json.dumps({"model": "mock-model", "messages": [{"role": "user", "content": text}]})


def test_a_chat_body_over_the_limit_is_refused_and_nothing_is_sent(
    gateway: RunningGateway, upstream: MockUpstream
) -> None:
    key = gateway.make_key()
    big = _chat_body(190_000).encode()  # 1.14 MB
    assert len(big) > 1 << 20
    for refused in (
        _post(gateway, key, big),
        # A client that does not declare the length is cut off while it sends.
        gateway.http.post(
            "/v1/chat/completions",
            content=iter([big[i : i + 65536] for i in range(0, len(big), 65536)]),
            headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
        ),
    ):
        assert refused.status_code == 413
        error = refused.json()["error"]
        assert error["code"] == "prompt_too_large"
        assert "大きすぎます" in error["message_ja"]
        assert "too large" in error["message_en"]
    assert upstream.requests == []
    small = _post(gateway, key, _chat_body(150_000).encode())  # 0.9 MB: under the bound
    assert small.status_code == 200, small.text
    assert len(upstream.requests) == 1


def test_every_other_route_has_the_same_bound(gateway: RunningGateway) -> None:
    key = gateway.make_key()
    body = b'{"text": "' + b"a" * (1 << 20) + b'"}'
    refused = gateway.http.post(
        "/api/redaction/preview",
        content=body,
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
    )
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "prompt_too_large"


def test_a_bug_is_answered_as_json_in_both_languages(
    gateway: RunningGateway, upstream: MockUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(body: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("a bug in the gateway")

    monkeypatch.setattr(pipeline, "bounded", broken)
    key = gateway.make_key()
    answer = gateway.chat(key, "mock-model")
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == "internal_error"
    assert "内部エラー" in error["message_ja"]
    assert "internal error" in error["message_en"]
    assert upstream.requests == []
    [event] = gateway.wait_for_audit(1)
    assert (event.outcome, event.status_code, event.error_code) == ("error", 500, "internal_error")
