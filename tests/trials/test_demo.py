"""The demo has one trial at each stage, written once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlalchemy import select

from gateway.demo.data import DEMO_USERS
from gateway.demo.folder import KEEP_DAYS
from gateway.demo.trials import seed_trials
from gateway.kernel.db import make_async_engine, sessionmaker
from gateway.kernel.principal import Role
from gateway.kernel.vocab import TrialStage
from gateway.trials.models import TrialRow, TrialStep
from gateway.trials.proposal import Proposal


def test_the_demo_has_one_trial_at_each_stage_written_once(sqlite_url: str) -> None:
    async def seed() -> tuple[int, int, list[TrialRow], list[TrialStep]]:
        engine = make_async_engine(sqlite_url)
        try:
            async with sessionmaker(engine).begin() as session:
                first = await seed_trials(session=session, today=date(2026, 12, 3))
            async with sessionmaker(engine).begin() as session:
                again = await seed_trials(session=session, today=date(2026, 12, 3))
                rows = list(await session.scalars(select(TrialRow)))
                steps = list(await session.scalars(select(TrialStep)))
            return first, again, rows, steps
        finally:
            await engine.dispose()

    first, again, rows, steps = asyncio.run(seed())
    assert (first, again) == (6, 0)
    assert {r.stage for r in rows} == {s.value for s in TrialStage}
    proposals = {r.stage: Proposal.model_validate(r.proposal) for r in rows}  # all valid
    today = date(2026, 12, 3)
    running = proposals[TrialStage.APPROVED]
    assert running.start < today < running.end  # in progress, a review ahead
    assert running.next_review(today) == today + timedelta(days=1)
    assert proposals[TrialStage.SUBMITTED].start > today + timedelta(days=KEEP_DAYS)
    # whoever signs in to the demo takes part (the policy's people once a decision writes it)
    assert {"sato@demo.kakehashi.example", "suzuki@demo.kakehashi.example"} <= set(running.people)
    people = {u.email: u for u in DEMO_USERS}  # the dev IdP's sign-in list
    for row in rows:  # each department's own manager (IT: its admin) proposes and decides
        proposer = people[row.created_by]
        assert (proposer.department, proposer.role.at_least(Role.MANAGER)) == (row.department, True)
        assert Proposal.model_validate(row.proposal).decision_maker == row.created_by
    own = {"drafted", "submitted", "resubmitted", "decided"}  # IT sends back and approves
    by_id = {row.id: row for row in rows}
    assert all(s.actor == by_id[s.trial_id].created_by for s in steps if s.action in own)
