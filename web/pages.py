"""The staff pages (server-rendered Jinja2): home and API keys. Authenticated by default.

Add a page that needs a role by taking the role's dependency as a parameter::

    from gateway.auth import DepartmentScope, Manager

    @router.get("/kpi")
    async def kpi(request: Request, caller: Manager, department: DepartmentScope) -> Response:
        return render(request, "kpi.html", {"department": department})

and list it in ``web.templating.NAV`` with its minimum role so the menu shows it.
Forms post ``csrf_token`` (the page shell provides it as ``{{ csrf_token }}``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from gateway.auth import Caller, app_state, authenticate, refusals
from gateway.identity import keys
from gateway.identity.models import User
from gateway.kernel.errors import BadRequest
from gateway.kernel.principal import Role
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(authenticate)])


@router.get("/")
async def home(request: Request, caller: Caller) -> Response:
    async with app_state(request).sessions() as session:
        user = await session.get(User, caller.user_id)
    return render(request, "home.html", {"display_name": user.display_name if user else ""})


async def _keys_page(request: Request, caller: Caller, new_key: str | None = None) -> Response:
    async with app_state(request).sessions() as session:
        own = await keys.list_keys(session=session, user_id=caller.user_id)
        every = await keys.list_keys(session=session) if caller.role is Role.ADMIN else None
    context = {"own_keys": own, "all_keys": every, "new_key": new_key}
    return render(request, "keys.html", context, status_code=201 if new_key else 200)


@router.get("/keys")
async def keys_page(request: Request, caller: Caller) -> Response:
    return await _keys_page(request, caller)


@router.post("/keys")
async def keys_create(
    request: Request,
    caller: Caller,
    name: Annotated[str, Form(max_length=100)] = "",
    expires_in_days: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    days = expires_in_days.strip()
    if days and (not days.isdigit() or not 1 <= int(days) <= 365):
        raise BadRequest(
            "有効期限は 1〜365 日で指定してください。", "Expiry must be 1 to 365 days."
        )
    state = app_state(request)
    new = await keys.create_key(
        sessions=state.sessions,
        audit=state.audit.append,
        refuse=refusals(request, caller),
        principal=caller,
        name=name.strip(),
        days=int(days) if days else None,
    )
    return await _keys_page(request, caller, new_key=new.key)


@router.post("/keys/{key_id}/revoke")
async def keys_revoke(request: Request, caller: Caller, key_id: int) -> Response:
    state = app_state(request)
    await keys.revoke_key(
        sessions=state.sessions,
        audit=state.audit.append,
        cache=state.keys,
        refuse=refusals(request, caller),
        principal=caller,
        key_id=key_id,
    )
    return RedirectResponse("/keys", status_code=303)
