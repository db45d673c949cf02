"""Two approvals at the same instant, on two replicas (two engines), on SQLite and PostgreSQL:
a department runs one trial at a time, so exactly one wins, the other gets the ja+en 409 that
names the winner, and the department's policy changes once (``policy_doc.claim`` and the
partial unique index ``uq_trials_one_running``). Both approvals are held until each has passed
the ``none_running`` check, the exact window the check alone lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.kernel.db import make_async_engine, sessionmaker
from gateway.kernel.errors import Conflict
from gateway.kernel.events import EventIn
from gateway.kernel.principal import Principal, Role
from gateway.kernel.vocab import EventType, TrialStage
from gateway.trials import policy_doc, service
from gateway.trials.proposal import Proposal
from gateway.trials.service import Desk, TrialOut
from policies.model import Policy
from policies.store import PolicyDatabase, PolicyStore
from policies.versions import PolicyVersion
from tests.fixtures.policies import EXAMPLES

pytestmark = pytest.mark.anyio
ADMIN = Principal(1, "tanaka@demo.kakehashi.example", "情報システム部", Role.ADMIN, "session")
MANAGER = Principal(2, "suzuki@demo.kakehashi.example", "営業部", Role.MANAGER, "session")
GENERAL = Principal(3, "boss@example.co.jp", "総務部", Role.MANAGER, "session")
_ENGINES: list[AsyncEngine] = []


@pytest.fixture(autouse=True)
async def _dispose() -> AsyncIterator[None]:
    yield
    while _ENGINES:
        await _ENGINES.pop().dispose()


async def _replica(url: str, events: list[EventIn]) -> Desk:
    engine = make_async_engine(url)
    _ENGINES.append(engine)
    sessions = sessionmaker(engine)
    store = PolicyStore(
        directory=None,
        fallback=Policy(),
        interval_s=0,
        database=PolicyDatabase(sessions=sessions, seed=EXAMPLES),
    )

    async def sink(event: EventIn) -> None:
        events.append(event)

    async def nobody(reason: str, **detail: object) -> None:
        raise AssertionError(reason)

    async def anyone(email: str) -> bool:
        return True

    await store.start(sink)
    return Desk(sessions=sessions, audit=sink, policies=store, refuse=nobody, is_person=anyone)


async def _submitted(
    desk: Desk, purpose: str, manager: Principal = MANAGER, person: str = "a@example.co.jp"
) -> int:
    proposal = Proposal(
        purpose=purpose,
        tasks=["email_draft"],
        people=[person],
        start=date(2026, 12, 1),
        budget_yen=20000,
        scope="社外秘の資料は添付しない",
        responsibility="出力の確認は作成者",
        cost_bearer="部門経費",
        decision_maker=manager.email,
    )
    out = await service.propose(
        desk=desk, principal=manager, department=manager.department, proposal=proposal, submit=True
    )
    return out.id


def _together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each approval claims only once both have passed ``none_running`` (or after 2 s: on
    PostgreSQL the row lock of ``load`` holds a second approval of the same trial before it)."""
    barrier = asyncio.Barrier(2)
    claim: Callable[..., Awaitable[None]] = policy_doc.claim

    async def held(**kwargs: Any) -> None:
        try:
            async with asyncio.timeout(2):
                await barrier.wait()
        except TimeoutError:
            pass
        await claim(**kwargs)

    monkeypatch.setattr(policy_doc, "claim", held)


async def _race(first: Desk, second: Desk, ids: tuple[int, int]) -> list[TrialOut | BaseException]:
    def approve(desk: Desk, trial_id: int) -> Awaitable[TrialOut]:
        return service.approve(
            desk=desk,
            principal=ADMIN,
            trial_id=trial_id,
            comment="承認",
            models=None,
            budget_yen=None,
            block=None,
        )

    return await asyncio.gather(
        approve(first, ids[0]), approve(second, ids[1]), return_exceptions=True
    )


async def _versions(desk: Desk, department: str = "営業部") -> int:
    async with desk.sessions() as session:
        query = select(func.count()).where(PolicyVersion.department == department)
        return int(await session.scalar(query) or 0)


async def test_two_approvals_at_once_one_wins_and_the_policy_changes_once(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[EventIn] = []
    first, second = await _replica(db_url, events), await _replica(db_url, events)
    a = await _submitted(first, "営業メール A", person="a@example.co.jp")
    b = await _submitted(first, "営業メール B", person="b@example.co.jp")
    before = await _versions(first)
    _together(monkeypatch)

    results = await _race(first, second, (a, b))
    won = [r for r in results if isinstance(r, TrialOut)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1, results
    assert len(lost) == 1, results
    winner = won[0]
    assert winner.stage is TrialStage.APPROVED
    assert f"トライアル #{winner.id} が実施中です" in lost[0].ja
    assert f"Trial #{winner.id} is running in 営業部" in lost[0].en
    assert await _versions(first) == before + 1
    changed = [e for e in events if e.event_type is EventType.POLICY_CHANGED]
    assert len(changed) == 1
    assert f"#{winner.id} 承認" in str(changed[0].detail["reason"])
    loser = a if winner.id == b else b
    async with first.sessions() as session:
        trial = await session.get(service.TrialRow, loser)
        assert trial is not None
        assert trial.stage == TrialStage.SUBMITTED.value
    section = (await policy_doc.read_document(store=second.policies, department="営業部"))["trial"]
    assert section["people"] == winner.proposal.people

    # Two tabs approving one trial: one approval, one 409 (the version in claim's WHERE on
    # SQLite; the row lock of ``load`` on PostgreSQL), one policy change.
    general = await _versions(first, "総務部")
    c = await _submitted(first, "通知文", GENERAL)
    results = await _race(first, second, (c, c))
    assert [type(r) for r in results].count(TrialOut) == 1, results
    assert [type(r) for r in results].count(Conflict) == 1, results
    assert await _versions(first, "総務部") == general + 1
