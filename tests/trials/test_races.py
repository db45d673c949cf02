"""Two approvals at the same instant, on two replicas (two engines), on SQLite and PostgreSQL:
a department runs one trial at a time, so exactly one wins, the other gets the ja+en 409 that
names the winner, and the department's policy changes once (``policy_doc.claim`` and the
partial unique index ``uq_trials_one_running``). Both approvals are held until each has passed
the ``none_running`` check, the exact window the check alone lost. Two approvals of one trial
(two tabs) and two decisions on one trial (its maker, and IT on their behalf) likewise: one
step, one policy change. A send-back and an approval at once: one step, the other a 409 (was a
500 on SQLite, whose reads take no row lock)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from audit.models import AuditEvent
from audit.reports import KpiSource
from audit.writer import AuditWriter
from gateway.kernel.db import make_sync_engine, sessionmaker
from gateway.kernel.errors import Conflict
from gateway.kernel.events import EventIn
from gateway.kernel.principal import Principal, Role
from gateway.kernel.vocab import EventType, TrialAction, TrialDecision, TrialStage
from gateway.trials import decisions, policy_doc, service
from gateway.trials.proposal import Proposal
from gateway.trials.service import Desk, TrialOut
from policies.model import Policy
from policies.store import PolicyDatabase, PolicyStore
from policies.versions import PolicyVersion
from tests.fixtures.policies import EXAMPLES
from tests.support.engines import open_engine

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("dispose_engines")]
ADMIN = Principal(1, "tanaka@demo.kakehashi.example", "情報システム部", Role.ADMIN, "session")
MANAGER = Principal(2, "suzuki@demo.kakehashi.example", "営業部", Role.MANAGER, "session")
GENERAL = Principal(3, "boss@example.co.jp", "総務部", Role.MANAGER, "session")
IT_MANAGER = Principal(4, "ops@example.co.jp", "情報システム部", Role.MANAGER, "session")


async def _replica(url: str, events: list[EventIn], writer: AuditWriter | None = None) -> Desk:
    engine = open_engine(url)
    sessions = sessionmaker(engine)
    store = PolicyStore(
        directory=None,
        fallback=Policy(),
        interval_s=0,
        database=PolicyDatabase(sessions=sessions, seed=EXAMPLES),
    )

    async def sink(event: EventIn) -> None:
        events.append(event)
        if writer is not None:
            await writer.append(event)

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


def _together(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
    """Both steps go on from ``owner.name`` only once each has reached it (or after 0.5 s: on
    PostgreSQL the row lock of ``load`` holds a second step on the same trial before it)."""
    barrier = asyncio.Barrier(2)
    original: Callable[..., Awaitable[Any]] = getattr(owner, name)

    async def held(*args: Any, **kwargs: Any) -> Any:
        result = await original(*args, **kwargs) if name == "load" else None
        try:
            async with asyncio.timeout(0.5):
                await barrier.wait()
        except TimeoutError:
            pass
        return result if name == "load" else await original(*args, **kwargs)

    monkeypatch.setattr(owner, name, held)


def _approve(desk: Desk, trial_id: int) -> Awaitable[TrialOut]:
    return service.approve(
        desk=desk,
        principal=ADMIN,
        trial_id=trial_id,
        comment="承認",
        models=None,
        budget_yen=None,
        block=None,
    )


async def _race(first: Desk, second: Desk, ids: tuple[int, int]) -> list[TrialOut | BaseException]:
    return await asyncio.gather(
        _approve(first, ids[0]), _approve(second, ids[1]), return_exceptions=True
    )


def _policy_written_in_turn(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """A second step writes the policy only after the first step finished (set the event):
    the interleaving in which a step that read the trial before the first committed would
    otherwise write the policy a second time."""
    first_done, callers = asyncio.Event(), []
    stage: Callable[..., Awaitable[Any]] = decisions.stage_department_policy

    async def in_turn(**kwargs: Any) -> Any:
        callers.append(kwargs["author"])
        if len(callers) > 1:
            await first_done.wait()
        return await stage(**kwargs)

    monkeypatch.setattr(decisions, "stage_department_policy", in_turn)
    return first_done


async def _decide(
    desk: Desk, who: Principal, trial_id: int, person: str, done: asyncio.Event
) -> TrialOut:
    try:
        return await _decision(desk, who, trial_id, person)
    finally:
        done.set()


async def _decision(desk: Desk, who: Principal, trial_id: int, person: str) -> TrialOut:
    return await decisions.decide(
        desk=desk,
        source=KpiSource(desk.sessions, desk.policies, ZoneInfo("Asia/Tokyo")),
        principal=who,
        trial_id=trial_id,
        decision=TrialDecision.EXPAND,
        comment="対象者を追加",
        people=[person],
        on_behalf=who is ADMIN,
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
    _together(monkeypatch, policy_doc, "claim")  # each approval past ``none_running``

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

    # Two decisions at once on the running trial: its maker and IT on their behalf, both
    # having read the trial (the version both decide on) before either goes on.
    monkeypatch.undo()
    _together(monkeypatch, decisions, "load")
    done = _policy_written_in_turn(monkeypatch)
    results = await asyncio.gather(
        _decide(first, GENERAL, c, "x@example.co.jp", done),
        _decide(second, ADMIN, c, "y@example.co.jp", done),
        return_exceptions=True,
    )
    decided = [r for r in results if isinstance(r, TrialOut)]
    assert len(decided) == 1, results
    assert [type(r) for r in results].count(Conflict) == 1, results
    assert await _versions(first, "総務部") == general + 2
    section = (await policy_doc.read_document(store=first.policies, department="総務部"))["trial"]
    assert section["people"] == decided[0].proposal.people


async def test_a_send_back_and_an_approval_at_once_make_one_step_and_a_409(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = await _replica(db_url, []), await _replica(db_url, [])
    d = await _submitted(first, "運用手順", IT_MANAGER)
    _together(monkeypatch, service, "load")  # both read the submitted trial
    approval_done, step = asyncio.Event(), service.step

    async def after_the_approval(**kwargs: Any) -> TrialOut:
        if kwargs["action"] is TrialAction.SENT_BACK:  # its write, once the approval's is in
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):  # PostgreSQL: ``load``'s row lock orders them
                    await approval_done.wait()
        return await step(**kwargs)

    async def approval() -> TrialOut:
        try:
            return await _approve(first, d)
        finally:
            approval_done.set()

    monkeypatch.setattr(service, "step", after_the_approval)
    back = service.send_back(desk=second, principal=ADMIN, trial_id=d, comment="予算の根拠を")
    results = await asyncio.gather(approval(), back, return_exceptions=True)
    assert [type(r) for r in results].count(TrialOut) == 1, results
    assert [type(r) for r in results].count(Conflict) == 1, results
    _, steps = await service.history(desk=first, principal=ADMIN, trial_id=d)
    assert [s.version for s in steps] == [1, 2]


async def test_steps_are_audited_after_commit_so_a_waiting_audit_writer_is_not_locked_out(
    sqlite_url: str,
) -> None:
    """``audit_wait_for_commit`` on SQLite: the writer's commit needs the write lock that a
    step's transaction holds, so a step audited inside it failed ("database is locked")."""
    engine = open_engine(sqlite_url)
    sync = make_sync_engine(sqlite_url)
    writer = AuditWriter(sessionmaker(engine), sync_engine=sync, wait_for_commit=True)
    writer.start()
    try:
        desk = await _replica(sqlite_url, [], writer)
        await _approve(desk, await _submitted(desk, "営業メール"))
    finally:
        await writer.stop()
        sync.dispose()
    async with desk.sessions() as session:
        kinds = (
            await session.scalars(select(AuditEvent.event_type).order_by(AuditEvent.seq))
        ).all()
    mine = {EventType.TRIAL_SUBMITTED, EventType.POLICY_CHANGED, EventType.TRIAL_APPROVED}
    assert [k for k in kinds if k in mine] == [
        EventType.TRIAL_SUBMITTED.value,
        EventType.POLICY_CHANGED.value,
        EventType.TRIAL_APPROVED.value,
    ], kinds
