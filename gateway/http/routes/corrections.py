"""IT's side of staff corrections (``/api/redaction/proposals``, admins only): list the
proposals and approve or reject one. An approved name or word is in the department's profile
from the next request on (``gateway.corrections.approved``); each decision is
audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict

from gateway.auth import Admin, app_state
from gateway.corrections import service
from gateway.corrections.service import ProposalOut, Status

router = APIRouter(prefix="/api/redaction/proposals", tags=["redaction"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool


@router.get("")
async def list_proposals(
    request: Request,
    caller: Admin,
    status: Annotated[Status | None, Query()] = None,
) -> list[ProposalOut]:
    del caller
    async with app_state(request).sessions.begin() as session:
        return await service.listing(session=session, status=status)


@router.post("/{proposal_id}")
async def decide_proposal(
    request: Request,
    body: DecisionIn,
    caller: Admin,
    proposal_id: Annotated[int, Path(ge=1)],
) -> ProposalOut:
    state = app_state(request)
    decided = await service.decide_and_audit(
        sessions=state.sessions,
        audit=state.audit.append,
        proposal_id=proposal_id,
        approve=body.approve,
        by=caller,
    )
    state.approved.invalidate()  # this replica's next request sees the decision
    return decided
