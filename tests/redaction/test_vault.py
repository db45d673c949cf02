"""Vaults: TTL, atomic concurrent updates, and Redis encryption at rest (real redis-server)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import anyio
import pytest

from redaction.entities import EntityType as T
from redaction.mapping import Mapping
from redaction.vault import MemoryVault, RedisVault, Vault

pytestmark = pytest.mark.anyio


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_memory_vault_expires_conversations() -> None:
    clock = _Clock()
    vault = MemoryVault(ttl_s=10, clock=clock)
    await vault.update("c", lambda m: m.assign([(T.PERSON, "山田")]))
    clock.now = 9
    assert (await vault.get("c")).values == {"〔人物A〕": "山田"}  # a read refreshes the TTL
    clock.now = 18
    assert (await vault.get("c")).values == {"〔人物A〕": "山田"}
    clock.now = 40
    assert (await vault.get("c")).values == {}


async def _concurrent_assignments(vault: Vault) -> None:
    async def assign(name: str) -> None:
        await vault.update("shared", lambda m: m.assign([(T.PERSON, name)]))

    names = [f"人{i}" for i in range(20)]
    async with anyio.create_task_group() as tg:
        for name in names:
            tg.start_soon(assign, name)
    mapping = await vault.get("shared")
    assert sorted(mapping.values.values()) == sorted(names)
    assert len(set(mapping.values)) == 20  # no placeholder handed to two values


async def test_memory_vault_updates_are_atomic() -> None:
    await _concurrent_assignments(MemoryVault(ttl_s=60))


def test_mapping_serialisation_round_trips() -> None:
    mapping = Mapping().assign([(T.PERSON, "山田"), (T.EMAIL, "a@example.com")])
    assert Mapping.from_json(mapping.to_json()) == mapping


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[object]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.mark.redis
async def test_redis_vault_round_trip_encrypted_with_ttl(redis_client: object) -> None:
    vault = RedisVault(redis_client, key=os.urandom(32), ttl_s=30)
    await vault.update("conv-秘密", lambda m: m.assign([(T.COMPANY, "株式会社ミライ精工")]))
    mapping = await vault.get("conv-秘密")
    assert mapping.values == {"〔会社A〕": "株式会社ミライ精工"}
    # Only this vault's keys: a gateway another test left running on this Redis (a session's
    # fixture) keeps its people-epoch lease there. No key at all names the conversation.
    everything = await redis_client.keys("*")  # type: ignore[attr-defined]
    assert not [k for k in everything if b"conv" in k]
    keys = await redis_client.keys("kakehashi:vault:*")  # type: ignore[attr-defined]
    assert len(keys) == 1
    raw = await redis_client.get(keys[0])  # type: ignore[attr-defined]
    assert "ミライ".encode() not in raw
    assert "会社".encode() not in raw
    ttl = await redis_client.pttl(keys[0])  # type: ignore[attr-defined]
    assert 0 < ttl <= 30_000
    await vault.delete("conv-秘密")
    assert (await vault.get("conv-秘密")).values == {}


@pytest.mark.redis
async def test_redis_vault_refuses_another_key_or_conversation(redis_client: object) -> None:
    from cryptography.exceptions import InvalidTag

    key = os.urandom(32)
    await RedisVault(redis_client, key=key, ttl_s=30).update(
        "c", lambda m: m.assign([(T.PERSON, "山田")])
    )
    with pytest.raises(InvalidTag):
        await RedisVault(redis_client, key=os.urandom(32), ttl_s=30).get("c")
    with pytest.raises(ValueError, match="16, 24 or 32"):
        RedisVault(redis_client, key=b"short", ttl_s=30)


@pytest.mark.redis
async def test_redis_vault_updates_are_atomic(redis_client: object) -> None:
    await _concurrent_assignments(RedisVault(redis_client, key=os.urandom(32), ttl_s=30))
