"""The API-key JSON API (``/api/keys``): signed-in users create, list and revoke their own
keys; managers read their department's keys; IT admins list and revoke any key.

Keys are stored hashed and shown once (``gateway.identity.apikeys``); each carries the owner's
department and role at creation. Creating a key needs a browser sign-in (a leaked key cannot
mint more keys). ``key.created`` and ``key.revoked`` are audited. The service is
``gateway.identity.keys``, shared with the keys page (``web.pages``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from gateway.auth import (
    Admin,
    Caller,
    DepartmentScope,
    app_state,
    authenticate,
    may_read_owned,
    refusals,
)
from gateway.identity import keys
from gateway.identity.keys import KeyOut, NewKeyOut

router = APIRouter(prefix="/api", tags=["keys"], dependencies=[Depends(authenticate)])


class NewKeyIn(BaseModel):
    name: str = Field(default="", max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=365)


@router.get("/keys")
async def my_keys(request: Request, caller: Caller) -> list[KeyOut]:
    async with app_state(request).sessions() as session:
        return await keys.list_keys(session=session, user_id=caller.user_id)


@router.post("/keys", status_code=201)
async def new_key(request: Request, caller: Caller, body: NewKeyIn) -> NewKeyOut:
    state = app_state(request)
    return await keys.create_key(
        sessions=state.sessions,
        audit=state.audit.append,
        refuse=refusals(request, caller),
        principal=caller,
        name=body.name,
        days=body.expires_in_days,
    )


@router.get("/keys/{key_id}")
async def one_key(request: Request, caller: Caller, key_id: int) -> KeyOut:
    async with app_state(request).sessions() as session:
        found = await keys.get_key(session=session, key_id=key_id)
    await may_read_owned(
        request, caller, owner_id=found.owner_id, owner_department=found.key.department
    )
    return found.key


@router.delete("/keys/{key_id}")
async def delete_key(request: Request, caller: Caller, key_id: int) -> KeyOut:
    state = app_state(request)
    return await keys.revoke_key(
        sessions=state.sessions,
        audit=state.audit.append,
        cache=state.keys,
        refuse=refusals(request, caller),
        principal=caller,
        key_id=key_id,
    )


@router.get("/departments/{department}/keys")
async def department_keys(request: Request, department: DepartmentScope) -> list[KeyOut]:
    async with app_state(request).sessions() as session:
        return await keys.list_keys(session=session, department=department)


@router.get("/admin/keys")
async def all_keys(
    request: Request,
    _admin: Admin,
    department: Annotated[str | None, Query(max_length=100)] = None,
) -> list[KeyOut]:
    async with app_state(request).sessions() as session:
        return await keys.list_keys(session=session, department=department)
