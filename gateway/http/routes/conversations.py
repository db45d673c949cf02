"""``/api/conversations``: a person's own saved conversations (list and search by title, open,
rename, delete). Nobody else's are reachable: every call is scoped to the caller, and another
person's id is simply not found (IT admins included)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import Caller, app_state, authenticate
from gateway.kernel.errors import NotFound, Unavailable
from gateway.state import AppState
from gateway.workspace import conversations
from gateway.workspace.sealing import Sealer

router = APIRouter(
    prefix="/api/conversations", tags=["conversations"], dependencies=[Depends(authenticate)]
)

ConversationId = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class SummaryOut(BaseModel):
    id: str
    title: str
    use_case: str | None
    updated_at: datetime


class ConversationOut(BaseModel):
    id: str
    title: str
    use_case: str | None
    messages: list[dict[str, Any]]


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)


def sealer(state: AppState) -> Sealer:
    return Sealer(state.settings.secret_key.get_secret_value())


def _not_found() -> NotFound:
    return NotFound("その会話は見つかりません。", "No such conversation.")


@router.get("")
async def list_conversations(
    request: Request, caller: Caller, q: Annotated[str, Query(max_length=100)] = ""
) -> list[SummaryOut]:
    state = app_state(request)
    async with state.sessions() as session:  # ended ones are hidden; gateway.workspace.expiry
        found = await conversations.list_own(
            session=session, sealer=sealer(state), user_id=caller.user_id, query=q
        )
    return [
        SummaryOut(id=s.id, title=s.title, use_case=s.use_case, updated_at=s.updated_at)
        for s in found
    ]


@router.get("/{conversation_id}")
async def get_conversation(
    request: Request, caller: Caller, conversation_id: ConversationId
) -> ConversationOut:
    state = app_state(request)
    if state.redaction is None:
        raise Unavailable("秘匿化が利用できません。", "Redaction is unavailable.")
    opened = await conversations.reopen(
        sessions=state.sessions,
        sealer=sealer(state),
        vault=state.redaction.vault,
        user_id=caller.user_id,
        conversation_id=conversation_id,
    )
    if opened is None:
        raise _not_found()
    return ConversationOut(
        id=opened.id, title=opened.title, use_case=opened.use_case, messages=opened.messages
    )


@router.patch("/{conversation_id}")
async def rename_conversation(
    request: Request, caller: Caller, conversation_id: ConversationId, body: RenameIn
) -> Response:
    state = app_state(request)
    async with state.sessions.begin() as session:
        renamed = await conversations.rename(
            session=session,
            sealer=sealer(state),
            user_id=caller.user_id,
            conversation_id=conversation_id,
            title=body.title,
        )
    if not renamed:
        raise _not_found()
    return Response(status_code=204)


@router.delete("/{conversation_id}")
async def delete_conversation(
    request: Request, caller: Caller, conversation_id: ConversationId
) -> Response:
    async with app_state(request).sessions.begin() as session:
        deleted = await conversations.delete(
            session=session, user_id=caller.user_id, conversation_id=conversation_id
        )
    if not deleted:
        raise _not_found()
    return Response(status_code=204)
