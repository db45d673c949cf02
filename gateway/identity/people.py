"""The people service: everyone who has signed in, was provisioned or holds a key, and the one
place a person's department, role and disabled state change (sign-in, SCIM, the people page,
the CLI).

A change is committed first and then announced through ``KeyCache.people_changed`` (the people
epoch), so API keys act with the person's *current* department and role on their next request
on every replica (issue 15). Sessions read the person's row on each request already.
Keyword-only arguments, no ``Request``: the JSON route, the page and the CLI are thin callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.usage import Usage, usage_by_person
from gateway.identity.models import ApiKey, User, WebSession
from gateway.kernel.clock import UTC, utcnow
from gateway.kernel.errors import BadRequest, NotFound, account_disabled
from gateway.kernel.events import AuditSink, EventIn
from gateway.kernel.principal import Role
from gateway.kernel.vocab import EventType, Outcome

Via = Literal["web", "api", "cli", "scim", "sign-in"]
Action = Literal["disable", "enable"]


class KeyCache(Protocol):
    """What a change needs of ``gateway.identity.keycache.KeyCache`` (or the CLI's epoch)."""

    async def people_changed(self) -> None: ...


class PersonOut(BaseModel):
    id: int
    email: str
    display_name: str
    department: str
    role: str
    status: str  # active | disabled
    disabled_at: datetime | None
    disabled_by: str | None
    disabled_reason: str | None
    last_login_at: datetime | None
    last_seen_at: datetime | None  # the latest of sign-in, browser activity and chat use
    active_keys: int
    requests_this_month: int
    tokens_this_month: int
    cost_jpy_this_month: float


@dataclass(frozen=True)
class Upserted:
    user: User
    created: bool
    before: tuple[str, str]  # department and role before (the new ones when created)

    @property
    def changed(self) -> bool:
        """Department or role differ from before: existing keys must follow."""
        return self.before != (self.user.department, self.user.role)


def _latest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def _out(user: User, *, keys: int, seen: datetime | None, use: Usage) -> PersonOut:
    return PersonOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        department=user.department,
        role=user.role,
        status="disabled" if user.disabled_at or user.deleted_at else "active",
        disabled_at=user.disabled_at or user.deleted_at,
        disabled_by=user.disabled_by,
        disabled_reason=user.disabled_reason,
        last_login_at=user.last_login_at,
        last_seen_at=_latest(user.last_login_at, seen, use.last_at),
        active_keys=keys,
        requests_this_month=use.requests,
        tokens_this_month=use.tokens,
        cost_jpy_this_month=use.cost_jpy,
    )


def month_start(timezone: str, now: datetime | None = None) -> datetime:
    """The start of the local calendar month (Japan time by default), in UTC."""
    local = (now or utcnow()).astimezone(ZoneInfo(timezone))
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return first.astimezone(UTC)


async def list_people(
    *, session: AsyncSession, timezone: str, department: str | None = None
) -> list[PersonOut]:
    """Everyone, by department then e-mail, with their use this local month."""
    now = utcnow()
    live_key = (ApiKey.revoked_at.is_(None)) & (
        ApiKey.expires_at.is_(None) | (ApiKey.expires_at > now)
    )
    counted = select(ApiKey.user_id, func.count()).where(live_key).group_by(ApiKey.user_id)
    keys: dict[int, int] = dict((await session.execute(counted)).all())
    latest = select(WebSession.user_id, func.max(WebSession.last_seen_at))
    latest = latest.group_by(WebSession.user_id)
    seen: dict[int, datetime] = dict((await session.execute(latest)).all())
    use = await usage_by_person(session=session, since=month_start(timezone, now))
    query = select(User).order_by(User.department, User.email)
    if department is not None:
        query = query.where(User.department == department)
    return [
        _out(u, keys=keys.get(u.id, 0), seen=seen.get(u.id), use=use.get(u.email, Usage()))
        for u in (await session.execute(query)).scalars()
    ]


@dataclass(frozen=True)
class Named:
    """A person as a form offers them (a decision-maker chosen from the directory)."""

    email: str
    display_name: str
    department: str


def _active() -> ColumnElement[bool]:
    return User.disabled_at.is_(None) & User.deleted_at.is_(None)


async def directory(*, sessions: async_sessionmaker[AsyncSession]) -> list[Named]:
    """Everyone active (not disabled or deleted), by department then e-mail."""
    query = select(User.email, User.display_name, User.department).where(_active())
    async with sessions() as session:
        rows = await session.execute(query.order_by(User.department, User.email))
    return [Named(email=e, display_name=n, department=d) for e, n, d in rows.all()]


async def is_active(*, sessions: async_sessionmaker[AsyncSession], email: str) -> bool:
    """Whether ``email`` is a person of the directory who is not disabled or deleted."""
    query = select(User.id).where(User.email == email.strip().lower(), _active())
    async with sessions() as session:
        return (await session.scalar(query)) is not None


async def find_person(*, session: AsyncSession, email: str) -> User:
    user = (
        await session.execute(select(User).where(User.email == email.strip().lower()))
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"{email} という利用者はいません。", f"No person {email}.")
    return user


async def _existing(session: AsyncSession, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def upsert_person(
    *,
    session: AsyncSession,
    email: str,
    department: str,
    role: Role,
    display_name: str = "",
    external_id: str | None = None,
) -> Upserted:
    """Create or update a person as the IdP (or the CLI) describes them, in the caller's
    transaction; after the commit, call ``KeyCache.people_changed`` when ``changed``."""
    email = email.strip().lower()
    user = await _existing(session, email)
    if user is None:
        # One statement judged by the unique e-mail, not look-up-then-add: a first sign-in in
        # two tabs (or on two replicas) finds nobody twice, and the second insert failed (500).
        # The loser's insert waits for the winner's commit, then adds nothing; it goes on as an
        # update of the winner's row, so both sign in as the one same person.
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        added = insert(User).values(
            email=email,
            department=department,
            role=role.value,
            display_name=display_name,
            external_id=external_id,
        )
        ours = added.on_conflict_do_nothing(index_elements=[User.email]).returning(User.id)
        created = (await session.execute(ours)).scalar_one_or_none() is not None
        query = select(User).where(User.email == email)  # rows are never deleted
        user = (await session.execute(query)).scalar_one()
        if created:
            return Upserted(user, created=True, before=(department, role.value))
    before = (user.department, user.role)
    user.department, user.role = department, role.value
    user.display_name = display_name or user.display_name
    user.external_id = external_id or user.external_id
    await session.flush()
    return Upserted(user, created=False, before=before)


async def sign_in(
    *, session: AsyncSession, email: str, department: str, role: Role, display_name: str
) -> Upserted:
    """The IdP vouched for this person just now: refresh their department and role from the
    groups mapping; refuse a disabled person (``AccountDisabled``)."""
    done = await upsert_person(
        session=session, email=email, department=department, role=role, display_name=display_name
    )
    if done.user.disabled_at is not None or done.user.deleted_at is not None:
        raise account_disabled()
    done.user.last_login_at = utcnow()
    return done


async def set_disabled(
    *,
    sessions: async_sessionmaker[AsyncSession],
    audit: AuditSink,
    cache: KeyCache,
    person_id: int,
    disabled: bool,
    by: str,
    via: Via,
    actor_id: int | None = None,
    reason: str = "",
) -> PersonOut:
    """Disable (every session and key refused on its next request, on every replica) or enable
    a person; audited as ``user.disabled``/``user.enabled`` with who did it and why."""
    if disabled and actor_id == person_id:
        raise BadRequest(
            "自分自身は無効化できません (情シス管理者がいなくなるのを防ぐため)。",
            "You cannot disable yourself (so that an IT admin always remains).",
        )
    async with sessions.begin() as session:
        user = await session.get(User, person_id)
        if user is None or (user.deleted_at is not None and not disabled):
            raise NotFound("その利用者はいません。", "No such person.")
        changed = (user.disabled_at is not None) != disabled
        if changed:
            user.disabled_at = utcnow() if disabled else None
            user.disabled_by = by if disabled else None
            user.disabled_reason = (reason[:500] or None) if disabled else None
        if changed and not disabled:
            # Sessions from before the disable stay ended: the person signs in again.
            await session.execute(delete(WebSession).where(WebSession.user_id == person_id))
        out = _out(user, keys=0, seen=None, use=Usage())
    if changed:
        await announce_disabled(
            audit=audit, cache=cache, person=out, disabled=disabled, by=by, via=via, reason=reason
        )
    return out


async def announce_created(*, audit: AuditSink, user: User, by: str) -> None:
    await audit(
        EventIn(
            event_type=EventType.USER_PROVISIONED,
            outcome=Outcome.OK,
            user_email=user.email,
            department=user.department,
            role=user.role,
            detail={"by": by, "via": "scim"},
        )
    )


async def announce_disabled(
    *,
    audit: AuditSink,
    cache: KeyCache,
    person: PersonOut | User,
    disabled: bool,
    by: str,
    via: Via,
    reason: str = "",
) -> None:
    """After the commit of a disable or an enable: keys follow everywhere, and it is audited."""
    await cache.people_changed()
    await audit(
        EventIn(
            event_type=EventType.USER_DISABLED if disabled else EventType.USER_ENABLED,
            outcome=Outcome.OK,
            user_email=person.email,
            department=person.department,
            role=person.role,
            detail={"by": by, "via": via, "reason": reason[:500]},
        )
    )


async def announce_change(
    *, audit: AuditSink, cache: KeyCache, done: Upserted, by: str, via: Via
) -> None:
    """After the commit of an upsert: when it moved the person or changed their role, their
    keys follow on the next request everywhere, and the change is audited."""
    if not done.changed:
        return
    user, before = done.user, done.before
    await cache.people_changed()
    await audit(
        EventIn(
            event_type=EventType.USER_CHANGED,
            outcome=Outcome.OK,
            user_email=user.email,
            department=user.department,
            role=user.role,
            detail={
                "by": by,
                "via": via,
                "from": {"department": before[0], "role": before[1]},
                "to": {"department": user.department, "role": user.role},
            },
        )
    )
