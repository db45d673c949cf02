"""KPIs over a fixed synthetic November, checked against numbers worked out by hand.

営業部 runs a 90-day trial from 2026-11-02 (10 eligible people, targets 10 h/week and half of
them active). Times are UTC; the comments give Tokyo time where it decides the period.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from audit import kpi, periods
from audit.chain import EventIn
from audit.kpi import Kpis
from audit.models import Feedback
from audit.writer import append_batch
from gateway.kernel.db import make_async_engine, sessionmaker
from policies.model import Policy, Trial, TrialTargets, UseCase
from policies.resolve import PolicySet

TOKYO = ZoneInfo("Asia/Tokyo")
NOVEMBER = periods.period_of("month", date(2026, 11, 15))
SALES = "営業部"

USE_CASES = {
    "chat": UseCase(label="相談", minutes_saved=3),
    "email_draft": UseCase(label="メール下書き", minutes_saved=10),
    "summary": UseCase(label="要約", minutes_saved=15),
}
POLICIES = PolicySet(
    default=Policy(use_cases=USE_CASES),
    by_department={
        SALES: Policy(
            department=SALES,
            use_cases=USE_CASES,
            trial=Trial(
                start=date(2026, 11, 2),
                end=date(2027, 1, 30),
                eligible_users=10,
                targets=TrialTargets(hours_saved_per_week=10, active_user_share=0.5),
            ),
        )
    },
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def chat(rid: str, user: str, use_case: str, at: datetime, **kw: Any) -> EventIn:
    department = kw.pop("department", SALES)
    return EventIn(
        event_type="chat.completion",
        outcome=kw.pop("outcome", "ok"),
        request_id=rid,
        user_email=user,
        department=department,
        role="staff",
        model="mock-model",
        use_case=use_case,
        created_at=at,
        **kw,
    )


EVENTS = [
    # 2026-11-01 00:30 Tokyo: November (but before the trial's first day).
    chat("e1", "a@x.jp", "email_draft", utc(2026, 10, 31, 15, 30), cost_jpy=10.0,
         prompt_tokens=100, completion_tokens=50, redactions={"PERSON": 2}),
    chat("e2", "a@x.jp", "email_draft", utc(2026, 11, 5, 1), cost_jpy=20.0,
         prompt_tokens=200, completion_tokens=100),
    chat("e3", "b@x.jp", "summary", utc(2026, 11, 10, 3), cost_jpy=30.0,
         prompt_tokens=10, completion_tokens=10),
    chat("e4", "b@x.jp", "summary", utc(2026, 11, 11, 3), cost_jpy=5.0),
    chat("e5", "c@x.jp", "chat", utc(2026, 11, 12, 3), outcome="refused",
         status_code=429, error_code="quota_exceeded"),
    chat("e6", "c@x.jp", "chat", utc(2026, 11, 13, 3), outcome="error",
         status_code=502, error_code="upstream_error"),
    # 2026-12-01 00:10 Tokyo: December.
    chat("e7", "d@x.jp", "chat", utc(2026, 11, 30, 15, 10), cost_jpy=100.0),
    # 2026-10-31 23:50 Tokyo: October.
    chat("e8", "a@x.jp", "email_draft", utc(2026, 10, 31, 14, 50), cost_jpy=100.0),
    chat("e9", "b@x.jp", "summary", utc(2026, 11, 20, 0), cost_jpy=7.0,
         redactions={"PHONE": 1, "PERSON": 1}),
    chat("g1", "x@x.jp", "chat", utc(2026, 11, 5, 2), cost_jpy=50.0, department="総務部"),
    EventIn(event_type="auth.failed", outcome="refused", status_code=401,
            department=SALES, created_at=utc(2026, 11, 6)),
]  # fmt: skip

FEEDBACK = [  # request id, rating, helpful, minutes the user reported
    ("e1", 3, None, None),  # 3 stars: neutral, still accepted (docs/kpi.md: only 1-2 reject)
    ("e2", 5, None, 25.0),
    ("e3", 2, None, None),  # rated down: not accepted
    ("e4", None, True, None),
    ("e9", None, False, 40.0),  # 👎: not accepted, its minutes do not count
]


async def _load(url: str) -> None:
    engine = make_async_engine(url)
    try:
        async with sessionmaker(engine).begin() as session:
            await append_batch(session, EVENTS)
            for rid, rating, helpful, minutes in FEEDBACK:
                session.add(
                    Feedback(
                        request_id=rid,
                        user_email="?",
                        department=SALES,
                        rating=rating,
                        helpful=helpful,
                        minutes_saved=minutes,
                        created_at=utc(2026, 11, 21),
                        updated_at=utc(2026, 11, 21),
                    )
                )
    finally:
        await engine.dispose()


@pytest.fixture
def month_db(db_url: str) -> Iterator[str]:
    asyncio.run(_load(db_url))
    return db_url


def compute(url: str, department: str | None, period: periods.Period, **kw: Any) -> Kpis:
    async def _run() -> Kpis:
        engine = make_async_engine(url)
        try:
            async with sessionmaker(engine)() as session:
                return await kpi.compute(
                    session=session,
                    policies=POLICIES,
                    department=department,
                    period=period,
                    tz=TOKYO,
                    **kw,
                )
        finally:
            await engine.dispose()

    return asyncio.run(_run())


def test_periods_are_tokyo_calendar_weeks_and_months() -> None:
    assert periods.Period("month", date(2026, 11, 1), date(2026, 12, 1)) == NOVEMBER
    assert NOVEMBER.utc(TOKYO) == (utc(2026, 10, 31, 15), utc(2026, 11, 30, 15))
    # 2026-11-01 is a Sunday: its week starts on Monday 26 October.
    assert periods.period_of("week", date(2026, 11, 1)).start == date(2026, 10, 26)
    # A report's weeks are clipped to its range: Sunday 1 November is a week of its own.
    november = list(periods.weeks(date(2026, 11, 1), date(2026, 12, 1)))
    assert [(w.start.day, w.last.day) for w in november] == [
        (1, 1), (2, 8), (9, 15), (16, 22), (23, 29), (30, 30),
    ]  # fmt: skip
    assert sum(w.days for w in november) == NOVEMBER.days
    assert [w.span for w in november][::5] == ["11/1–11/1", "11/30–11/30"]
    assert periods.period_of("month", date(2026, 12, 31)).end == date(2027, 1, 1)


def test_department_month_matches_the_hand_computed_numbers(month_db: str) -> None:
    k = compute(month_db, SALES, NOVEMBER)
    # e1 e2 e3 e4 e5 e6 e9 are 営業部's November requests (e7 is December, e8 October in Tokyo).
    assert (k.requests, k.answers, k.refused, k.failed) == (7, 5, 1, 1)
    assert k.refusals == {"quota_exceeded": 1}
    assert k.active_users == 2  # a and b; c got no answer
    assert k.active_share == 0.2  # 2 / 10 eligible
    # Accepted: e1 (3 stars), e2 (5 stars), e4 (👍); e3 (2 stars) and e9 (👎) are not.
    assert k.accepted == 3
    # e1: 10 (email_draft estimate) + e2: 25 (reported) + e4: 15 (summary estimate) = 50 min.
    assert k.minutes_saved == 50
    assert k.hours_saved == 0.83  # 50 / 60
    assert k.hours_saved_per_week == 0.19  # 50/60 h * 7 / 30 days
    assert k.reported_minutes == 1
    by_use = {u.use_case: (u.answers, u.accepted, u.minutes_saved, u.cost_jpy) for u in k.use_cases}
    assert by_use == {"email_draft": (2, 2, 35, 30.0), "summary": (3, 1, 15, 42.0)}
    assert [u.label for u in k.use_cases] == ["メール下書き", "要約"]
    assert (k.ratings, k.mean_rating, k.votes, k.helpful_share) == (3, 3.33, 2, 0.5)
    assert k.cost_jpy == 72  # 10 + 20 + 30 + 5 + 7
    assert k.cost_per_hour_saved == 86.4  # 72 / (50 / 60)
    assert k.tokens == 470  # 150 + 300 + 20
    assert k.redactions == {"PERSON": 3, "PHONE": 1}
    assert k.trial is not None
    # Trial users since 2 November: a (e2), b, c. e1 was on 1 November.
    assert k.trial.trial_users == 3
    assert (k.trial.day, k.trial.days) == (29, 90)  # 30 November is day 29 of 90
    assert k.hours_target_met is False


def test_a_running_month_counts_hours_over_the_days_passed(month_db: str) -> None:
    k = compute(month_db, SALES, NOVEMBER, as_of=date(2026, 11, 15))
    assert k.hours_saved_per_week == 0.39  # 50/60 h * 7 / 15 days
    assert k.trial is not None
    assert k.trial.day == 14  # 15 November


def test_all_departments_use_each_departments_minutes(month_db: str) -> None:
    k = compute(month_db, None, NOVEMBER)
    assert (k.requests, k.answers, k.active_users) == (8, 6, 3)
    assert k.minutes_saved == 53  # 営業部's 50 + g1: chat, 3 minutes (総務部 uses the default)
    assert k.cost_jpy == 122
    assert k.trial is None
    assert k.active_share is None


def test_weeks_split_the_month(month_db: str) -> None:
    series = asyncio.run(_weekly(month_db))
    minutes = {w.period.start.isoformat(): (w.answers, w.minutes_saved) for w in series}
    assert minutes == {
        # The first and last weeks are clipped to November: e8 (31 October, Tokyo) and e7
        # (1 December, Tokyo) are not November's, though their weeks overlap it.
        "2026-11-01": (1, 10),  # e1
        "2026-11-02": (1, 25),  # e2
        "2026-11-09": (2, 15),  # e3 rejected, e4 accepted
        "2026-11-16": (1, 0),  # e9 rejected
        "2026-11-23": (0, 0),
        "2026-11-30": (0, 0),
    }
    # So the rows add up to the month, figure by figure.
    month = compute(month_db, SALES, NOVEMBER)
    for figure in ("requests", "answers", "accepted", "refused", "minutes_saved", "cost_jpy"):
        assert sum(getattr(w, figure) for w in series) == getattr(month, figure), figure
    # A two-day week's per-week figure is its total projected to 7 days.
    assert series[0].hours_saved_per_week == round(10 / 60 * 7 / 1, 2)


async def _weekly(url: str) -> list[Kpis]:
    engine = make_async_engine(url)
    try:
        async with sessionmaker(engine)() as session:
            return await kpi.weekly(
                session=session,
                policies=POLICIES,
                department=SALES,
                start=date(2026, 11, 1),
                end=date(2026, 12, 1),
                tz=TOKYO,
            )
    finally:
        await engine.dispose()
