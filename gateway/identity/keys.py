"""The API-key service: list, look up, create and revoke keys, with their audit events.

Shared by the JSON API (``gateway.http.routes.keys``) and the keys page (``web.pages``); both
are thin callers. Takes keyword arguments and never a ``Request``: a refusal is reported
through ``refuse`` (the caller's audited 403, which knows the path). Keys are stored hashed
and shown once (``gateway.identity.apikeys``).
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.identity import apikeys
from gateway.identity.keycache import KeyCache
from gateway.identity.models import ApiKey, User
from gateway.kernel.clock import utcnow
from gateway.kernel.errors import Forbidden, NotFound
from gateway.kernel.events import AuditSink, EventIn
from gateway.kernel.principal import Principal, Role
from gateway.kernel.vocab import EventType, Outcome


class Refuse(Protocol):
    """Record an audited refusal of the current caller (``gateway.auth.refusals``)."""

    def __call__(self, reason: str, **detail: object) -> Awaitable[None]: ...


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


class NewKeyOut(KeyOut):
    key: str = Field(description="the secret, shown only this once")


@dataclass(frozen=True)
class OwnedKey:
    key: KeyOut
    owner_id: int


def _out(key: ApiKey, owner: User) -> KeyOut:
    """The key as it acts now: its owner's current department and role (issue 15)."""
    expires, revoked = key.expires_at, key.revoked_at
    status = "revoked" if revoked else "active"
    if not revoked and expires is not None and expires <= utcnow():
        status = "expired"
    return KeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        user_email=owner.email,
        department=owner.department,
        role=owner.role,
        created_at=key.created_at,
        expires_at=expires,
        revoked_at=revoked,
        status=status,
    )


async def list_keys(
    *, session: AsyncSession, user_id: int | None = None, department: str | None = None
) -> list[KeyOut]:
    query = select(ApiKey, User).join(User, User.id == ApiKey.user_id).order_by(ApiKey.id)
    if user_id is not None:
        query = query.where(ApiKey.user_id == user_id)
    if department is not None:
        query = query.where(User.department == department)
    return [_out(key, owner) for key, owner in (await session.execute(query)).all()]


async def _load(session: AsyncSession, key_id: int) -> tuple[ApiKey, User]:
    row = (
        await session.execute(
            select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.id == key_id)
        )
    ).first()
    if row is None:
        raise NotFound("その API キーはありません。", "No such API key.")
    return row[0], row[1]


async def get_key(*, session: AsyncSession, key_id: int) -> OwnedKey:
    """One key and its owner's id (the caller checks who may read it); ``NotFound`` if none."""
    key, owner = await _load(session, key_id)
    return OwnedKey(_out(key, owner), key.user_id)


async def create_key(
    *,
    sessions: async_sessionmaker[AsyncSession],
    audit: AuditSink,
    refuse: Refuse,
    principal: Principal,
    name: str,
    days: int | None,
) -> NewKeyOut:
    """A new key for ``principal`` (a browser sign-in: a leaked key cannot mint more)."""
    if principal.auth_method != "session":
        await refuse("key creation needs a browser sign-in")
        raise Forbidden(
            "API キーの発行には Web 画面でのログインが必要です。",
            "Creating a key needs a browser sign-in (not an API key).",
        )
    expires = utcnow() + timedelta(days=days) if days else None
    async with sessions.begin() as session:
        user = await session.get(User, principal.user_id)
        if user is None:
            raise NotFound("利用者が見つかりません。", "User not found.")
        new = await apikeys.create(session=session, user=user, name=name, expires_at=expires)
        out = _out(new.key, user)
    await audit(
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
    *,
    sessions: async_sessionmaker[AsyncSession],
    audit: AuditSink,
    cache: KeyCache,
    refuse: Refuse,
    principal: Principal,
    key_id: int,
) -> KeyOut:
    """Owners revoke their own keys; IT admins any key. Refusals are audited."""
    async with sessions.begin() as session:
        key, owner = await _load(session, key_id)
        allowed = key.user_id == principal.user_id or principal.role is Role.ADMIN
        revoked = allowed and await apikeys.revoke(session=session, key_id=key_id)
        out = _out(key, owner)
    if not allowed:
        await refuse("not owner", key_id=key_id)
        raise Forbidden(
            "ほかの人の API キーは失効できません。", "You cannot revoke another person's key."
        )
    if revoked:
        cache.forget(key_id)  # other replicas within settings.api_key_cache_s
        await audit(
            EventIn(
                event_type=EventType.KEY_REVOKED,
                outcome=Outcome.OK,
                user_email=principal.email,
                department=principal.department,
                role=principal.role.value,
                detail={"key_id": key_id, "prefix": key.prefix, "owner": owner.email},
            )
        )
    return out


async def revoke_for_it(
    *, sessions: async_sessionmaker[AsyncSession], audit: AuditSink, key_id: int, by: str
) -> KeyOut:
    """Revoke any key outside a request (the CLI: whoever runs it is IT); audited like a
    revoke from the web. The caller makes running gateways forget it (the people epoch)."""
    async with sessions.begin() as session:
        key, owner = await _load(session, key_id)
        revoked = await apikeys.revoke(session=session, key_id=key_id)
        out = _out(key, owner)
    if revoked:
        await audit(
            EventIn(
                event_type=EventType.KEY_REVOKED,
                outcome=Outcome.OK,
                user_email=owner.email,
                department=owner.department,
                role=owner.role,
                detail={"key_id": key_id, "prefix": key.prefix, "owner": owner.email, "by": by},
            )
        )
    return out
