"""Saved conversations past their department's retention are deleted on a schedule by the
serving process, and once by ``kakehashi conversations purge`` (for cron); each deletion is an
audited count, and a conversation still inside its retention stays."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select, update

from gateway.kernel.db import make_sync_engine
from gateway.workspace.models import Conversation
from tests.fixtures.chat import ask, signed_in, streamed_text
from tests.fixtures.oidc import SsoGateway
from tests.gateway.test_cli import kakehashi

ENDED = "conv-ended-0001"
LIVE = "conv-live-0001"


def _two_saved(gw: SsoGateway, client: httpx.Client) -> None:
    for conversation in (ENDED, LIVE):
        turn = [{"role": "user", "content": "議事録の書き方を教えてください。"}]
        streamed_text(ask(gw, client, turn, conversation=conversation))
    deadline = time.monotonic() + 5
    while len(client.get("/api/conversations").json()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)


def _end_one(gw: SsoGateway) -> None:
    """The first conversation's retention ran out (as if its last turn were long ago)."""
    engine = make_sync_engine(gw.settings.database.url)
    with engine.begin() as conn:
        conn.execute(
            update(Conversation)
            .where(Conversation.id == ENDED)
            .values(expires_at=datetime(2026, 1, 1, tzinfo=UTC))
        )
    engine.dispose()


def _ids(gw: SsoGateway) -> list[str]:
    engine = make_sync_engine(gw.settings.database.url)
    with engine.connect() as conn:
        found = list(conn.scalars(select(Conversation.id).order_by(Conversation.id)))
    engine.dispose()
    return found


def _count(gw: SsoGateway) -> int:
    engine = make_sync_engine(gw.settings.database.url)
    with engine.connect() as conn:
        found = conn.scalar(select(func.count()).select_from(Conversation)) or 0
    engine.dispose()
    return found


def test_the_serving_process_purges_ended_conversations_and_audits_the_count(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_chat_gateway_factory(
        default_policy={"allowed_models": ["mock-*"]}, conversation_purge_s=0.2
    )
    with signed_in(gw) as client:
        _two_saved(gw, client)
        _end_one(gw)
        # Hidden at once, deleted at the next scheduled purge.
        assert [c["id"] for c in client.get("/api/conversations").json()] == [LIVE]
    deadline = time.monotonic() + 10
    while _count(gw) > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ids(gw) == [LIVE]
    [event] = gw.audit_events("conversations.purged")
    assert (event.outcome, event.detail) == ("ok", {"conversations": 1})
    time.sleep(0.5)  # later runs find nothing and record nothing
    assert len(gw.audit_events("conversations.purged")) == 1


def test_the_command_purges_for_cron(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway], tmp_path: Path
) -> None:
    gw = sqlite_chat_gateway_factory(
        default_policy={"allowed_models": ["mock-*"]}, conversation_purge_s=0
    )
    with signed_in(gw) as client:
        _two_saved(gw, client)
    _end_one(gw)
    time.sleep(0.3)
    assert _count(gw) == 2  # no purge in this process: cron's job
    config = tmp_path / "cron.yaml"
    config.write_text(f"mode: test\ndatabase:\n  url: {gw.settings.database.url}\n", "utf-8")
    result = kakehashi("conversations", "purge", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "1 件削除しました" in result.stdout
    assert _ids(gw) == [LIVE]
    assert gw.last_event("conversations.purged").detail == {"conversations": 1}
