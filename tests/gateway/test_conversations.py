"""Saved conversations: the owner lists, searches, reopens (names restored), renames and deletes
them; they are sealed in the database; nobody else reaches them (IT included); a policy turns
storage off; the preview shows the placeholders the conversation will really send."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gateway.kernel.db import make_sync_engine
from tests.fixtures.chat import ask, signed_in, streamed_text
from tests.fixtures.oidc import SsoGateway
from tests.fixtures.policies import DEFAULTS, PolicyFolder
from tests.support.mock_upstream import MockUpstream

TANAKA = "tanaka@demo.kakehashi.example"  # IT admin
FIRST = "株式会社ミライ精工の山田太郎様へのお礼メールを書いてください。電話は 03-1234-5678 です。"
SECOND = "山田太郎様の電話番号 03-1234-5678 も本文に入れてください。"
CONV = "conv-saved-0001"


@pytest.fixture
def gw(sqlite_chat_gateway_factory: Callable[..., SsoGateway]) -> SsoGateway:
    return sqlite_chat_gateway_factory(default_policy={"allowed_models": ["mock-*"]})


def _saved(client: httpx.Client, **params: str) -> list[dict[str, Any]]:
    """The list once the last turn is saved (after the stream's last byte)."""
    deadline = time.monotonic() + 5
    while True:
        found: list[dict[str, Any]] = client.get("/api/conversations", params=params).json()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _two_turns(gw: SsoGateway, client: httpx.Client) -> str:
    first = ask(gw, client, [{"role": "user", "content": FIRST}], conversation=CONV)
    answer = streamed_text(first)
    turns = [
        {"role": "user", "content": FIRST},
        {"role": "assistant", "content": answer},
        {"role": "user", "content": SECOND},
    ]
    streamed_text(ask(gw, client, turns, conversation=CONV))
    return answer


def _rows(gw: SsoGateway) -> list[Any]:
    engine = make_sync_engine(gw.settings.database.url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT * FROM conversations")).all())
    finally:
        engine.dispose()


def _preview(gw: SsoGateway, client: httpx.Client, **body: str) -> Any:
    """The preview staff see before sending (``/api/redaction/preview``)."""
    headers = {"x-csrf-token": gw.csrf(client)}
    return client.post("/api/redaction/preview", json=body, headers=headers).json()


def test_the_owner_reopens_renames_searches_and_deletes(gw: SsoGateway) -> None:
    with signed_in(gw) as client:
        answer = _two_turns(gw, client)
        time.sleep(0.3)  # the second turn is saved after its stream ended
        listed = _saved(client)
        assert [(c["id"], c["title"]) for c in listed] == [(CONV, FIRST[:39] + "…")]
        opened = client.get(f"/api/conversations/{CONV}").json()
        assert [m["role"] for m in opened["messages"]] == ["user", "assistant", "user", "assistant"]
        assert opened["messages"][0]["content"] == FIRST  # names restored
        assert opened["messages"][1]["content"] == answer
        assert opened["use_case"] == "email_draft"

        headers = {"x-csrf-token": gw.csrf(client)}
        renamed = client.patch(
            f"/api/conversations/{CONV}", json={"title": "見積りのお礼"}, headers=headers
        )
        assert renamed.status_code == 204
        assert [c["title"] for c in _saved(client, q="お礼")] == ["見積りのお礼"]
        assert client.get("/api/conversations", params={"q": "議事録"}).json() == []

        assert client.delete(f"/api/conversations/{CONV}", headers=headers).status_code == 204
        assert client.get(f"/api/conversations/{CONV}").status_code == 404
        assert client.get("/api/conversations").json() == []


def test_conversations_are_sealed_and_nobody_else_reaches_them(gw: SsoGateway) -> None:
    with signed_in(gw) as client:
        _two_turns(gw, client)
        assert _saved(client)
    (row,) = _rows(gw)
    stored = bytes(row.title) + bytes(row.body)
    for secret in ("山田", "ミライ", "03-1234-5678", "お礼メール", "人物"):
        assert secret.encode() not in stored
    with signed_in(gw, TANAKA) as admin:
        assert admin.get("/api/conversations").json() == []
        assert admin.get(f"/api/conversations/{CONV}").status_code == 404
        headers = {"x-csrf-token": gw.csrf(admin)}
        assert admin.delete(f"/api/conversations/{CONV}", headers=headers).status_code == 404
        assert (
            admin.patch(
                f"/api/conversations/{CONV}", json={"title": "x"}, headers=headers
            ).status_code
            == 404
        )
        # Sending on someone else's conversation id neither reads nor overwrites it.
        streamed_text(
            ask(gw, admin, [{"role": "user", "content": "こんにちは"}], conversation=CONV)
        )
    time.sleep(0.3)
    with signed_in(gw) as client:
        assert client.get(f"/api/conversations/{CONV}").json()["messages"][0]["content"] == FIRST


def test_the_preview_shows_the_conversations_own_placeholders_grouped(
    gw: SsoGateway, upstream: MockUpstream
) -> None:
    with signed_in(gw) as client:
        _two_turns(gw, client)
        sent = upstream.requests[-1].body["messages"][-1]["content"]
        preview = _preview(
            gw, client, text="鈴木花子様にも共有します。" + SECOND, conversation_id=CONV
        )
    # A new name comes first here: a fresh mapping would give it 山田太郎's placeholder.
    assert preview["text"].endswith(sent)  # the same placeholders as the real request
    groups = {(g["text"], g["placeholder"]): g["count"] for g in preview["groups"]}
    person = next(p for (t, p) in groups if t == "山田太郎")
    assert person in sent
    assert groups[("山田太郎", person)] == 1
    assert len(preview["entities"]) == sum(groups.values())


def test_preview_rows_are_grouped_by_value(gw: SsoGateway) -> None:
    with signed_in(gw) as client:
        preview = _preview(gw, client, text="山田太郎様、山田太郎様、山田太郎様。電話 03-1234-5678")
    assert [(g["type"], g["text"], g["count"]) for g in preview["groups"]] == [
        ("PERSON", "山田太郎", 3),
        ("PHONE", "03-1234-5678", 1),
    ]


def test_preview_rows_show_what_the_placeholder_replaced(gw: SsoGateway) -> None:
    """A company's legal form stays in the text that leaves; the row shows the name alone, and
    the name written with and without it is one row."""
    with signed_in(gw) as client:
        preview = _preview(
            gw, client, text="株式会社ミライ精工の件です。ミライ精工様には明日伺います。"
        )
    [group] = preview["groups"]
    assert (group["text"], group["count"]) == ("ミライ精工", 2)
    assert preview["text"].startswith(f"株式会社{group['placeholder']}の件")
    assert [e["text"] for e in preview["entities"]] == ["株式会社ミライ精工", "ミライ精工"]
    assert [e["replaced"] for e in preview["entities"]] == ["ミライ精工", "ミライ精工"]


def test_a_policy_turns_storage_off(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway], policy_folder: PolicyFolder
) -> None:
    policy_folder.write("_defaults.yaml", DEFAULTS + "retention: {store_conversations: false}\n")
    gw = sqlite_chat_gateway_factory(policies_dir=str(policy_folder.path), policies_reload_s=0)
    with signed_in(gw) as client:
        streamed_text(ask(gw, client, [{"role": "user", "content": FIRST}], conversation=CONV))
        time.sleep(0.5)
        assert client.get("/api/conversations").json() == []
        assert 'data-store="browser"' in client.get("/chat").text
    assert _rows(gw) == []
