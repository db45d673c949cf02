"""A settle the quota store cannot take is kept on local disk and retried until it can, and
each hold is charged exactly once: after a refused settle, after a settle whose reply was lost
(Redis applied it), and after the process that kept it died (another process adopts its spool).
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest
from redis.asyncio import Redis

from policies.pending import PendingSettles, settle_record
from policies.quota import Ledger, Reservation
from policies.quota_memory import MemoryStore
from policies.quota_redis import RedisStore
from policies.quota_store import Bucket, StoreUnavailable
from tests.policies.test_quota import NEAR_MIDNIGHT, Clock, counter, policy

pytestmark = [pytest.mark.anyio, pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisStore]:
    client = Redis.from_url(redis_url)
    yield RedisStore(client)
    await client.aclose()


def _files(directory: Path, pattern: str) -> list[Path]:
    return sorted(directory.glob(pattern))


class Flaky:
    """The real store behind a switch: ``before`` fails settles without touching Redis (down),
    ``after`` applies them and then fails (the reply was lost on the way back)."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.fail: str | None = None

    async def reserve(self, **kw: Any) -> Any:
        return await self.store.reserve(**kw)

    async def read(self, **kw: Any) -> Any:
        return await self.store.read(**kw)

    async def settle(self, **kw: Any) -> bool:
        if self.fail == "before":
            raise StoreUnavailable("ConnectionError: Redis is down")
        settled = await self.store.settle(**kw)
        if self.fail == "after":
            raise StoreUnavailable("TimeoutError: no reply")
        return settled


P = policy(department={"day": {"tokens": 10_000}})
USED = {"prompt_tokens": 10, "completion_tokens": 90}


async def _used(book: Ledger) -> tuple[float, float]:
    [tokens] = [
        s
        for s in await book.status(policy=P, department="営業部", user=None)
        if s.unit == "tokens" and s.window == "day"
    ]
    return tokens.used, tokens.held


async def _request(book: Ledger) -> Reservation:
    return await book.reserve(
        policy=P,
        department="営業部",
        user="a@example.jp",
        count_prompt=counter(10),
        max_tokens=500,
        usd_per_token=(1e-6, 2e-6),
    )


@pytest.mark.parametrize("fail", ["before", "after"])
async def test_a_failed_settle_is_kept_and_charged_once(
    redis_store: RedisStore, tmp_path: Path, fail: str
) -> None:
    flaky = Flaky(redis_store)
    pending = PendingSettles(redis_store, tmp_path)
    book = Ledger(flaky, clock=Clock(), pending=pending)
    hold = await _request(book)
    assert await _used(book) == (0, 510)
    flaky.fail = fail
    settled = await book.settle(hold, reported=USED, outcome="ok", streamed=0)
    assert settled.usage.total == 100  # the audit event records the charge either way
    assert await _used(book) == ((0, 510) if fail == "before" else (100, 0))
    assert len(_files(tmp_path, "settle-*.spool")) == 1  # on disk, fsync'd
    flaky.fail = None
    assert await pending.replay() == 1
    assert await _used(book) == (100, 0)  # charged once, the hold released
    assert await pending.replay() == 0
    assert await _used(book) == (100, 0)
    assert _files(tmp_path, "settle-*") == []  # nothing left: the file is gone


async def test_the_store_charges_a_hold_once(redis_store: RedisStore) -> None:
    book = Ledger(redis_store, clock=Clock())
    hold = await _request(book)
    args: dict[str, Sequence[Any]] = {"reserved": hold.amounts, "actual": (100,) * 8}
    first = await redis_store.settle(hold_id=hold.hold_id, buckets=hold.buckets, now_ms=0, **args)
    again = await redis_store.settle(hold_id=hold.hold_id, buckets=hold.buckets, now_ms=0, **args)
    assert (first, again) == (True, False)
    assert await _used(book) == (100, 0)


async def test_the_memory_store_charges_a_hold_once() -> None:
    store = MemoryStore()
    book = Ledger(store, clock=Clock())
    hold = await _request(book)
    buckets: tuple[Bucket, ...] = hold.buckets
    for expected in (True, False):
        settled = await store.settle(
            hold_id=hold.hold_id,
            buckets=buckets,
            reserved=hold.amounts,
            actual=(100,) * 8,
            now_ms=0,
        )
        assert settled is expected


_DIES_WITH_A_KEPT_SETTLE = """
import asyncio, os, signal, sys
from pathlib import Path
from redis.asyncio import Redis
from policies.pending import PendingSettles, settle_record
from policies.quota import Ledger
from policies.quota_store import StoreUnavailable
from policies.quota_redis import RedisStore
from tests.policies.test_pending_settles import Flaky, _request, USED
from tests.policies.test_quota import Clock

async def main():
    store = RedisStore(Redis.from_url(sys.argv[1]))
    flaky = Flaky(store)
    book = Ledger(flaky, clock=Clock(), pending=PendingSettles(store, Path(sys.argv[2])))
    hold = await _request(book)
    flaky.fail = "before"
    await book.settle(hold, reported=USED, outcome="ok", streamed=0)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


async def test_another_process_replays_the_spool_of_one_that_died(
    redis_store: RedisStore, redis_url: str, tmp_path: Path
) -> None:
    script = textwrap.dedent(_DIES_WITH_A_KEPT_SETTLE)
    died = await anyio.run_process(
        [sys.executable, "-c", script, redis_url, str(tmp_path)], cwd=ROOT, check=False
    )
    assert died.returncode == -9
    book = Ledger(redis_store, clock=Clock())
    assert await _used(book) == (0, 510)  # held, not charged: the settle is on disk only
    survivor = PendingSettles(redis_store, tmp_path)
    assert await survivor.replay() == 1
    assert await _used(book) == (100, 0)
    assert _files(tmp_path, "settle-*") == []


# A spool line as the release before buckets derived their rows wrote it (two of a request's
# buckets): settles kept on disk when the gateway is upgraded must replay after it.
KEPT_BEFORE = (
    '{"k":"h1","v":{"hold_id":"h1","buckets":[{"scope":"department","owner":"営業部",'
    '"window":"day","period":"2099-11-22","unit":"tokens","limit":10000,'
    '"resets_at":"2099-11-23T00:00:00+09:00"},{"scope":"department","owner":"営業部",'
    '"window":"day","period":"2099-11-22","unit":"yen","limit":null,'
    '"resets_at":"2099-11-23T00:00:00+09:00"}],"reserved":[510,0],"actual":[100,0],'
    '"now_ms":4099042770000}}\n'
)


async def test_a_settle_kept_by_the_previous_release_is_replayed(tmp_path: Path) -> None:
    (tmp_path / "settle-1-before.spool").write_text(KEPT_BEFORE, encoding="utf-8")
    store = MemoryStore()
    book = Ledger(store, clock=Clock())
    assert await PendingSettles(store, tmp_path).replay() == 1
    assert await _used(book) == (100, 0)
    assert _files(tmp_path, "settle-*") == []


def test_a_settle_is_kept_as_the_previous_release_kept_it() -> None:
    book = Ledger(MemoryStore(), clock=Clock())
    buckets = book.buckets(quotas=P.quotas, department="営業部", user=None, now=NEAR_MIDNIGHT)
    record = settle_record("h1", buckets[:2], (510, 0), (100, 0), 4_099_042_770_000)
    assert record == json.loads(KEPT_BEFORE)["v"]
