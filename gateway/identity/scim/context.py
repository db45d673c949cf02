"""What every SCIM operation needs (the database, the audit sink, the key cache to announce
changes to, the sign-in mapping, the endpoint's base URL), and the one rule that turns a
person's SCIM groups into a department and role: the ``oidc.mapping`` rules sign-in uses,
applied to the groups' display names and external ids as if they were a groups claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.identity import oidc, people
from gateway.identity.models import ScimGroup, ScimMember, User
from gateway.kernel.events import AuditSink
from gateway.kernel.principal import Role
from gateway.kernel.settings import OidcSettings

UNASSIGNED = ""  # in no mapped group: no department, no rights beyond staff


@dataclass
class Provisioning:
    sessions: async_sessionmaker[AsyncSession]
    audit: AuditSink
    cache: people.KeyCache
    mapping: OidcSettings
    base: str  # https://host/scim/v2
    client: str = "scim"  # the provisioning token's name, recorded as who made each change
    moved: list[people.Upserted] = field(default_factory=list)  # to announce after the commit

    @property
    def by(self) -> str:
        return f"scim:{self.client}"

    def location(self, kind: str, ident: object) -> str:
        return f"{self.base}/{kind}/{ident}"

    async def announce(self) -> None:
        """After the commit: the moved people's keys follow, and each move is audited."""
        moved, self.moved = self.moved, []
        for done in moved:
            await people.announce_change(
                audit=self.audit, cache=self.cache, done=done, by=self.by, via="scim"
            )


async def groups_of(session: AsyncSession, user_id: int) -> list[ScimGroup]:
    query = (
        select(ScimGroup)
        .join(ScimMember, ScimMember.group_id == ScimGroup.id)
        .where(ScimMember.user_id == user_id)
        .order_by(ScimGroup.display_name)
    )
    return list((await session.execute(query)).scalars())


async def reassign(ctx: Provisioning, session: AsyncSession, user_ids: set[int]) -> None:
    """Department and role of ``user_ids`` from their groups now (inside the transaction);
    the moves are kept on ``ctx`` for ``announce`` after the commit."""
    for user_id in sorted(user_ids):
        user = await session.get(User, user_id)
        if user is None or user.deleted_at is not None:
            continue
        names = [
            n
            for g in await groups_of(session, user_id)
            for n in (g.display_name, g.external_id)
            if n
        ]
        found = oidc.assign({ctx.mapping.groups_claim: names}, ctx.mapping)
        department = found.department if found else UNASSIGNED
        role = found.role if found else Role(ctx.mapping.default_role)
        before = (user.department, user.role)
        user.department, user.role = department, role.value
        if before != (department, role.value):
            ctx.moved.append(people.Upserted(user, created=False, before=before))
