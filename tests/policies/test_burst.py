"""A burst of 200 concurrent requests with Redis healthy: every one is answered (no 503 from a
full connection pool: the pool is bounded and requests wait for a connection), and every
answer is charged exactly once (Redis counters equal the audit log's sum, nothing held).

The pool is made far smaller than the burst (8 connections for 200 requests) so the test
proves back-pressure, not a pool big enough for this one burst. A pool exhausted for longer
than ``redis.pool_timeout_s`` is a 503 before anything is sent (the Redis-down tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.fixtures.gateway import RunningGateway
from tests.fixtures.policies import PolicyFolder
from tests.support.mock_upstream import MockUpstream
from tests.support.quota import department_day

pytestmark = [pytest.mark.redis]
REQUESTS = 200


async def _burst(gw: RunningGateway, keys: list[str]) -> list[int]:
    limits = httpx.Limits(max_connections=REQUESTS)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def one(i: int) -> int:
            response = await client.post(
                f"{gw.v1}/chat/completions",
                headers={"authorization": f"Bearer {keys[i % len(keys)]}"},
                json={
                    "model": "mock-model",
                    "messages": [{"role": "user", "content": f"質問 {i}"}],
                },
            )
            return response.status_code

        return list(await asyncio.gather(*(one(i) for i in range(REQUESTS))))


# SQLite only: the exactness test (test_quota_exactness) runs 200 at once on PostgreSQL.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_burst_waits_for_redis_connections_instead_of_failing(
    policy_gateway: Callable[..., RunningGateway],
    policy_folder: PolicyFolder,
    redis_url: str,
    upstream: MockUpstream,
) -> None:
    policy_folder.write("営業部.yaml", "quotas:\n  department:\n    day: {tokens: 100000000}\n")
    gw = policy_gateway(
        redis={"url": redis_url, "max_connections": 8, "pool_timeout_s": 30},
        policies_reload_s=60,
    )
    keys = [gw.make_key(f"user{i}@example.co.jp") for i in range(10)]
    statuses = asyncio.run(_burst(gw, keys))
    assert statuses == [200] * REQUESTS, {s: statuses.count(s) for s in set(statuses)}
    assert len(upstream.requests) == REQUESTS
    events = gw.wait_for_audit(REQUESTS)
    assert len(events) == REQUESTS
    assert all(e.outcome == "ok" for e in events)
    assert department_day(redis_url, "tokens") == (
        sum(e.prompt_tokens + e.completion_tokens for e in events),
        0,
    )
