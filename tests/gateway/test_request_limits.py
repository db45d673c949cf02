"""What one client cannot do to a worker: make it buffer a body of any size (the chat API's own
lane and every other route have the same bound), or get Starlette's plain-text 500 from a bug."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

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


def _pieces(body: bytes) -> Iterator[bytes]:
    """``body`` sent without a Content-Length (chunked), as a client that does not declare it."""
    return iter([body[i : i + 65536] for i in range(0, len(body), 65536)])


def test_every_other_route_has_the_same_bound(gateway: RunningGateway) -> None:
    key = gateway.make_key()
    body = b'{"text": "' + b"a" * (1 << 20) + b'"}'
    for content in (body, _pieces(body)):
        refused = gateway.http.post(
            "/api/redaction/preview",
            content=content,
            headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
        )
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "prompt_too_large"


@pytest.fixture
def streamed(gateway: RunningGateway) -> list[str]:
    """A streaming route under the body limit that never reads its body (the case of an SSE
    route whose input is in its URL): Starlette's streaming response listens for the client's
    disconnect through ``receive`` once its response started. The list: the requests it served."""
    served: list[str] = []

    async def countdown(request: Request) -> StreamingResponse:
        served.append(request.url.path)

        async def pieces() -> AsyncIterator[bytes]:
            for n in (3, 2, 1):
                await asyncio.sleep(0.05)  # the listener's receive comes first
                yield f"data: {n}\n\n".encode()

        return StreamingResponse(pieces(), media_type="text/event-stream")

    assert gateway.app is not None
    gateway.app.router.routes.append(Route("/api/countdown", countdown, methods=["POST"]))
    return served


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_declared_length_over_the_bound_is_refused_before_a_stream_starts(
    gateway: RunningGateway, streamed: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    refused = gateway.http.post("/api/countdown", content=b"x" * ((1 << 20) + 1))
    assert refused.status_code == 413, refused.text
    error = refused.json()["error"]
    assert error["code"] == "prompt_too_large"
    assert "大きすぎます" in error["message_ja"]
    assert "too large" in error["message_en"]
    assert streamed == []  # answered before the route, so its stream never started
    # A browser gets the error page, as for any refusal (the app's handler renders both).
    page = gateway.http.post(
        "/web/chat", content=b"x" * ((1 << 20) + 1), headers={"accept": "text/html"}
    )
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert "大きすぎます" in page.text
    assert _errors(caplog) == []
    served = gateway.http.post("/api/countdown", content=b"x" * 1000)
    assert (served.status_code, served.text) == (200, "data: 3\n\ndata: 2\n\ndata: 1\n\n")


def test_a_body_a_stream_did_not_read_passes_through_its_disconnect_listener(
    gateway: RunningGateway, streamed: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """No Content-Length: the bound is counted while the body arrives. The route answered
    without reading it, so the 413 can no longer come: the listener discards what it reads."""
    served = gateway.http.post("/api/countdown", content=_pieces(b"x" * (3 << 20)))
    assert (served.status_code, served.text) == (200, "data: 3\n\ndata: 2\n\ndata: 1\n\n")
    assert streamed == ["/api/countdown"]
    assert _errors(caplog) == []


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
