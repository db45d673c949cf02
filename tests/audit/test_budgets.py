"""Budgets over a synthetic November, worked out by hand: use today and this month per
department and person, the burn-down series, the business-day forecast (Japanese holidays
excluded), the CSV, and the alerts sent once per threshold to a real SMTP server and webhook.

November 2026 in Tokyo: the 1st is a Sunday, the 3rd (文化の日) and the 23rd (勤労感謝の日)
are holidays: 19 business days. "Today" is Wednesday the 4th: business days so far are the
2nd and the 4th, so the forecast is month-to-date x 19 / 2.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from audit import alerts, budgets
from audit.chain import EventIn
from audit.notify import Notifier, Smtp
from audit.reports import KpiSource
from audit.writer import append_batch
from gateway.kernel.db import make_async_engine, sessionmaker
from policies.model import Limit, Policy, Quotas, Windows
from policies.resolve import PolicySet
from tests.fixtures.notify import Mailbox, Webhook

TOKYO = ZoneInfo("Asia/Tokyo")
SALES, GA = "営業部", "総務部"
TODAY = date(2026, 11, 4)
POLICIES = PolicySet(
    default=Policy(),  # no limits: counted only
    by_department={
        SALES: Policy(
            department=SALES,
            quotas=Quotas(
                department=Windows(day=Limit(yen=50), month=Limit(tokens=10_000, yen=100)),
                per_user=Windows(month=Limit(yen=60)),
                alert_at=[0.5, 0.8, 1.0],
            ),
        )
    },
)


def chat(user: str, at: datetime, yen: float, tokens: int, department: str = SALES) -> EventIn:
    return EventIn(
        event_type="chat.completion",
        outcome="ok",
        user_email=user,
        department=department,
        model="mock-model",
        prompt_tokens=tokens,
        completion_tokens=0,
        cost_jpy=yen,
        created_at=at,
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


EVENTS = [
    chat("a@x.jp", utc(2026, 10, 31, 14, 59), 500.0, 9999),  # 10-31 23:59 Tokyo: October
    chat("a@x.jp", utc(2026, 10, 31, 15, 0), 10.0, 1000),  # 11-01 00:00 Tokyo: day 1
    chat("A@X.jp", utc(2026, 11, 2, 3), 20.0, 2000),  # same person, other case: day 3
    chat("b@x.jp", utc(2026, 11, 3, 14, 59), 5.5, 500),  # 11-03 23:59: day 3
    chat("b@x.jp", utc(2026, 11, 3, 15, 0), 4.25, 300),  # 11-04 00:00: today
    chat("c@x.jp", utc(2026, 11, 4, 1), 3.0, 100, department=GA),  # today, no limits
]


async def _seed(url: str, events: list[EventIn]) -> None:
    engine = make_async_engine(url)
    try:
        async with sessionmaker(engine).begin() as session:
            await append_batch(session, events)
    finally:
        await engine.dispose()


def _source(url: str) -> tuple[KpiSource, Any]:
    engine = make_async_engine(url)
    return KpiSource(sessionmaker(engine), POLICIES, TOKYO), engine


def usage(url: str, department: str | None = None) -> budgets.BudgetReport:
    async def run() -> budgets.BudgetReport:
        source, engine = _source(url)
        try:
            return await budgets.usage(
                source=source, department=department, known=[SALES], today=TODAY
            )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_use_today_and_this_month_against_limits(db_url: str) -> None:
    asyncio.run(_seed(db_url, EVENTS))
    r = usage(db_url)
    assert (r.business_days_elapsed, r.business_days_in_month) == (2, 19)
    sales, ga = r.departments
    assert (sales.department, ga.department) == (SALES, GA)
    assert sales.month == budgets.Use(3800, 39.75)
    assert sales.today == budgets.Use(300, 4.25)
    assert sales.share("month", "yen") == 0.3975
    assert sales.share("day", "yen") == 0.085
    assert sales.share("day", "tokens") is None  # no daily token limit
    assert sales.forecast == budgets.Use(round(3800 * 19 / 2), round(39.75 * 19 / 2, 2))
    assert ga.month == budgets.Use(100, 3.0)
    assert ga.month_limit.yen is None
    people = {(u.department, u.user): u for u in r.users}
    assert people[(SALES, "a@x.jp")].month == budgets.Use(3000, 30.0)  # case folded
    assert people[(SALES, "a@x.jp")].today == budgets.Use(0, 0.0)
    assert people[(SALES, "a@x.jp")].share("month", "yen") == 0.5  # of 60 per person
    assert people[(SALES, "b@x.jp")].today == budgets.Use(300, 4.25)
    burn = r.burndowns[0]
    assert burn.cumulative_yen == (10.0, 30.0, 35.5, 39.75)  # after days 1, 2, 3, 4
    assert (burn.limit_yen, burn.days_in_month) == (100, 30)

    only = usage(db_url, SALES)
    assert [d.department for d in only.departments] == [SALES]
    assert {u.department for u in only.users} == {SALES}


def test_the_csv_has_the_reports_numbers(sqlite_url: str) -> None:
    asyncio.run(_seed(sqlite_url, EVENTS))
    r = usage(sqlite_url)
    body = budgets.to_csv(r)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    sales = next(row for row in rows if row["区分"] == "部署" and row["部署"] == SALES)
    assert sales["今月の円"] == "39.75"
    assert sales["今月の上限円"] == "100.00"
    assert sales["月末予測円"] == f"{round(39.75 * 19 / 2, 2):.2f}"
    assert sales["今日の上限トークン"] == ""  # no limit: empty, not 0
    person = next(row for row in rows if row["利用者"] == "b@x.jp")
    assert (person["今日のトークン"], person["今月のトークン"]) == ("300", "800")


def test_a_month_that_opens_on_a_holiday_forecasts_on_calendar_days(sqlite_url: str) -> None:
    # 2027-01-01 (元日, a Friday): no business day yet; the pace is per calendar day.
    assert budgets._pace(date(2027, 1, 1), date(2027, 2, 1), date(2027, 1, 1))[2] == 31


def _check(url: str, notifier: Notifier, seen: list[EventIn]) -> list[alerts.Alert]:
    async def run() -> list[alerts.Alert]:
        source, engine = _source(url)

        async def audit(event: EventIn) -> None:
            seen.append(event)

        try:
            return await alerts.check(
                source=source, notifier=notifier, audit=audit, today=TODAY,
                public_url="https://ai.example.co.jp",
            )  # fmt: skip
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_alerts_reach_mail_and_webhook_once_per_threshold(
    db_url: str, smtp_server: Mailbox, webhook_receiver: Webhook
) -> None:
    smtp = Smtp("127.0.0.1", smtp_server.port, recipients=("it@x.jp",), starttls=False)
    notifier = Notifier(smtp=smtp, webhook_url=webhook_receiver.url)
    seen: list[EventIn] = []
    asyncio.run(_seed(db_url, EVENTS))  # 39.75 of 100 yen, 3,800 of 10,000 tokens
    assert _check(db_url, notifier, seen) == []

    asyncio.run(_seed(db_url, [chat("b@x.jp", utc(2026, 11, 4, 2), 45.0, 100)]))  # 84.75 yen
    sent = _check(db_url, notifier, seen)
    assert [(a.unit, a.threshold) for a in sent] == [("yen", 50), ("yen", 80)]
    assert [m["Subject"] for m in smtp_server.messages] == [
        f"[Kakehashi] {SALES} の今月の予算 (円) が 50% に達しました",
        f"[Kakehashi] {SALES} の今月の予算 (円) が 80% に達しました",
    ]
    assert smtp_server.recipients == [["it@x.jp"], ["it@x.jp"]]
    body = smtp_server.messages[1].get_content()
    assert "利用: 84.75円 / 上限: 100.00円 (85%)" in body
    assert "https://ai.example.co.jp/budgets" in body
    assert [p["text"].split("\n")[0] for p in webhook_receiver.posts] == [
        m["Subject"] for m in smtp_server.messages
    ]
    assert [(e.event_type, e.outcome, e.detail["threshold_percent"]) for e in seen] == [
        ("budget.alert", "ok", 50),
        ("budget.alert", "ok", 80),
    ]
    assert seen[0].detail["channels"] == {"email": "ok", "webhook": "ok"}

    assert _check(db_url, notifier, seen) == []  # once per threshold and month
    assert len(smtp_server.messages) == 2
    assert len(webhook_receiver.posts) == 2


def test_an_alert_no_channel_took_is_audited_and_tried_again(
    sqlite_url: str, webhook_receiver: Webhook
) -> None:
    notifier = Notifier(webhook_url=webhook_receiver.url)
    seen: list[EventIn] = []
    asyncio.run(_seed(sqlite_url, [*EVENTS, chat("b@x.jp", utc(2026, 11, 4, 2), 70.0, 10)]))
    webhook_receiver.status = 500
    failed = _check(sqlite_url, notifier, seen)
    assert [(a.threshold, a.delivery.results) for a in failed] == [
        (50, {"webhook": "error: HTTP 500"}),
        (80, {"webhook": "error: HTTP 500"}),
        (100, {"webhook": "error: HTTP 500"}),
    ]
    assert {e.outcome for e in seen} == {"error"}
    webhook_receiver.status = 200
    retried = _check(sqlite_url, notifier, seen)
    assert [a.threshold for a in retried] == [50, 80, 100]
    assert len(webhook_receiver.posts) == 3


@pytest.mark.parametrize("share", [0, -0.5, 2.5])
def test_alert_thresholds_are_checked_like_the_rest_of_the_policy(share: float) -> None:
    with pytest.raises(ValueError, match="alert_at"):
        Quotas(alert_at=[share])
