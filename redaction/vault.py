"""The vault: each conversation's placeholder mapping, kept server-side with a TTL.

The mapping never leaves the gateway. ``MemoryVault`` serves one process (tests, demo);
``RedisVault`` serves several workers and encrypts every mapping at rest with AES-GCM (key from
settings; the conversation id is bound in as associated data, and Redis keys are hashes of it, so
neither values nor conversation ids are readable in Redis). Updates are atomic per conversation
(optimistic WATCH/MULTI), so concurrent turns never hand one placeholder to two values.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from redaction.mapping import Mapping

Change = Callable[[Mapping], Mapping]


class Vault(Protocol):
    async def get(self, conversation_id: str) -> Mapping:
        """The conversation's mapping (empty if unknown or expired); refreshes its TTL."""
        ...

    async def update(self, conversation_id: str, change: Change) -> Mapping:
        """Atomically replace the mapping by ``change(mapping)``; returns the new mapping."""
        ...

    async def delete(self, conversation_id: str) -> None: ...


class MemoryVault:
    """In-process vault. Expired conversations are dropped lazily."""

    def __init__(self, ttl_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._items: dict[str, tuple[float, Mapping]] = {}
        self._lock = threading.Lock()

    def _current(self, conversation_id: str, now: float) -> Mapping:
        item = self._items.get(conversation_id)
        if item is None or item[0] <= now:
            self._items.pop(conversation_id, None)
            return Mapping()
        return item[1]

    async def get(self, conversation_id: str) -> Mapping:
        return await self.update(conversation_id, lambda mapping: mapping)

    async def update(self, conversation_id: str, change: Change) -> Mapping:
        with self._lock:
            now = self._clock()
            mapping = change(self._current(conversation_id, now))
            self._items[conversation_id] = (now + self._ttl_s, mapping)
            if len(self._items) % 256 == 0:
                self._sweep(now)
            return mapping

    async def delete(self, conversation_id: str) -> None:
        with self._lock:
            self._items.pop(conversation_id, None)

    def _sweep(self, now: float) -> None:
        for key in [k for k, (expires, _) in self._items.items() if expires <= now]:
            del self._items[key]


class RedisVault:
    """Redis-backed vault, AES-GCM encrypted; ``key`` is 16, 24 or 32 random bytes."""

    _PREFIX = "kakehashi:vault:"
    _RETRIES = 20

    def __init__(self, redis_client: Any, key: bytes, ttl_s: float) -> None:
        if len(key) not in (16, 24, 32):
            raise ValueError("the vault key must be 16, 24 or 32 bytes (AES-128/192/256)")
        self._redis = redis_client
        self._aead = AESGCM(key)
        self._ttl_ms = max(1, round(ttl_s * 1000))

    def _key(self, conversation_id: str) -> str:
        return self._PREFIX + hashlib.sha256(conversation_id.encode()).hexdigest()

    def _seal(self, conversation_id: str, mapping: Mapping) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, mapping.to_json(), conversation_id.encode())

    def _open(self, conversation_id: str, blob: bytes | None) -> Mapping:
        if blob is None:
            return Mapping()
        plain = self._aead.decrypt(blob[:12], blob[12:], conversation_id.encode())
        return Mapping.from_json(plain)

    async def get(self, conversation_id: str) -> Mapping:
        key = self._key(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(key)
            pipe.pexpire(key, self._ttl_ms)
            blob, _ = await pipe.execute()
        return self._open(conversation_id, blob)

    async def update(self, conversation_id: str, change: Change) -> Mapping:
        from redis.exceptions import WatchError

        key = self._key(conversation_id)
        for _ in range(self._RETRIES):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    mapping = change(self._open(conversation_id, await pipe.get(key)))
                    pipe.multi()
                    pipe.set(key, self._seal(conversation_id, mapping), px=self._ttl_ms)
                    await pipe.execute()
                    return mapping
                except WatchError:
                    continue
        raise RuntimeError("vault update kept conflicting; giving up")

    async def delete(self, conversation_id: str) -> None:
        await self._redis.delete(self._key(conversation_id))
