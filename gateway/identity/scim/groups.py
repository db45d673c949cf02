"""SCIM Groups (RFC 7644 §3): the IdP's groups and their members. Every change of a group's
name or members recomputes its members' department and role with the sign-in mapping
(``gateway.identity.scim.context.reassign``); the moves are announced after the commit, so the
people's existing keys follow on their next request. Members that are not provisioned users
are left out (nested groups are not supported).
"""

from __future__ import annotations

import uuid

from scim2_models import Group as ScimGroupResource
from scim2_models import GroupMember, Meta, PatchOp
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity.models import ScimGroup, ScimMember, User
from gateway.identity.scim.context import Provisioning, reassign
from gateway.kernel.clock import utcnow
from gateway.kernel.errors import BadRequest, NotFound


async def _row(session: AsyncSession, ident: str) -> ScimGroup:
    group = await session.get(ScimGroup, ident)
    if group is None:
        raise NotFound(f"SCIM のグループ {ident} はありません。", f"No SCIM group {ident}.")
    return group


async def _members(session: AsyncSession, group_id: str) -> set[int]:
    query = select(ScimMember.user_id).where(ScimMember.group_id == group_id)
    return set((await session.execute(query)).scalars())


async def resource(ctx: Provisioning, session: AsyncSession, group: ScimGroup) -> ScimGroupResource:
    members = [
        GroupMember(value=str(uid), ref=ctx.location("Users", uid), type="User")
        for uid in sorted(await _members(session, group.id))
    ]
    return ScimGroupResource(
        id=group.id,
        external_id=group.external_id,
        display_name=group.display_name,
        members=members or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            location=ctx.location("Groups", group.id),
        ),
    )


async def everyone(ctx: Provisioning) -> list[ScimGroupResource]:
    async with ctx.sessions() as session:
        rows = await session.execute(select(ScimGroup).order_by(ScimGroup.created_at))
        return [await resource(ctx, session, g) for g in rows.scalars()]


async def get(ctx: Provisioning, ident: str) -> ScimGroupResource:
    async with ctx.sessions() as session:
        return await resource(ctx, session, await _row(session, ident))


async def _wanted(session: AsyncSession, given: ScimGroupResource) -> set[int]:
    ids = {int(m.value) for m in given.members or [] if m.value and str(m.value).isdigit()}
    if not ids:
        return set()
    live = select(User.id).where(User.id.in_(ids), User.deleted_at.is_(None))
    return set((await session.execute(live)).scalars())


async def _write(
    ctx: Provisioning, session: AsyncSession, group: ScimGroup, given: ScimGroupResource
) -> None:
    if not (given.display_name or "").strip():
        raise BadRequest("displayName は必須です。", "displayName is required.")
    before = await _members(session, group.id)
    group.display_name = given.display_name or ""
    group.external_id = given.external_id
    group.updated_at = utcnow()
    wanted = await _wanted(session, given)
    for uid in before - wanted:
        await session.execute(
            delete(ScimMember).where(ScimMember.group_id == group.id, ScimMember.user_id == uid)
        )
    session.add_all(ScimMember(group_id=group.id, user_id=uid) for uid in wanted - before)
    await session.flush()
    await reassign(ctx, session, before | wanted)


async def create(ctx: Provisioning, given: ScimGroupResource) -> ScimGroupResource:
    async with ctx.sessions.begin() as session:
        now = utcnow()
        group = ScimGroup(id=str(uuid.uuid4()), display_name="", created_at=now, updated_at=now)
        session.add(group)
        await _write(ctx, session, group, given)
        out = await resource(ctx, session, group)
    await ctx.announce()
    return out


async def replace(ctx: Provisioning, ident: str, given: ScimGroupResource) -> ScimGroupResource:
    async with ctx.sessions.begin() as session:
        group = await _row(session, ident)
        await _write(ctx, session, group, given)
        out = await resource(ctx, session, group)
    await ctx.announce()
    return out


async def patch(
    ctx: Provisioning, ident: str, operations: PatchOp[ScimGroupResource]
) -> ScimGroupResource:
    async with ctx.sessions.begin() as session:
        group = await _row(session, ident)
        current = await resource(ctx, session, group)
        operations.patch(current)
        await _write(ctx, session, group, current)
        out = await resource(ctx, session, group)
    await ctx.announce()
    return out


async def remove(ctx: Provisioning, ident: str) -> None:
    async with ctx.sessions.begin() as session:
        group = await _row(session, ident)
        members = await _members(session, group.id)
        await session.execute(delete(ScimMember).where(ScimMember.group_id == group.id))
        await session.delete(group)
        await session.flush()
        await reassign(ctx, session, members)
    await ctx.announce()
