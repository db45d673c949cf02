"""The people JSON API for IT admins (``/api/admin/people``): everyone who signed in, was
provisioned or holds a key, and disabling or enabling a person. The service is
``gateway.identity.people``, shared with the people page (``web.people``) and the CLI.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from gateway.auth import Admin, app_state, authenticate, require_role
from gateway.identity import people
from gateway.identity.people import PersonOut
from gateway.kernel.principal import Role

router = APIRouter(
    prefix="/api/admin/people",
    tags=["people"],
    dependencies=[Depends(authenticate), Depends(require_role(Role.ADMIN))],
)


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=500)


@router.get("")
async def list_people(request: Request) -> list[PersonOut]:
    state = app_state(request)
    async with state.sessions() as session:
        return await people.list_people(session=session, timezone=state.settings.timezone)


@router.post("/{person_id}/disable")
async def disable(request: Request, caller: Admin, person_id: int, body: ReasonIn) -> PersonOut:
    return await _set(request, caller, person_id, body, disabled=True)


@router.post("/{person_id}/enable")
async def enable(request: Request, caller: Admin, person_id: int, body: ReasonIn) -> PersonOut:
    return await _set(request, caller, person_id, body, disabled=False)


async def _set(
    request: Request, caller: Admin, person_id: int, body: ReasonIn, *, disabled: bool
) -> PersonOut:
    state = app_state(request)
    return await people.set_disabled(
        sessions=state.sessions,
        audit=state.audit.append,
        cache=state.keys,
        person_id=person_id,
        disabled=disabled,
        by=caller.email,
        via="api",
        actor_id=caller.user_id,
        reason=body.reason,
    )
