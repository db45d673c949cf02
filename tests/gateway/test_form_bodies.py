"""A form body where a route reads its raw body: a browser session's CSRF check reads a form for
its ``csrf_token`` field, which consumes the body, so such a route refuses the form first with a
clear 400 in Japanese and English (never the 500 of a body read twice), and sends nothing on."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.fixtures.chat import signed_in
from tests.fixtures.oidc import SsoGateway
from tests.support.mock_upstream import MockUpstream


@pytest.fixture
def gw(sqlite_chat_gateway_factory: Callable[..., SsoGateway]) -> SsoGateway:
    return sqlite_chat_gateway_factory(default_policy={"allowed_models": ["mock-*"]})


def _forms(token: str) -> dict[str, dict[str, object]]:
    """The same fields, with the right token, as each form encoding a browser can send."""
    fields = {"csrf_token": token, "model": "mock-model", "messages": "こんにちは"}
    return {
        "urlencoded": {"data": fields},
        "multipart": {"data": fields, "files": {"note": ("a.txt", b"x", "text/plain")}},
    }


def _assert_refused_form(answer: httpx.Response, expected: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert "フォーム形式" in error["message_ja"]
    assert f"Content-Type: {expected}" in error["message_en"]


def test_a_signed_in_browser_posting_a_form_to_the_chat_api_gets_a_clear_400(
    gw: SsoGateway, upstream: MockUpstream
) -> None:
    with signed_in(gw) as client:
        for encoding, body in _forms(gw.csrf(client)).items():
            answer = client.post("/v1/chat/completions", **body)  # type: ignore[arg-type]
            assert answer.status_code != 500, encoding
            _assert_refused_form(answer, "application/json")
        # The same session with JSON and the header is served: the refusal is the form's.
        served = client.post(
            "/v1/chat/completions",
            headers={"x-csrf-token": gw.csrf(client)},
            json={"model": "mock-model", "messages": [{"role": "user", "content": "こんにちは"}]},
        )
        assert served.status_code == 200, served.text
    assert len(upstream.requests) == 1


def test_an_api_key_caller_posting_a_form_gets_the_same_answer(
    gw: SsoGateway, upstream: MockUpstream
) -> None:
    key = gw.make_key()
    answer = httpx.post(
        f"{gw.v1}/chat/completions",
        data={"model": "mock-model"},
        headers={"authorization": f"Bearer {key}"},
    )
    _assert_refused_form(answer, "application/json")
    assert upstream.requests == []


def test_an_attached_file_sent_as_a_form_gets_a_clear_400(gw: SsoGateway) -> None:
    with signed_in(gw) as client:
        for encoding, body in _forms(gw.csrf(client)).items():
            answer = client.post(
                "/api/documents/extract",
                params={"name": "a.txt"},
                **body,  # type: ignore[arg-type]
            )
            assert answer.status_code != 500, encoding
            _assert_refused_form(answer, "application/octet-stream")
