"""The API-key JSON API (``/api/keys``): signed-in users create, list and revoke their own
keys; managers read their department's keys; IT admins list and revoke any key.

Keys are stored hashed and shown once (``gateway.identity.apikeys``); each carries the owner's
department and role at creation. Creating a key needs a browser sign-in (a leaked key cannot
mint more keys). ``key.created`` and ``key.revoked`` are audited. The query helpers here are
shared with the keys page (``web.pages``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.chain import EventIn
from gateway.auth import (
    Admin,
    Caller,
    DepartmentScope,
    app_state,
    audit_forbidden,
    authenticate,
    may_read_owned,
)
from gateway.identity import apikeys
from gateway.identity.models import ApiKey, User
from gateway.kernel.errors import Forbidden, NotFound
from gateway.kernel.principal import Principal, Role
from gateway.kernel.vocab import EventType, Outcome
from gateway.state import AppState

router = APIRouter(prefix="/api", tags=["keys"], dependencies=[Depends(authenticate)])


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    user_email: str
    department: str
    role: str
    created_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    status: str  # active | revoked | expired


class NewKeyIn(BaseModel):
    name: str = Field(default="", max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=365)


class NewKeyOut(KeyOut):
    key: str = Field(description="the secret, shown only this once")


def _out(key: ApiKey, email: str) -> KeyOut:
    expires, revoked = key.expires_at, key.revoked_at
    status = "revoked" if revoked else "active"
    if not revoked and expires is not None and expires <= datetime.now(UTC):
        status = "expired"
    return KeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        user_email=email,
        department=key.department,
        role=key.role,
        created_at=key.created_at,
        expires_at=expires,
        revoked_at=revoked,
        status=status,
    )


async def list_keys(
    *, session: AsyncSession, user_id: int | None = None, department: str | None = None
) -> list[KeyOut]:
    query = select(ApiKey, User.email).join(User, User.id == ApiKey.user_id).order_by(ApiKey.id)
    if user_id is not None:
        query = query.where(ApiKey.user_id == user_id)
    if department is not None:
        query = query.where(ApiKey.department == department)
    return [_out(key, email) for key, email in (await session.execute(query)).all()]


async def _load(session: AsyncSession, key_id: int) -> tuple[ApiKey, str]:
    row = (
        await session.execute(
            select(ApiKey, User.email)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.id == key_id)
        )
    ).first()
    if row is None:
        raise NotFound("その API キーはありません。", "No such API key.")
    return row[0], row[1]


async def create_key(
    *, state: AppState, request: Request, principal: Principal, name: str, days: int | None
) -> NewKeyOut:
    if principal.auth_method != "session":
        await audit_forbidden(state, request, principal, "key creation needs a browser sign-in")
        raise Forbidden(
            "API キーの発行には Web 画面でのログインが必要です。",
            "Creating a key needs a browser sign-in (not an API key).",
        )
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    async with state.sessions.begin() as session:
        user = await session.get(User, principal.user_id)
        if user is None:
            raise NotFound("利用者が見つかりません。", "User not found.")
        new = await apikeys.create(session=session, user=user, name=name, expires_at=expires)
        out = _out(new.key, user.email)
    await state.audit.append(
        EventIn(
            event_type=EventType.KEY_CREATED,
            outcome=Outcome.OK,
            user_email=principal.email,
            department=out.department,
            role=out.role,
            detail={
                "key_id": out.id,
                "prefix": out.prefix,
                "via": "web",
                "expires_at": str(expires),
            },
        )
    )
    return NewKeyOut(**out.model_dump(), key=new.token)


async def revoke_key(
    *, state: AppState, request: Request, principal: Principal, key_id: int
) -> KeyOut:
    """Owners revoke their own keys; IT admins any key. Refusals are audited."""
    async with state.sessions.begin() as session:
        key, email = await _load(session, key_id)
        allowed = key.user_id == principal.user_id or principal.role is Role.ADMIN
        revoked = allowed and await apikeys.revoke(session=session, key_id=key_id)
        out = _out(key, email)
    if not allowed:
        await audit_forbidden(state, request, principal, "not owner", key_id=key_id)
        raise Forbidden(
            "ほかの人の API キーは失効できません。", "You cannot revoke another person's key."
        )
    if revoked:
        state.keys.forget(key_id)  # other replicas within settings.api_key_cache_s
        await state.audit.append(
            EventIn(
                event_type=EventType.KEY_REVOKED,
                outcome=Outcome.OK,
                user_email=principal.email,
                department=principal.department,
                role=principal.role.value,
                detail={"key_id": key_id, "prefix": key.prefix, "owner": email},
            )
        )
    return out


@router.get("/keys")
async def my_keys(request: Request, caller: Caller) -> list[KeyOut]:
    async with app_state(request).sessions() as session:
        return await list_keys(session=session, user_id=caller.user_id)


@router.post("/keys", status_code=201)
async def new_key(request: Request, caller: Caller, body: NewKeyIn) -> NewKeyOut:
    state = app_state(request)
    return await create_key(
        state=state, request=request, principal=caller, name=body.name, days=body.expires_in_days
    )


@router.get("/keys/{key_id}")
async def one_key(request: Request, caller: Caller, key_id: int) -> KeyOut:
    async with app_state(request).sessions() as session:
        key, email = await _load(session, key_id)
    await may_read_owned(request, caller, owner_id=key.user_id, owner_department=key.department)
    return _out(key, email)


@router.delete("/keys/{key_id}")
async def delete_key(request: Request, caller: Caller, key_id: int) -> KeyOut:
    state = app_state(request)
    return await revoke_key(state=state, request=request, principal=caller, key_id=key_id)


@router.get("/departments/{department}/keys")
async def department_keys(request: Request, department: DepartmentScope) -> list[KeyOut]:
    async with app_state(request).sessions() as session:
        return await list_keys(session=session, department=department)


@router.get("/admin/keys")
async def all_keys(
    request: Request,
    _admin: Admin,
    department: Annotated[str | None, Query(max_length=100)] = None,
) -> list[KeyOut]:
    async with app_state(request).sessions() as session:
        return await list_keys(session=session, department=department)
