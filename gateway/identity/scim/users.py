"""SCIM Users (RFC 7644 §3): a person as the IdP provisions them. ``userName`` is the e-mail
the person signs in with; ``active: false`` (or a DELETE) disables them, so every session and
key of theirs stops on the next request. Department and role are never written here: they
follow the person's groups (``gateway.identity.scim.groups``), as at sign-in.
"""

from __future__ import annotations

from typing import Any

from scim2_models import Meta, PatchOp
from scim2_models import User as ScimUser
from scim2_models.resources.user import GroupMembership
from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity import people
from gateway.identity.models import ScimMember, User
from gateway.identity.scim.context import UNASSIGNED, Provisioning, groups_of
from gateway.kernel.clock import utcnow
from gateway.kernel.errors import BadRequest, Conflict, NotFound
from gateway.kernel.principal import Role


def _missing(ident: str) -> NotFound:
    return NotFound(f"SCIM の利用者 {ident} はいません。", f"No SCIM user {ident}.")


async def _row(session: AsyncSession, ident: str) -> User:
    user = await session.get(User, int(ident)) if ident.isdigit() else None
    if user is None or user.deleted_at is not None:
        raise _missing(ident)
    return user


async def resource(ctx: Provisioning, session: AsyncSession, user: User) -> ScimUser[Any]:
    groups = [
        GroupMembership(
            value=g.id, ref=ctx.location("Groups", g.id), display=g.display_name, type="direct"
        )
        for g in await groups_of(session, user.id)
    ]
    return ScimUser(
        id=str(user.id),
        external_id=user.external_id,
        user_name=user.email,
        display_name=user.display_name or None,
        active=False if user.disabled_at is not None else user.scim_active,
        groups=groups or None,
        meta=Meta(
            resource_type="User",
            created=user.created_at,
            last_modified=user.created_at,
            location=ctx.location("Users", user.id),
        ),
    )


async def everyone(ctx: Provisioning) -> list[ScimUser[Any]]:
    async with ctx.sessions() as session:
        rows = await session.execute(
            select(User).where(User.deleted_at.is_(None)).order_by(User.id)
        )
        return [await resource(ctx, session, u) for u in rows.scalars()]


async def get(ctx: Provisioning, ident: str) -> ScimUser[Any]:
    async with ctx.sessions() as session:
        return await resource(ctx, session, await _row(session, ident))


async def _taken(session: AsyncSession, email: str, other_than: int | None) -> User | None:
    found = (
        await session.execute(select(User).where(func.lower(User.email) == email))
    ).scalar_one_or_none()
    if found is not None and found.id != other_than and found.deleted_at is None:
        raise _in_use(email)
    return found


def _in_use(email: str) -> Conflict:
    """The 409 ``uniqueness`` of RFC 7644 §3.3 (scimType set by the SCIM router)."""
    return Conflict(
        f"userName {email} は既に使われています。", f"userName {email} is already taken."
    )


async def _flush(session: AsyncSession, email: str) -> None:
    """Write now, with the unique e-mail as the judge: a simultaneous write of the same userName
    found free by ``_taken`` (two POSTs, or two renames, at once) commits first: this one is the
    409."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise _in_use(email) from exc


class _Write:
    """One write to a person's row; what changed is announced after the commit."""

    def __init__(self) -> None:
        self.toggled: bool | None = None  # disabled now (True) or enabled (False)

    async def apply(self, session: AsyncSession, user: User, given: ScimUser[Any], by: str) -> None:
        email = _email(given)
        await _taken(session, email, user.id)
        user.email = email
        user.display_name = given.display_name or ""
        user.external_id = given.external_id
        user.scim_active = given.active
        active = given.active is not False
        if active != (user.disabled_at is None):
            user.disabled_at, user.disabled_by = (None, None) if active else (utcnow(), by)
            user.disabled_reason = None  # the IdP gives none; an earlier one by IT is stale
            self.toggled = not active
        await _flush(session, email)  # a rename to a userName taken meanwhile: the 409

    async def announce(self, ctx: Provisioning, user: User) -> None:
        if self.toggled is not None:
            await people.announce_disabled(
                audit=ctx.audit,
                cache=ctx.cache,
                person=user,
                disabled=self.toggled,
                by=ctx.by,
                via="scim",
            )


def _email(given: ScimUser[Any]) -> str:
    name = (given.user_name or "").strip().lower()
    if not name:
        raise BadRequest("userName は必須です。", "userName is required.")
    return name


async def _undelete(session: AsyncSession, user: User, email: str) -> None:
    """Provision a deleted person again, once: two POSTs of the same instant both found the
    deleted row, and ``deleted_at`` in the WHERE lets only the first bring it back (the row
    lock on PostgreSQL, the write lock on SQLite, make the second wait for the first's commit
    and then match nothing): the second is the 409, as for two POSTs of a new userName."""
    result = await session.execute(
        update(User)
        .where(User.id == user.id, User.deleted_at.is_not(None))
        .values(deleted_at=None, disabled_at=None, disabled_by=None)
    )
    if not isinstance(result, CursorResult) or result.rowcount != 1:
        raise _in_use(email)


async def create(ctx: Provisioning, given: ScimUser[Any]) -> ScimUser[Any]:
    write = _Write()
    async with ctx.sessions.begin() as session:
        email = _email(given)
        user = await _taken(session, email, None)
        if user is None:
            user = User(
                email=email, department=UNASSIGNED, role=Role(ctx.mapping.default_role).value
            )
            session.add(user)
        else:  # provisioned again after a delete
            await _undelete(session, user, email)
        await _flush(session, email)
        await write.apply(session, user, given, ctx.by)
        out = await resource(ctx, session, user)
    await people.announce_created(audit=ctx.audit, user=user, by=ctx.by)
    await write.announce(ctx, user)
    return out


async def replace(ctx: Provisioning, ident: str, given: ScimUser[Any]) -> ScimUser[Any]:
    write = _Write()
    async with ctx.sessions.begin() as session:
        user = await _row(session, ident)
        await write.apply(session, user, given, ctx.by)
        out = await resource(ctx, session, user)
    await write.announce(ctx, user)
    return out


async def patch(ctx: Provisioning, ident: str, operations: PatchOp[ScimUser[Any]]) -> ScimUser[Any]:
    write = _Write()
    async with ctx.sessions.begin() as session:
        user = await _row(session, ident)
        current = await resource(ctx, session, user)
        operations.patch(current)
        await write.apply(session, user, current, ctx.by)
        out = await resource(ctx, session, user)
    await write.announce(ctx, user)
    return out


async def remove(ctx: Provisioning, ident: str) -> None:
    """The IdP deleted the person: refused everywhere from now on, kept for the audit trail."""
    async with ctx.sessions.begin() as session:
        user = await _row(session, ident)
        user.deleted_at = utcnow()
        user.disabled_at, user.disabled_by = user.disabled_at or utcnow(), ctx.by
        await session.execute(delete(ScimMember).where(ScimMember.user_id == user.id))
    await people.announce_disabled(
        audit=ctx.audit,
        cache=ctx.cache,
        person=user,
        disabled=True,
        by=ctx.by,
        via="scim",
        reason="deleted by the IdP",
    )
