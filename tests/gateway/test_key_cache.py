"""The API-key cache: a revoke through the gateway takes effect at once; a revoke it did not
see (another replica, or the database directly) within ``api_key_cache_s``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from gateway.apikeys import KeyCache
from gateway.db import make_sync_engine
from gateway.principal import Principal, Role
from tests.fixtures.gateway import RunningGateway


def _models(gw: RunningGateway, key: str) -> int:
    return httpx.get(f"{gw.v1}/models", headers={"authorization": f"Bearer {key}"}).status_code


def test_a_revoke_elsewhere_is_honoured_within_the_cache_time(
    gateway_factory: Callable[..., RunningGateway],
) -> None:
    gw = gateway_factory(api_key_cache_s=0.5)
    key = gw.make_key()
    assert _models(gw, key) == 200  # now cached
    engine = make_sync_engine(gw.settings.database.url)
    try:
        with engine.begin() as conn:  # as another replica would
            conn.execute(text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP"))
    finally:
        engine.dispose()
    assert _models(gw, key) == 200  # still trusted from the cache
    time.sleep(0.6)
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


def test_cached_keys_still_expire_on_time() -> None:
    cache = KeyCache(ttl_s=60)
    who = Principal(
        user_id=1,
        email="a@x.jp",
        department="営業部",
        role=Role.STAFF,
        auth_method="api_key",
        key_id=7,
    )
    cache.put("kk_soon", who, datetime.now(UTC) + timedelta(milliseconds=50))
    cache.put("kk_later", who, None)
    assert cache.get("kk_soon") == who
    time.sleep(0.06)
    assert cache.get("kk_soon") is None
    assert cache.get("kk_later") == who
    cache.forget(7)
    assert cache.get("kk_later") is None
    assert KeyCache(ttl_s=0).get("kk_later") is None
