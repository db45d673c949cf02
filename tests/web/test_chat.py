"""The staff chat page and its streaming endpoint, through a real gateway signed in by the
development IdP: sign-in and CSRF are required, only redacted text reaches the upstream, the
answer streams back restored, and refusals come back as Japanese messages."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from tests.fixtures.chat import SATO, ask, signed_in, streamed_text
from tests.fixtures.oidc import SsoGateway
from tests.fixtures.policies import PolicyFolder
from tests.support.mock_upstream import MockUpstream

PROMPT = (
    "株式会社ミライ精工の山田太郎様 (電話 03-1234-5678) へお見積りのお礼メールを書いてください。"
)
SECRETS = ("山田太郎", "03-1234-5678")


def test_pages_and_the_stream_need_a_sign_in(chat_gateway: SsoGateway) -> None:
    with httpx.Client(base_url=chat_gateway.base_url, headers={"accept": "text/html"}) as anon:
        for path in ("/chat", "/history"):
            page = anon.get(path)
            assert page.status_code == 303
            assert page.headers["location"] == f"/login?next=%2F{path[1:]}"
        refused = anon.post("/web/chat", json={}, headers={"accept": "text/event-stream"})
    assert refused.status_code == 401
    assert "ログインが必要です" in refused.json()["error"]["message_ja"]


def test_the_page_offers_only_what_the_policy_allows(chat_gateway: SsoGateway) -> None:
    with signed_in(chat_gateway) as client:
        page = client.get("/chat")
        assert page.status_code == 200
        assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self'
        assert "<script>" not in page.text
        assert '<script src="/static/chat.js" defer></script>' in page.text
        models = re.findall(r'<option value="([^"]+)"', page.text.split('id="chat-use-case"')[0])
        assert models == ["mock-model", "mock-litellm"]
        assert '<option value="email_draft"' in page.text
        assert "メール下書き</option>" in page.text
        assert "/ e-mail draft" not in page.text
        assert '<a href="/chat" aria-current="page">チャット</a>' in page.text
        assert '<a href="/history">履歴</a>' in page.text
        assert 'id="home-chat" href="/chat"' in client.get("/").text
        assert client.get("/static/chat.js").status_code == 200


def test_the_stream_refuses_a_request_without_the_csrf_token(
    chat_gateway: SsoGateway, upstream: MockUpstream
) -> None:
    with signed_in(chat_gateway) as client:
        turn = [{"role": "user", "content": PROMPT}]
        for token in ("", "0" * 64):
            refused = ask(chat_gateway, client, turn, csrf=token)
            assert refused.status_code == 403
            assert refused.json()["error"]["code"] == "csrf_failed"
        assert upstream.requests == []
        assert chat_gateway.last_event("auth.forbidden").user_email == SATO


def test_only_placeholders_leave_and_the_answer_streams_back_restored(
    chat_gateway: SsoGateway, upstream: MockUpstream
) -> None:
    with signed_in(chat_gateway) as client:
        first = ask(chat_gateway, client, [{"role": "user", "content": PROMPT}])
        assert first.status_code == 200, first.text
        answer = streamed_text(first)
        assert answer == "echo: " + PROMPT
        [sent] = upstream.requests
        outgoing = sent.body["messages"][0]["content"]
        assert sent.body["stream"] is True
        assert not [s for s in SECRETS if s in upstream.texts_sent()]
        assert outgoing != PROMPT

        # The second turn carries the first; the same conversation keeps the same placeholders.
        history = [
            {"role": "user", "content": PROMPT},
            {"role": "assistant", "content": answer},
            {"role": "user", "content": "山田太郎様のお名前は文末にも入れてください。"},
        ]
        second = ask(chat_gateway, client, history)
        assert second.status_code == 200
        assert streamed_text(second) == "echo: 山田太郎様のお名前は文末にも入れてください。"
        again = upstream.requests[1].body["messages"]
        assert again[0]["content"] == outgoing
        assert not [s for s in SECRETS if s in upstream.texts_sent()]

        events = chat_gateway.wait_for_audit(2)
        request_id = first.headers["x-kakehashi-request-id"]
        [event] = [e for e in events if e.request_id == request_id]
        assert (event.user_email, event.use_case, event.outcome) == (SATO, "email_draft", "ok")
        assert event.redactions.get("PERSON", 0) >= 1
        assert event.redactions.get("PHONE") == 1


def test_a_bad_request_is_refused_in_japanese_and_nothing_is_sent(
    chat_gateway: SsoGateway, upstream: MockUpstream
) -> None:
    with signed_in(chat_gateway) as client:
        not_allowed = ask(
            chat_gateway, client, [{"role": "user", "content": "こんにちは"}], use_case="x"
        )
        assert not_allowed.status_code == 403
        assert (
            "用途 'x' は 営業部 のポリシーで許可されていません"
            in not_allowed.json()["error"]["message_ja"]
        )
        shapeless = client.post(
            "/web/chat",
            headers={"x-csrf-token": chat_gateway.csrf(client)},
            json={"model": "mock-model", "conversation_id": "conv-0001", "messages": []},
        )
        assert shapeless.status_code == 400
        assert "リクエストの形式が正しくありません" in shapeless.json()["error"]["message_ja"]
        long = [{"role": "user", "content": "あ" * 90_000}] * 3
        too_long = ask(chat_gateway, client, long)
        assert too_long.status_code == 400
        assert "会話が長すぎます" in too_long.json()["error"]["message_ja"]
        assert upstream.requests == []


def test_blocked_content_and_an_exhausted_quota_come_back_in_japanese(
    chat_gateway_factory: Callable[..., SsoGateway],
    policy_folder: PolicyFolder,
    upstream: MockUpstream,
) -> None:
    policy_folder.write(
        "営業部.yaml",
        """\
        redaction: {block: [PHONE]}
        quotas: {per_user: {day: {tokens: 100000}}}
        """,
    )
    gw = chat_gateway_factory(policies_dir=str(policy_folder.path), policies_reload_s=0)
    with signed_in(gw) as client:
        blocked = ask(gw, client, [{"role": "user", "content": PROMPT}])
        assert blocked.status_code == 400
        assert blocked.json()["error"]["code"] == "content_blocked"
        assert "電話番号" in blocked.json()["error"]["message_ja"]

        policy_folder.write("営業部.yaml", "quotas: {per_user: {day: {tokens: 10}}}\n")
        over = ask(gw, client, [{"role": "user", "content": "議事録を要約してください。"}])
        assert over.status_code == 429
        assert over.json()["error"]["code"] == "quota_exceeded"
        assert re.search(r"[ぁ-んァ-ン一-龥]", over.json()["error"]["message_ja"])
        assert upstream.requests == []
