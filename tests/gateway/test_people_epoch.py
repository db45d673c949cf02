"""The people epoch's lease (``gateway.identity.epoch``), on a real Redis: a replica holding the
lease answers from memory, yet sees a change as soon as ``bump`` returns; a bump waits out a
replica that registered and does not answer; a lost subscription forgets the generation.
(tests/gateway/test_people.py checks the same promise end to end, two gateways.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from gateway.identity.epoch import HOLDERS, PeopleEpoch
from tests.fixtures.services import RedisServer

LEASE = 0.4


async def _until(check: Callable[[], bool], within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


@asynccontextmanager
async def _replica(url: str) -> AsyncIterator[PeopleEpoch]:
    redis = Redis.from_url(url)
    epoch = PeopleEpoch(redis, lease_s=LEASE)
    task = asyncio.create_task(epoch.follow())
    try:
        await _until(lambda: epoch.leased)
        yield epoch
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await redis.aclose()


async def _gets(redis: Redis) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_get", {}).get("calls", 0))


def _run(test: Callable[[Redis], Awaitable[None]], url: str) -> None:
    async def go() -> None:
        redis = Redis.from_url(url)
        try:
            await test(redis)
        finally:
            await redis.aclose()

    asyncio.run(go())


def test_a_leased_replica_reads_no_redis_and_sees_a_bump_once_it_returns(
    redis_server: RedisServer,
) -> None:
    async def test(redis: Redis) -> None:
        async with _replica(redis_server.url) as b:
            gets = await _gets(redis)
            before = {await b.current() for _ in range(50)}
            assert len(before) == 1
            assert await _gets(redis) == gets  # no round trip per request
            await PeopleEpoch(redis, lease_s=LEASE).bump()  # another replica, or the CLI
            assert await b.current() not in before

    _run(test, redis_server.url)


def test_a_bump_waits_out_a_replica_that_does_not_answer(redis_server: RedisServer) -> None:
    async def test(redis: Redis) -> None:
        # A replica registered for a lease whose process stalled: it never acknowledges.
        await redis.zadd(HOLDERS, {"stalled": time.time() * 1000 + 60_000})
        try:
            started = time.monotonic()
            await PeopleEpoch(redis, lease_s=LEASE).bump()
            assert time.monotonic() - started >= LEASE
        finally:
            await redis.zrem(HOLDERS, "stalled")
        async with _replica(redis_server.url):  # one that answers: no wait
            started = time.monotonic()
            await PeopleEpoch(redis, lease_s=LEASE).bump()
            assert time.monotonic() - started < LEASE

    _run(test, redis_server.url)


def test_a_lost_subscription_forgets_the_generation(redis_server: RedisServer) -> None:
    async def test(redis: Redis) -> None:
        async with _replica(redis_server.url) as b:
            before = await b.current()
            await redis.client_kill_filter(_type="pubsub")  # messages may be lost meanwhile
            await asyncio.sleep(LEASE)  # a ping or two on the killed connection
            await _until(lambda: b.leased)
            assert await b.current() != before

    _run(test, redis_server.url)
