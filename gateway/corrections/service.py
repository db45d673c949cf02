"""Record, list and decide correction proposals. Keyword-only functions over an
``AsyncSession``; the callers (routes) own the transaction. The approved names
(``RedactionProfile.terms``) and allowed words (``allow``) reach the request path through
``gateway.corrections.approved``, which keeps them in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.corrections.models import RedactionProposal
from gateway.kernel.errors import NotFound
from gateway.kernel.events import AuditSink, EventIn
from gateway.kernel.principal import Principal
from gateway.kernel.vocab import EventType, Outcome
from redaction.corrections import Proposal, ProposalKind
from redaction.entities import EntityType


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ProposalOut(BaseModel):
    id: int
    created_at: datetime
    department: str
    user_email: str
    kind: ProposalKind
    entity_type: EntityType
    term: str
    status: Status
    decided_at: datetime | None
    decided_by: str | None


def _out(row: RedactionProposal) -> ProposalOut:
    return ProposalOut.model_validate(row, from_attributes=True)


async def record(
    *, session: AsyncSession, department: str, user_email: str, proposals: Sequence[Proposal]
) -> list[ProposalOut]:
    now = datetime.now(UTC)
    rows = [
        RedactionProposal(
            created_at=now,
            department=department,
            user_email=user_email,
            kind=p.kind.value,
            entity_type=p.type.value,
            term=p.term,
            status=Status.PENDING.value,
        )
        for p in proposals
    ]
    session.add_all(rows)
    await session.flush()
    return [_out(r) for r in rows]


async def listing(
    *, session: AsyncSession, status: Status | None = None, department: str | None = None
) -> list[ProposalOut]:
    query = select(RedactionProposal).order_by(RedactionProposal.id.desc()).limit(500)
    if status is not None:
        query = query.where(RedactionProposal.status == status.value)
    if department is not None:
        query = query.where(RedactionProposal.department == department)
    return [_out(r) for r in (await session.scalars(query)).all()]


async def decide(
    *, session: AsyncSession, proposal_id: int, approve: bool, by: str
) -> ProposalOut | None:
    """Approve or reject a pending proposal; None if there is no such pending one."""
    row = await session.get(RedactionProposal, proposal_id)
    if row is None or row.status != Status.PENDING.value:
        return None
    row.status = (Status.APPROVED if approve else Status.REJECTED).value
    row.decided_at = datetime.now(UTC)
    row.decided_by = by
    await session.flush()
    return _out(row)


async def decide_and_audit(
    *,
    sessions: async_sessionmaker[AsyncSession],
    audit: AuditSink,
    proposal_id: int,
    approve: bool,
    by: Principal,
) -> ProposalOut:
    """An admin's decision, stored and audited (the JSON API and the IT console page)."""
    async with sessions.begin() as session:
        decided = await decide(
            session=session, proposal_id=proposal_id, approve=approve, by=by.email
        )
    if decided is None:
        raise NotFound("未決の提案が見つかりません。", "No such pending proposal.")
    await audit(
        EventIn(
            event_type=EventType.REDACTION_PROPOSAL_DECIDED,
            outcome=Outcome.OK,
            user_email=by.email,
            department=decided.department,
            role=by.role.value,
            detail={"proposal": decided.id, "status": decided.status.value, "kind": decided.kind},
        )
    )
    return decided
