"""The IT admin's people page: ``/admin/people`` (everyone with department, role, last seen and
use this month, in Japan time) and the disable / enable buttons.

Admins only (the router's dependency): managers and staff get the audited 403 page. The page
and ``/api/admin/people`` call the same service (``gateway.identity.people``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from gateway.auth import Admin, app_state, authenticate, require_role
from gateway.identity import people
from gateway.kernel.principal import Role
from web.templating import render

router = APIRouter(
    prefix="/admin/people",
    tags=["pages"],
    include_in_schema=False,
    dependencies=[Depends(authenticate), Depends(require_role(Role.ADMIN))],
)


@router.get("")
async def people_page(request: Request) -> Response:
    state = app_state(request)
    async with state.sessions() as session:
        everyone = await people.list_people(session=session, timezone=state.settings.timezone)
    return render(request, "people.html", {"people": everyone, "timezone": state.settings.timezone})


@router.post("/{person_id}/{action}")
async def people_action(
    request: Request,
    caller: Admin,
    person_id: int,
    action: people.Action,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    state = app_state(request)
    await people.set_disabled(
        sessions=state.sessions,
        audit=state.audit.append,
        cache=state.keys,
        person_id=person_id,
        disabled=action == "disable",
        by=caller.email,
        via="web",
        actor_id=caller.user_id,
        reason=reason.strip(),
    )
    return RedirectResponse(f"/admin/people#person-{person_id}", status_code=303)
