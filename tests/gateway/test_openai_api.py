"""The OpenAI-compatible API, driven by the real OpenAI Python SDK against the mock upstream.

In process: the gateway app serves through ``gw.http`` (the SDK's HTTP client too) and reaches
the mock upstream without a socket; tests/e2e keep the real-socket runs."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from tests.fixtures.gateway import RunningGateway
from tests.support.mock_upstream import MockUpstream


@pytest.fixture
def gateway(gateway_factory: Callable[..., RunningGateway]) -> RunningGateway:
    return gateway_factory(in_process=True)


def client(gw: RunningGateway, key: str) -> openai.OpenAI:
    return gw.openai(key, timeout=10)


def test_non_streaming_completion_reaches_upstream_and_is_audited(
    gateway: RunningGateway, upstream: MockUpstream
) -> None:
    key = gateway.make_key()
    reply = client(gateway, key).chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "議事録を要約してください"}]
    )
    assert reply.choices[0].message.content == "echo: 議事録を要約してください"
    assert reply.model == "mock-model"
    assert reply.usage is not None
    assert reply.usage.total_tokens > 0
    assert len(upstream.requests) == 1
    sent = upstream.requests[0].body
    assert sent["model"] == "mock-model"
    assert sent["messages"] == [{"role": "user", "content": "議事録を要約してください"}]
    [event] = gateway.audit_events("chat.completion")
    assert (event.outcome, event.status_code, event.user_email, event.department) == (
        "ok",
        200,
        "sato@example.co.jp",
        "営業部",
    )
    assert event.model == "mock-model"
    assert event.prompt_tokens == reply.usage.prompt_tokens
    assert event.completion_tokens == reply.usage.completion_tokens
    assert event.latency_ms >= 0


def test_streaming_completion_with_usage(gateway: RunningGateway, upstream: MockUpstream) -> None:
    key = gateway.make_key()
    stream = client(gateway, key).chat.completions.create(
        model="mock-model",
        messages=[{"role": "user", "content": "営業メールの下書きをお願いします"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage = "", None
    for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
        if chunk.usage:
            usage = chunk.usage
    assert text == "echo: 営業メールの下書きをお願いします"
    assert usage is not None
    assert usage.completion_tokens > 0
    assert upstream.requests[0].body["stream"] is True
    [event] = gateway.wait_for_audit(1)
    assert event.outcome == "ok"
    assert event.completion_tokens == usage.completion_tokens


def test_streaming_is_plain_sse_ending_with_done(gateway: RunningGateway) -> None:
    key = gateway.make_key()
    with gateway.http.stream(
        "POST",
        "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={
            "model": "mock-model",
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read().decode()
    events = [e for e in body.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"


@pytest.mark.parametrize("stream", [False, True])
def test_every_response_names_its_audit_event(gateway: RunningGateway, stream: bool) -> None:
    # Feedback refers to an answer by this id, so it must be the audited request's id.
    key = gateway.make_key()
    body = {
        "model": "mock-model",
        "stream": stream,
        "messages": [{"role": "user", "content": "hi"}],
    }
    with gateway.http.stream(
        "POST",
        "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json=body,
    ) as response:
        response.read()
        request_id = response.headers["x-kakehashi-request-id"]
    [event] = gateway.wait_for_audit(1)
    assert event.request_id == request_id


def test_litellm_route_works_too(
    gateway: RunningGateway, upstream: MockUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAKEHASHI_TEST_UPSTREAM_KEY", "sk-upstream-test")
    key = gateway.make_key()
    # The first litellm call imports it (~6 s, more on a busy machine).
    c = client(gateway, key).with_options(timeout=90)
    reply = c.chat.completions.create(
        model="mock-litellm", messages=[{"role": "user", "content": "こんにちは"}]
    )
    assert reply.choices[0].message.content == "echo: こんにちは"
    assert reply.model == "mock-litellm"
    assert upstream.requests[-1].headers["authorization"] == "Bearer sk-upstream-test"
    text = "".join(
        (ch.choices[0].delta.content or "") if ch.choices else ""
        for ch in c.chat.completions.create(
            model="mock-litellm", messages=[{"role": "user", "content": "ストリーム"}], stream=True
        )
    )
    assert text == "echo: ストリーム"


def test_invalid_key_gets_401_in_openai_format_and_an_audit_event(
    gateway: RunningGateway, upstream: MockUpstream
) -> None:
    with pytest.raises(openai.AuthenticationError) as info:
        client(gateway, "kk_not-a-real-key").chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.status_code == 401
    body = info.value.body
    assert isinstance(body, dict)
    assert body["code"] == "invalid_api_key"
    assert "API キー" in body["message"]
    assert upstream.requests == []
    assert [e.outcome for e in gateway.audit_events("auth.failed")] == ["refused"]


def test_missing_key_gets_401(gateway: RunningGateway) -> None:
    response = gateway.http.get("/v1/models")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


def test_unknown_model_gets_404_with_a_clear_message(
    gateway: RunningGateway, upstream: MockUpstream
) -> None:
    key = gateway.make_key()
    with pytest.raises(openai.NotFoundError) as info:
        client(gateway, key).chat.completions.create(
            model="gpt-9", messages=[{"role": "user", "content": "x"}]
        )
    assert "gpt-9" in str(info.value)
    assert "/v1/models" in str(info.value)
    assert upstream.requests == []
    [event] = gateway.audit_events("chat.completion")
    assert (event.outcome, event.status_code, event.error_code) == (
        "refused",
        404,
        "model_not_found",
    )


def test_upstream_500_gets_502_and_an_audit_row(gateway: RunningGateway) -> None:
    key = gateway.make_key()
    with pytest.raises(openai.APIStatusError) as info:
        client(gateway, key).chat.completions.create(
            model="broken", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.status_code == 502
    assert "HTTP 500" in str(info.value)
    [event] = gateway.audit_events("chat.completion")
    assert (event.outcome, event.status_code, event.error_code) == ("error", 502, "upstream_error")


def test_upstream_500_while_streaming_gets_502_before_any_byte(gateway: RunningGateway) -> None:
    key = gateway.make_key()
    response = gateway.http.post(
        "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "broken", "stream": True, "messages": [{"role": "user", "content": "x"}]},
    )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_error"


def test_upstream_timeout_gets_504_and_an_audit_row(gateway: RunningGateway) -> None:
    key = gateway.make_key()
    with pytest.raises(openai.APIStatusError) as info:
        client(gateway, key).chat.completions.create(
            model="slow", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.status_code == 504
    assert "0.5 s" in str(info.value)
    [event] = gateway.audit_events("chat.completion")
    assert (event.status_code, event.error_code) == (504, "upstream_timeout")


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"model": "mock-model", "messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "mock-model", "messages": [{"role": "robot", "content": "x"}]}, "role"),
    ],
)
def test_bad_requests_get_400_in_openai_format(
    gateway: RunningGateway, upstream: MockUpstream, payload: dict[str, object], fragment: str
) -> None:
    key = gateway.make_key()
    response = gateway.http.post(
        "/v1/chat/completions", json=payload, headers={"authorization": f"Bearer {key}"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert fragment in error["message"]
    assert upstream.requests == []


def test_malformed_json_gets_400(gateway: RunningGateway) -> None:
    key = gateway.make_key()
    response = gateway.http.post(
        "/v1/chat/completions",
        content=b"{not json",
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert "リクエスト" in response.json()["error"]["message"]


def test_models_lists_only_what_the_policy_allows(
    gateway_factory: Callable[..., RunningGateway],
) -> None:
    gw = gateway_factory(default_policy={"allowed_models": ["mock-*"]}, in_process=True)
    key = gw.make_key()
    ids = [m.id for m in client(gw, key).models.list()]
    assert ids == ["mock-model", "mock-litellm"]
    with pytest.raises(openai.PermissionDeniedError) as info:
        client(gw, key).chat.completions.create(
            model="secret-model", messages=[{"role": "user", "content": "x"}]
        )
    assert "許可されていません" in str(info.value)
