"""Feedback service on SQLite and PostgreSQL: only the asker's answered requests can be rated,
a second post replaces the first (one row per answer), and browser sessions need the CSRF
token to rate like every other cookie-authenticated change."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit import feedback
from audit.chain import EventIn
from audit.feedback import Rating
from audit.models import Feedback
from audit.writer import append_batch
from gateway.kernel.db import make_async_engine, sessionmaker
from tests.fixtures.oidc import SsoGateway

T = TypeVar("T")
SATO = "sato@demo.kakehashi.example"  # the development IdP's staff member in 営業部
SUZUKI = "suzuki@example.co.jp"
AT = datetime(2026, 11, 5, 1, tzinfo=UTC)


def _chat(rid: str, user: str, outcome: str = "ok") -> EventIn:
    return EventIn(
        event_type="chat.completion",
        outcome=outcome,
        status_code={"ok": 200, "refused": 429, "error": 502, "cancelled": 499}[outcome],
        request_id=rid,
        user_email=user,
        department="営業部",
        role="staff",
        model="mock-model",
        use_case="email_draft",
        created_at=AT,
    )


EVENTS = [
    _chat("mine", SATO),
    _chat("refused", SATO, "refused"),
    _chat("failed", SATO, "error"),
    _chat("cancelled", SATO, "cancelled"),
    _chat("theirs", SUZUKI),
    # Not a chat answer, even though it carries a request id.
    EventIn(event_type="auth.failed", outcome="refused", status_code=401, request_id="login",
            user_email=SATO, created_at=AT),
]  # fmt: skip


def _run(url: str, work: Callable[[AsyncSession], Awaitable[T]], *, commit: bool = True) -> T:
    async def _go() -> T:
        engine = make_async_engine(url)
        try:
            maker = sessionmaker(engine)
            async with maker.begin() if commit else maker() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(_go())


async def _seed(session: AsyncSession) -> None:
    await append_batch(session, EVENTS)


def test_only_the_askers_answers_can_be_rated(db_url: str) -> None:
    _run(db_url, _seed)
    for rid, user in (
        ("theirs", SATO),  # someone else's answer
        ("refused", SATO),  # no answer to rate
        ("failed", SATO),
        ("cancelled", SATO),
        ("login", SATO),  # not a chat completion
        ("nope", SATO),  # unknown
        ("mine", SUZUKI),
    ):

        async def attempt(session: AsyncSession, rid: str = rid, user: str = user) -> object:
            return await feedback.record(
                session=session, request_id=rid, user_email=user, rating=Rating(rating=1)
            )

        assert _run(db_url, attempt) is None, (rid, user)

    async def count(session: AsyncSession) -> int:
        return int((await session.execute(select(func.count()).select_from(Feedback))).scalar())

    assert _run(db_url, count) == 0


def test_a_second_post_replaces_the_first(db_url: str) -> None:
    _run(db_url, _seed)

    def rate(rating: Rating) -> feedback.FeedbackOut | None:
        async def work(session: AsyncSession) -> feedback.FeedbackOut | None:
            return await feedback.record(
                session=session, request_id="mine", user_email=SATO, rating=rating
            )

        return _run(db_url, work)

    first = rate(Rating(rating=2, reason="敬語が不自然", minutes_saved=5))
    second = rate(Rating(helpful=True))
    assert first is not None
    assert second is not None
    assert (first.rating, first.reason, first.minutes_saved) == (2, "敬語が不自然", 5.0)
    # Everything is replaced, including what the second post left out.
    assert (second.rating, second.helpful, second.reason, second.minutes_saved) == (
        None,
        True,
        None,
        None,
    )
    assert second.use_case == "email_draft"
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at

    async def rows(session: AsyncSession) -> list[tuple[str, str, str]]:
        query = select(Feedback.request_id, Feedback.user_email, Feedback.department)
        return [tuple(r) for r in (await session.execute(query)).all()]

    assert _run(db_url, rows) == [("mine", SATO, "営業部")]

    async def read(session: AsyncSession, user: str) -> feedback.FeedbackOut | None:
        return await feedback.get(session=session, request_id="mine", user_email=user)

    assert _run(db_url, lambda s: read(s, SATO), commit=False) == second
    assert _run(db_url, lambda s: read(s, SUZUKI), commit=False) is None


def test_a_double_click_stores_one_rating(db_url: str) -> None:
    """Several first posts at once: every one succeeds and one row remains (no 500)."""
    _run(db_url, _seed)

    async def race() -> list[feedback.FeedbackOut | None]:
        engine = make_async_engine(db_url)
        maker = sessionmaker(engine)

        async def post(stars: int) -> feedback.FeedbackOut | None:
            async with maker.begin() as session:
                return await feedback.record(
                    session=session, request_id="mine", user_email=SATO, rating=Rating(stars)
                )

        try:
            return await asyncio.gather(*(post(stars) for stars in (1, 2, 3, 4, 5)))
        finally:
            await engine.dispose()

    saved = asyncio.run(race())
    assert all(s is not None for s in saved)

    async def ratings(session: AsyncSession) -> list[int | None]:
        return list((await session.execute(select(Feedback.rating))).scalars())

    stored = _run(db_url, ratings)
    assert len(stored) == 1
    assert stored[0] in {1, 2, 3, 4, 5}


def test_browser_sessions_rate_with_the_csrf_token(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_sso_gateway_factory()
    _run(gw.settings.database.url, _seed)
    with gw.client() as client:
        gw.login(client, SATO)
        body = {"request_id": "mine", "rating": 4, "reason": "そのまま送れた"}
        forged = client.post("/api/feedback", json=body)
        assert forged.status_code == 403
        assert forged.json()["error"]["code"] == "csrf_failed"
        assert client.get("/api/feedback/mine").status_code == 404  # nothing stored
        saved = client.post("/api/feedback", json=body, headers={"x-csrf-token": gw.csrf(client)})
        assert saved.status_code == 200
        assert client.get("/api/feedback/mine").json()["reason"] == "そのまま送れた"
        theirs = client.post(
            "/api/feedback",
            json={**body, "request_id": "theirs"},
            headers={"x-csrf-token": gw.csrf(client)},
        )
        assert theirs.status_code == 404
