"""The quota ledger over both stores: exact admission under concurrency, refunds, expiring
holds, calendar windows in Asia/Tokyo, warnings, and failing closed when Redis is down."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
from redis.asyncio import Redis

from gateway.kernel.errors import QuotaExceeded, Unavailable
from policies.model import Policy, Quotas
from policies.quota import Ledger
from policies.quota_memory import MemoryStore
from policies.quota_redis import RedisStore
from policies.quota_store import QuotaStore
from tests.fixtures.services import free_port

pytestmark = pytest.mark.anyio

# 2099-11-22 23:59:30 in Tokyo: in the future, because Redis expires the keys at the real
# window end (PEXPIREAT), and a past date would expire them at once.
NEAR_MIDNIGHT = datetime(2099, 11, 22, 14, 59, 30, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self, now: datetime = NEAR_MIDNIGHT) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[QuotaStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    client = Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisStore(client)
    await client.aclose()


def policy(**quotas: Any) -> Policy:
    return Policy(quotas=Quotas.model_validate(quotas))


def ledger(store: QuotaStore, clock: Clock | None = None, **kwargs: Any) -> Ledger:
    return Ledger(store, clock=clock or Clock(), **kwargs)


def counter(n: int) -> Callable[[], int]:
    return lambda: n


async def reserve(book: Ledger, p: Policy, user: str = "a@example.jp", max_tokens: int = 10) -> Any:
    return await book.reserve(
        policy=p,
        department="営業部",
        user=user,
        count_prompt=counter(10),
        max_tokens=max_tokens,
        usd_per_token=(1e-6, 2e-6),
    )


async def test_concurrent_reservations_admit_exactly_the_budget(store: QuotaStore) -> None:
    book = ledger(store)
    p = policy(department={"day": {"tokens": 20 * 7 + 19}})  # 7 requests of 20 tokens fit
    admitted, refused = 0, 0

    async def one(i: int) -> None:
        nonlocal admitted, refused
        try:
            await reserve(book, p, user=f"u{i}@example.jp")
            admitted += 1
        except QuotaExceeded:
            refused += 1

    async with anyio.create_task_group() as tg:
        for i in range(50):
            tg.start_soon(one, i)
    assert (admitted, refused) == (7, 43)


async def test_each_person_department_and_day_has_buckets_of_its_own(store: QuotaStore) -> None:
    clock = Clock()
    book = ledger(store, clock)
    p = policy(per_user={"day": {"tokens": 20}}, department={"day": {"tokens": 40}})
    await reserve(book, p, user="a@example.jp")  # 20 tokens: a's day is full
    with pytest.raises(QuotaExceeded, match=r"a@example\.jp"):
        await reserve(book, p, user="a@example.jp")
    await reserve(book, p, user="b@example.jp")  # b's own day; 営業部's 40 now held
    with pytest.raises(QuotaExceeded, match="営業部"):
        await reserve(book, p, user="c@example.jp")
    await book.reserve(
        policy=p,
        department="総務部",
        user="c@example.jp",
        count_prompt=counter(10),
        max_tokens=10,
        usd_per_token=(1e-6, 2e-6),
    )
    clock.now += timedelta(minutes=1)  # past midnight in Tokyo: a new day for everyone
    await reserve(book, p, user="a@example.jp")


async def test_refusal_says_what_how_much_is_left_and_when_it_resets(store: QuotaStore) -> None:
    book = ledger(store)
    p = policy(per_user={"day": {"tokens": 50}})
    first = await reserve(book, p)
    await book.settle(
        first, reported={"prompt_tokens": 10, "completion_tokens": 5}, outcome="ok", streamed=0
    )
    await reserve(book, p)  # 20 held, 15 used: 15 left
    with pytest.raises(QuotaExceeded) as info:
        await reserve(book, p)
    error = info.value
    assert "a@example.jp さん個人の1 日あたりの上限 50 トークン" in error.ja
    assert "残りは 15 トークン" in error.ja
    assert "2099年11月23日 00:00 (Asia/Tokyo) にリセット" in error.ja
    assert "daily limit of user a@example.jp is 50 tokens; 15 tokens left" in error.en
    assert "2099-11-23T00:00:00+09:00" in error.en
    assert error.headers["retry-after"] == "30"
    assert error.status == 429


async def test_settle_charges_actual_usage_and_refunds_failures(store: QuotaStore) -> None:
    book = ledger(store)
    p = policy(department={"month": {"tokens": 1000, "yen": 1}})
    ok = await reserve(book, p, max_tokens=100)
    settled = await book.settle(
        ok, reported={"prompt_tokens": 12, "completion_tokens": 30}, outcome="ok", streamed=0
    )
    assert settled.micro_yen == round((12 * 1e-6 + 30 * 2e-6) * 150 * 1_000_000)
    failed = await reserve(book, p, max_tokens=100)
    refund = await book.settle(failed, reported={}, outcome="error", streamed=0)
    assert (refund.usage.total, refund.micro_yen) == (0, 0)
    cancelled = await reserve(book, p, max_tokens=100)
    partial = await book.settle(cancelled, reported={}, outcome="cancelled", streamed=7)
    assert (partial.usage.prompt_tokens, partial.usage.completion_tokens) == (10, 7)
    assert partial.usage.estimated
    status = await book.status(policy=p, department="営業部", user="a@example.jp")
    month = next(
        s for s in status if (s.scope, s.window, s.unit) == ("department", "month", "tokens")
    )
    assert (month.used, month.held, month.remaining) == (42 + 17, 0, 1000 - 59)
    yen = next(s for s in status if (s.scope, s.window, s.unit) == ("department", "month", "yen"))
    assert yen.used == pytest.approx((settled.micro_yen + partial.micro_yen) / 1e6)


async def test_holds_of_a_crashed_replica_expire(store: QuotaStore) -> None:
    clock = Clock(datetime(2099, 11, 22, 3, 0, tzinfo=UTC))
    book = ledger(store, clock, hold_ttl_s=60)
    p = policy(department={"day": {"tokens": 20}})
    await reserve(book, p)  # never settled: the replica died
    with pytest.raises(QuotaExceeded):
        await reserve(book, p)
    clock.now += timedelta(seconds=61)
    await reserve(book, p)


async def test_windows_reset_at_midnight_tokyo_time(store: QuotaStore) -> None:
    clock = Clock()
    book = ledger(store, clock)
    p = policy(per_user={"day": {"tokens": 20}, "month": {"tokens": 100}})
    await reserve(book, p)
    with pytest.raises(QuotaExceeded):
        await reserve(book, p)
    clock.now += timedelta(seconds=31)  # 00:00:01 on the 23rd in Tokyo (still the 22nd in UTC)
    await reserve(book, p)
    status = await book.status(policy=p, department="営業部", user="a@example.jp")
    day = next(s for s in status if (s.scope, s.window, s.unit) == ("user", "day", "tokens"))
    month = next(s for s in status if (s.scope, s.window, s.unit) == ("user", "month", "tokens"))
    assert (day.held, month.held) == (20, 40)
    assert day.resets_at.isoformat() == "2099-11-24T00:00:00+09:00"
    assert month.resets_at.isoformat() == "2099-12-01T00:00:00+09:00"


async def test_warning_near_the_limit(store: QuotaStore) -> None:
    book = ledger(store)
    p = policy(department={"month": {"tokens": 100}}, warn_at=0.5)
    assert (await reserve(book, p)).warning is None  # 20 of 100
    await reserve(book, p)
    third = await reserve(book, p)  # 60 of 100
    assert third.warning == "department/month/tokens 60% used, resets 2099-12-01T00:00:00+09:00"


async def test_unlimited_policies_count_usage_without_tokenising() -> None:
    book = ledger(MemoryStore())

    def never() -> int:
        raise AssertionError("no limit: no need to count the prompt")

    held = await book.reserve(
        policy=Policy(),
        department="総務部",
        user="b@example.jp",
        count_prompt=never,
        max_tokens=None,
        usd_per_token=(0.0, 0.0),
    )
    await book.settle(
        held, reported={"prompt_tokens": 3, "completion_tokens": 4}, outcome="ok", streamed=0
    )
    status = await book.status(policy=Policy(), department="総務部", user="b@example.jp")
    assert [s.used for s in status if s.unit == "tokens"] == [7, 7, 7, 7]
    assert all(s.limit is None and s.remaining is None for s in status)


@pytest.fixture
async def dead_redis() -> AsyncIterator[RedisStore]:
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    yield RedisStore(client, timeout_s=1)
    await client.aclose()


async def test_redis_down_fails_closed(dead_redis: RedisStore) -> None:
    book = ledger(dead_redis)
    with pytest.raises(Unavailable) as info:
        await reserve(book, policy(per_user={"day": {"tokens": 100}}))
    assert "Redis" in info.value.ja
    assert info.value.status == 503


async def test_redis_down_may_be_allowed_but_never_silently(dead_redis: RedisStore) -> None:
    book = ledger(dead_redis, on_store_error="allow")
    held = await reserve(book, policy(per_user={"day": {"tokens": 100}}))
    assert held.unchecked
    assert held.warning is not None
    assert "not counted" in held.warning
