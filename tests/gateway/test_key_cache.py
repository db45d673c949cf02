"""The API-key cache: a revoke through the gateway takes effect at once; a revoke it did not
see (another replica, or the database directly) within ``api_key_cache_s``; concurrent requests
share one lookup and busy keys are refreshed in the background (no request waits for it)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import text

from gateway.identity import keycache
from gateway.identity.apikeys import Found
from gateway.identity.keycache import KeyCache
from gateway.kernel.db import make_sync_engine
from gateway.kernel.principal import Principal, Role
from tests.fixtures.gateway import RunningGateway


def _models(gw: RunningGateway, key: str) -> int:
    return httpx.get(f"{gw.v1}/models", headers={"authorization": f"Bearer {key}"}).status_code


def test_a_revoke_elsewhere_is_honoured_within_the_cache_time(
    gateway_factory: Callable[..., RunningGateway], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache's own clock, moved by the test: a busy machine cannot expire it early.
    later = [0.0]
    clock = SimpleNamespace(monotonic=lambda: time.monotonic() + later[0])
    monkeypatch.setattr(keycache, "time", clock)
    gw = gateway_factory(api_key_cache_s=30)
    key = gw.make_key()
    assert _models(gw, key) == 200  # now cached
    engine = make_sync_engine(gw.settings.database.url)
    try:
        with engine.begin() as conn:  # as another replica would
            conn.execute(text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP"))
    finally:
        engine.dispose()
    assert _models(gw, key) == 200  # still trusted from the cache
    later[0] = 31
    assert _models(gw, key) == 401


def test_a_revoke_through_this_gateway_is_immediate(
    gateway_factory: Callable[..., RunningGateway],
) -> None:
    gw = gateway_factory(api_key_cache_s=60)
    admin = gw.make_key("it@example.co.jp", "情報システム部", Role.ADMIN)
    key = gw.make_key()
    assert _models(gw, key) == 200
    keys = httpx.get(f"{gw.base_url}/api/admin/keys", headers={"authorization": f"Bearer {admin}"})
    [staff_key] = [k for k in keys.json() if k["user_email"] == "sato@example.co.jp"]
    revoked = httpx.delete(
        f"{gw.base_url}/api/keys/{staff_key['id']}", headers={"authorization": f"Bearer {admin}"}
    )
    assert revoked.status_code == 200
    assert _models(gw, key) == 401


WHO = Principal(
    user_id=1, email="a@x.jp", department="営業部", role=Role.STAFF, auth_method="api_key", key_id=7
)


class Db:
    """A stand-in for the keys table: counts lookups; ``gate`` holds them until opened."""

    def __init__(self) -> None:
        self.lookups = 0
        self.valid = True
        self.fail = False
        self.expires: datetime | None = None
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, token: str) -> Found:
        self.lookups += 1
        await self.gate.wait()
        if self.fail:
            raise OSError("database unreachable")
        return (WHO, self.expires) if self.valid else None


def test_concurrent_requests_for_an_uncached_key_share_one_lookup() -> None:
    async def scenario() -> None:
        cache, db = KeyCache(ttl_s=60), Db()
        db.gate.clear()
        waiting = [asyncio.create_task(cache.principal("kk_a", db)) for _ in range(16)]
        await asyncio.sleep(0.01)
        db.gate.set()
        assert await asyncio.gather(*waiting) == [WHO] * 16
        assert db.lookups == 1
        assert await cache.principal("kk_a", db) == WHO
        assert db.lookups == 1  # cached

    asyncio.run(scenario())


def test_a_half_aged_key_is_refreshed_in_the_background_and_a_revoke_lands() -> None:
    async def scenario() -> None:
        cache, db = KeyCache(ttl_s=0.2), Db()
        assert await cache.principal("kk_a", db) == WHO
        await asyncio.sleep(0.12)  # past half the cache time
        db.valid = False  # revoked elsewhere
        db.gate.clear()
        # Answered from the cache at once while one refresh runs.
        answers = await asyncio.gather(*(cache.principal("kk_a", db) for _ in range(8)))
        assert answers == [WHO] * 8
        assert db.lookups == 2
        db.gate.set()
        await asyncio.sleep(0.01)
        assert await cache.principal("kk_a", db) is None  # the refresh saw the revoke
        assert db.lookups == 3

    asyncio.run(scenario())


def test_a_revoke_here_voids_a_lookup_in_flight() -> None:
    async def scenario() -> None:
        cache, db = KeyCache(ttl_s=60), Db()
        db.gate.clear()
        flight = asyncio.create_task(cache.principal("kk_a", db))
        await asyncio.sleep(0.01)
        cache.forget(WHO.key_id)  # the lookup may have read the key before the revoke
        db.gate.set()
        await flight
        db.valid = False
        assert await cache.principal("kk_a", db) is None  # looked up again, not cached
        assert db.lookups == 2

    asyncio.run(scenario())


def test_a_failed_lookup_reaches_its_waiters_and_a_failed_refresh_keeps_the_entry() -> None:
    async def scenario() -> None:
        cache, db = KeyCache(ttl_s=0.2), Db()
        db.fail = True
        with pytest.raises(OSError, match="unreachable"):
            await cache.principal("kk_a", db)
        db.fail = False
        assert await cache.principal("kk_a", db) == WHO
        await asyncio.sleep(0.12)
        db.fail = True
        assert await cache.principal("kk_a", db) == WHO  # refresh fails in the background
        await asyncio.sleep(0.01)
        assert await cache.principal("kk_a", db) == WHO  # still within the cache time
        await asyncio.sleep(0.1)
        with pytest.raises(OSError, match="unreachable"):
            await cache.principal("kk_a", db)  # no longer trusted: the error shows

    asyncio.run(scenario())


def test_cached_keys_still_expire_on_time() -> None:
    async def scenario() -> None:
        cache, db = KeyCache(ttl_s=60), Db()
        db.expires = datetime.now(UTC) + timedelta(milliseconds=50)
        assert await cache.principal("kk_soon", db) == WHO
        db.expires = None
        assert await cache.principal("kk_later", db) == WHO
        await asyncio.sleep(0.06)
        db.valid = False  # the database agrees the first key expired
        assert await cache.principal("kk_soon", db) is None  # not served past its expiry
        assert await cache.principal("kk_later", db) == WHO  # still cached
        cache.forget(WHO.key_id)
        assert await cache.principal("kk_later", db) is None  # revoked here: looked up again
        assert await KeyCache(ttl_s=0).principal("kk_later", db) is None
        assert db.lookups == 5

    asyncio.run(scenario())
