"""Saved conversations: each person's own, sealed at rest, kept for the department's retention.

A turn is saved as what left the company (the messages with placeholders, and the answer as
the provider wrote it) plus the conversation's placeholder mapping; reopening restores the
names with that mapping and puts it back in the vault, so the next turn reuses the same
placeholders. Every function takes the owner's user id and touches only the owner's rows:
there is no way here to read another person's conversation. No HTTP, no provider.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.workspace.models import Conversation
from gateway.workspace.sealing import Sealer
from redaction.mapping import Mapping
from redaction.restore import restore
from redaction.vault import Vault

log = logging.getLogger(__name__)
Keep = Callable[[list[dict[str, Any]], str, Mapping], Awaitable[None]]

TITLE_CHARS = 40


def utcnow() -> datetime:
    return datetime.now(UTC)


LIST_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Summary:
    id: str
    title: str
    use_case: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Opened:
    id: str
    title: str
    use_case: str | None
    messages: list[dict[str, Any]]  # names restored
    mapping: Mapping


def vault_key(user_id: int, conversation_id: str) -> str:
    """The vault entry of a conversation: its placeholders are one person's, never shared."""
    return f"{user_id}:{conversation_id}"


def title_of(text: str) -> str:
    """A title from the first thing asked: its first non-empty line, shortened."""
    line = next((s.strip() for s in text.splitlines() if s.strip()), "") or "新しい会話"
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


def _seal(sealer: Sealer, row: Conversation, field: str, data: bytes) -> bytes:
    return sealer.seal(user_id=row.user_id, conversation_id=row.id, field=field, data=data)


def _open(sealer: Sealer, row: Conversation, field: str) -> bytes:
    sealed = row.title if field == "title" else row.body
    return sealer.open(user_id=row.user_id, conversation_id=row.id, field=field, sealed=sealed)


async def save_turn(
    *,
    session: AsyncSession,
    sealer: Sealer,
    user_id: int,
    conversation_id: str,
    title: str,
    use_case: str | None,
    sent: list[dict[str, Any]],
    answer: str,
    mapping: Mapping,
    keep_days: int,
) -> bool:
    """Save the conversation after a turn (created on its first). False when the id belongs
    to someone else: their row is left untouched."""
    now = utcnow()
    row = await session.get(Conversation, conversation_id)
    if row is not None and row.user_id != user_id:
        return False
    if row is None:
        row = Conversation(id=conversation_id, user_id=user_id, created_at=now)
        row.title = _seal(sealer, row, "title", title_of(title).encode())
        session.add(row)
    body = {"messages": [*sent, {"role": "assistant", "content": answer}]}
    body["mapping"] = orjson.loads(mapping.to_json())
    row.body = _seal(sealer, row, "body", orjson.dumps(body))
    row.use_case = use_case
    row.updated_at = now
    row.expires_at = now + timedelta(days=keep_days)
    return True


async def _own(session: AsyncSession, user_id: int, conversation_id: str) -> Conversation | None:
    """The owner's row, unless it is past its retention (compared in SQL: SQLite hands back
    naive times)."""
    found = await session.scalars(
        select(Conversation).where(
            Conversation.id == conversation_id,
            Conversation.user_id == user_id,
            Conversation.expires_at > utcnow(),
        )
    )
    return found.first()


async def list_own(
    *, session: AsyncSession, sealer: Sealer, user_id: int, query: str = ""
) -> list[Summary]:
    """The owner's conversations, newest first; ``query`` filters by title (titles are sealed,
    so the filter runs here, over at most ``LIST_LIMIT`` of them)."""
    rows = await session.scalars(
        select(Conversation)
        .where(Conversation.user_id == user_id, Conversation.expires_at > utcnow())
        .order_by(Conversation.updated_at.desc())
        .limit(LIST_LIMIT)
    )
    needle = query.strip().casefold()
    found = []
    for row in rows:
        title = _open(sealer, row, "title").decode()
        if needle in title.casefold():
            found.append(Summary(row.id, title, row.use_case, row.updated_at))
    return found


def _restored(messages: list[dict[str, Any]], mapping: Mapping) -> list[dict[str, Any]]:
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            content = restore(content, mapping)
        out.append({"role": message["role"], "content": content})
    return out


async def open_own(
    *, session: AsyncSession, sealer: Sealer, user_id: int, conversation_id: str
) -> Opened | None:
    row = await _own(session, user_id, conversation_id)
    if row is None:
        return None
    body = orjson.loads(_open(sealer, row, "body"))
    mapping = Mapping.from_json(orjson.dumps(body["mapping"]))
    return Opened(
        id=row.id,
        title=_open(sealer, row, "title").decode(),
        use_case=row.use_case,
        messages=_restored(body["messages"], mapping),
        mapping=mapping,
    )


async def rename(
    *, session: AsyncSession, sealer: Sealer, user_id: int, conversation_id: str, title: str
) -> bool:
    row = await _own(session, user_id, conversation_id)
    if row is None:
        return False
    row.title = _seal(sealer, row, "title", title.strip()[:200].encode())
    return True


async def delete(*, session: AsyncSession, user_id: int, conversation_id: str) -> bool:
    result = await session.execute(
        sql_delete(Conversation).where(
            Conversation.id == conversation_id, Conversation.user_id == user_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


def keeper(
    *,
    sessions: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    user_id: int,
    conversation_id: str,
    title: str,
    use_case: str | None,
    keep_days: int,
) -> Keep:
    """What the pipeline calls after an answer streamed in full: save the turn. A failure is
    logged, not raised: the person already has the answer on the page."""

    async def keep(sent: list[dict[str, Any]], answer: str, mapping: Mapping) -> None:
        try:
            async with sessions.begin() as session:
                await save_turn(
                    session=session,
                    sealer=sealer,
                    user_id=user_id,
                    conversation_id=conversation_id,
                    title=title,
                    use_case=use_case,
                    sent=sent,
                    answer=answer,
                    mapping=mapping,
                    keep_days=keep_days,
                )
        except Exception:
            log.exception("conversation %s not saved", conversation_id)

    return keep


async def reopen(
    *,
    sessions: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    vault: Vault,
    user_id: int,
    conversation_id: str,
) -> Opened | None:
    """Open a saved conversation and put its mapping back in the vault (which may have
    expired), so the next turn uses the placeholders the provider has already seen."""
    async with sessions() as session:
        opened = await open_own(
            session=session, sealer=sealer, user_id=user_id, conversation_id=conversation_id
        )
    if opened is not None:
        saved = opened.mapping
        await vault.update(
            vault_key(user_id, conversation_id), lambda now: now if now.values else saved
        )
    return opened
