"""Two first arrivals of one person at the same instant, on two replicas (two engines), on
SQLite and PostgreSQL: both have looked the person up and found nobody before either writes,
the exact window a look-up-then-insert lost (the loser hit the unique e-mail: a 500).

A first sign-in in two tabs: both sign in, as the one same person. Two SCIM POSTs of one
userName: one 201, the other the 409 ``uniqueness`` of RFC 7644 §3.3; two renames (PUT) of
two people to one userName likewise: one rename, one 409; two POSTs of a person the IdP had
deleted likewise (both found the deleted row; both were a 201)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from scim2_models import User as ScimUser
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.identity import people
from gateway.identity.models import User
from gateway.identity.scim import users
from gateway.identity.scim.context import Provisioning
from gateway.kernel.db import sessionmaker
from gateway.kernel.errors import Conflict
from gateway.kernel.events import EventIn
from gateway.kernel.principal import Role
from gateway.kernel.settings import OidcSettings
from tests.support.engines import open_engine

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("dispose_engines")]
EMAIL = "yamada@example.co.jp"


def _replica(url: str) -> async_sessionmaker[AsyncSession]:
    engine = open_engine(url)
    return sessionmaker(engine)


def _held_while_nobody(
    monkeypatch: pytest.MonkeyPatch,
    owner: object,
    name: str,
    nobody: Callable[[Any], bool] = lambda found: found is None,
) -> None:
    """A look-up that finds nobody goes on only once the other one has found nobody too (or
    after 0.5 s, when a lock already orders them)."""
    barrier = asyncio.Barrier(2)
    original: Callable[..., Awaitable[Any]] = getattr(owner, name)

    async def held(*args: Any, **kwargs: Any) -> Any:
        found = await original(*args, **kwargs)
        if nobody(found):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    await barrier.wait()
        return found

    monkeypatch.setattr(owner, name, held)


async def _count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).where(User.email == EMAIL)) or 0)


async def test_a_first_sign_in_in_two_tabs_at_once_signs_in_one_person(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _replica(db_url), _replica(db_url)
    _held_while_nobody(monkeypatch, people, "_existing")

    async def sign_in(sessions: async_sessionmaker[AsyncSession]) -> people.Upserted:
        async with sessions.begin() as session:
            return await people.sign_in(
                session=session,
                email=EMAIL.upper(),
                department="営業部",
                role=Role.STAFF,
                display_name="山田 花子",
            )

    results = await asyncio.gather(sign_in(first), sign_in(second), return_exceptions=True)
    done = [r for r in results if isinstance(r, people.Upserted)]
    assert len(done) == 2, results
    assert done[0].user.id == done[1].user.id
    assert sorted(d.created for d in done) == [False, True]
    assert not any(d.changed for d in done)  # nothing moved: no USER_CHANGED for the loser
    assert all(d.user.last_login_at is not None for d in done)
    assert await _count(first) == 1


def _provisioning(
    sessions: async_sessionmaker[AsyncSession], events: list[EventIn]
) -> Provisioning:
    class Epoch:
        async def people_changed(self) -> None:
            return None

    async def sink(event: EventIn) -> None:
        events.append(event)

    return Provisioning(
        sessions=sessions,
        audit=sink,
        cache=Epoch(),
        mapping=OidcSettings(),
        base="https://gw.example/scim/v2",
    )


async def _two_creates(
    first: Provisioning, second: Provisioning, given: ScimUser[Any]
) -> ScimUser[Any]:
    """Two POSTs of ``given`` at once: the one created, after checking the other is the 409."""
    results = await asyncio.gather(
        users.create(first, given), users.create(second, given), return_exceptions=True
    )
    created = [r for r in results if isinstance(r, ScimUser)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(created) == 1, results
    assert len(refused) == 1, results
    assert refused[0].status == 409  # the SCIM router answers it as scimType "uniqueness"
    assert f"userName {EMAIL} is already taken" in refused[0].en
    return created[0]


async def test_two_scim_creates_of_one_user_name_at_once_make_one_user_and_a_409(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[EventIn] = []
    first, second = _provisioning(_replica(db_url), events), _provisioning(_replica(db_url), events)
    _held_while_nobody(monkeypatch, users, "_taken")
    given = ScimUser(user_name=EMAIL, display_name="山田 花子", active=True)

    created = await _two_creates(first, second, given)
    assert created.user_name == EMAIL
    assert await _count(first.sessions) == 1
    assert len(events) == 1  # provisioned once


async def test_two_scim_renames_to_one_user_name_at_once_make_one_rename_and_a_409(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _provisioning(_replica(db_url), []), _provisioning(_replica(db_url), [])
    a = await users.create(first, ScimUser(user_name="a@example.co.jp"))
    b = await users.create(first, ScimUser(user_name="b@example.co.jp"))
    assert a.id is not None
    assert b.id is not None
    _held_while_nobody(monkeypatch, users, "_taken")
    renamed = ScimUser(user_name=EMAIL)

    results = await asyncio.gather(
        users.replace(first, a.id, renamed),
        users.replace(second, b.id, renamed),
        return_exceptions=True,
    )
    assert [type(r) for r in results].count(ScimUser) == 1, results
    assert [type(r) for r in results].count(Conflict) == 1, results
    assert await _count(first.sessions) == 1


async def test_two_scim_creates_of_a_deleted_person_at_once_bring_them_back_once(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[EventIn] = []
    first, second = _provisioning(_replica(db_url), events), _provisioning(_replica(db_url), events)
    given = ScimUser(user_name=EMAIL, display_name="山田 花子", active=True)
    gone = await users.create(first, given)
    assert gone.id is not None
    await users.remove(first, gone.id)
    events.clear()

    def deleted(found: Any) -> bool:
        return found is not None and found.deleted_at is not None

    _held_while_nobody(monkeypatch, users, "_taken", deleted)  # both found the deleted row

    back = await _two_creates(first, second, given)
    assert back.id == gone.id  # the same person, kept for the audit trail, is back
    assert await _count(first.sessions) == 1
    assert len(events) == 1  # provisioned again once
