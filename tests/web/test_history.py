"""``/history``: the signed-in user's own requests from the audit log, never anyone else's and
never the prompt text."""

from __future__ import annotations

import re

from tests.fixtures.chat import SATO, ask, signed_in
from tests.fixtures.oidc import SsoGateway

TAKAHASHI = "takahashi@demo.kakehashi.example"


def _rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-request-id="([^"]*)" data-outcome="([^"]+)">', html)


def test_history_lists_only_the_users_own_requests(chat_gateway: SsoGateway) -> None:
    with signed_in(chat_gateway, SATO) as sato, signed_in(chat_gateway, TAKAHASHI) as other:
        with signed_in(chat_gateway, SATO) as empty_check:
            first = empty_check.get("/history")
            assert first.status_code == 200
            assert 'id="history-empty"' in first.text
        turn = [{"role": "user", "content": "山田太郎様へのお礼メールを書いてください。"}]
        mine = ask(chat_gateway, sato, turn).headers["x-kakehashi-request-id"]
        refused = ask(chat_gateway, sato, turn, use_case="nope")
        assert refused.status_code == 403
        theirs = ask(chat_gateway, other, turn, conversation="conv-0002")
        theirs_id = theirs.headers["x-kakehashi-request-id"]
        chat_gateway.wait_for_audit(3)

        page = sato.get("/history")
        assert page.status_code == 200
        rows = _rows(page.text)
        assert [outcome for _, outcome in rows] == ["refused", "ok"]  # newest first
        assert rows[1][0] == mine
        assert theirs_id not in page.text
        assert "山田太郎" not in page.text  # no prompt text, original or redacted
        assert "お礼メール" not in page.text
        table = page.text.split('id="history-table"')[1]
        assert "メール下書き" in table
        assert "成功" in table
        assert "拒否 <small>(許可されていない用途)</small>" in table
        assert "人名 1" in table
        assert "mock-model" in table
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", table)

        theirs_page = other.get("/history")
        assert [rid for rid, _ in _rows(theirs_page.text)] == [theirs_id]
