"""Analysis results kept so that each text is analysed once (issue 18).

A conversation re-sends its whole history on every turn; the analyser is deterministic, so the
findings of a text depend only on the text, the profile and the analyser. ``AnalysisCache``
memoises ``Redactor.analyze`` under a key of exactly those three (an HMAC under a key derived
from the deployment secret: a key cannot be confirmed from a guessed text), so a follow-up
turn costs about its new text, and the preview and the send share the work. What is kept is
types, offsets and scores, never the text; placeholders are assigned afterwards from the
conversation's mapping (``redaction.boundary``), so they stay consistent per conversation.

In memory: least recently used entries go first once ``max_bytes`` is reached. Shared
(``RedisResults``): every worker's results, sealed with AES-GCM (the key bound in as associated
data, like ``redaction.vault``), kept for a TTL. A failing Redis only costs the analysis it
would have saved: lookups and stores never fail a request. Only the event loop touches it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from redaction.entities import Entity, EntityType
from redaction.profile import RedactionProfile

log = logging.getLogger(__name__)

# One finding as kept: (type, start, end, score); the text is ``text[start:end]`` again.
Kept = tuple[tuple[str, int, int, float], ...]
# Bytes an entry costs in memory besides its findings (key, tuple, dict and list slots).
_ENTRY_BYTES = 200
_FINDING_BYTES = 120


class SharedResults(Protocol):
    """Results shared by every worker (``RedisResults``)."""

    async def get_many(self, keys: Sequence[bytes]) -> list[Kept | None]: ...

    async def put_many(self, items: dict[bytes, Kept]) -> None: ...


def keep(entities: Sequence[Entity]) -> Kept:
    return tuple((e.type.value, e.start, e.end, e.score) for e in entities)


def entities_of(text: str, kept: Kept) -> list[Entity]:
    return [Entity(EntityType(t), s, e, text[s:e], score) for t, s, e, score in kept]


class AnalysisCache:
    """The results of ``Redactor.analyze`` by (text, profile, analyser version)."""

    def __init__(
        self,
        *,
        secret: bytes,
        analyser: str,
        max_bytes: int = 64 << 20,
        shared: SharedResults | None = None,
    ) -> None:
        self._secret = hashlib.sha256(b"kakehashi-analysis-cache\0" + secret).digest()
        self._analyser = analyser
        self._max_bytes = max_bytes
        self._shared = shared
        self._items: OrderedDict[bytes, Kept] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0

    def scope(self, profile: RedactionProfile, profile_version: str) -> bytes:
        """What besides the text the findings depend on: the analyser and the profile (with
        the version of its customer list's file). Computed once per request."""
        parts = (self._analyser, profile.model_dump_json(), profile_version)
        return hashlib.sha256("\0".join(parts).encode()).digest()

    def key(self, scope: bytes, text: str) -> bytes:
        material = scope + text.encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, material, hashlib.sha256).digest()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    async def get_many(self, keys: Sequence[bytes]) -> list[Kept | None]:
        """The kept findings of each key (None: not kept); memory first, then shared."""
        found: list[Kept | None] = []
        for key in keys:
            kept = self._items.get(key)
            if kept is not None:
                self._items.move_to_end(key)
            found.append(kept)
        missing = [k for k, kept in zip(keys, found, strict=True) if kept is None]
        if missing and self._shared is not None:
            try:
                remote = dict(zip(missing, await self._shared.get_many(missing), strict=True))
            except Exception as exc:  # a cache, not a dependency: analyse instead
                log.warning("analysis cache: shared lookup failed (%s)", type(exc).__name__)
                remote = {}
            for i, key in enumerate(keys):
                kept = found[i] if found[i] is not None else remote.get(key)
                if kept is not None and found[i] is None:
                    self._remember(key, kept)
                found[i] = kept
        hits = sum(kept is not None for kept in found)
        self.hits += hits
        self.misses += len(keys) - hits
        return found

    async def put_many(self, items: dict[bytes, Kept]) -> None:
        for key, kept in items.items():
            self._remember(key, kept)
        if items and self._shared is not None:
            try:
                await self._shared.put_many(items)
            except Exception as exc:
                log.warning("analysis cache: shared store failed (%s)", type(exc).__name__)

    def _remember(self, key: bytes, kept: Kept) -> None:
        size = _ENTRY_BYTES + _FINDING_BYTES * len(kept)
        if size > self._max_bytes:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= _ENTRY_BYTES + _FINDING_BYTES * len(old)
        self._items[key] = kept
        self._bytes += size
        while self._bytes > self._max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= _ENTRY_BYTES + _FINDING_BYTES * len(dropped)


class RedisResults:
    """Results in Redis, AES-GCM sealed; ``key`` is 16, 24 or 32 random bytes."""

    _PREFIX = b"kakehashi:analysis:"

    def __init__(self, redis_client: Any, key: bytes, ttl_s: float) -> None:
        self._redis = redis_client
        self._aead = AESGCM(key)
        self._ttl_ms = max(1, round(ttl_s * 1000))

    async def get_many(self, keys: Sequence[bytes]) -> list[Kept | None]:
        blobs = await self._redis.mget([self._PREFIX + k.hex().encode() for k in keys])
        return [self._open(k, b) for k, b in zip(keys, blobs, strict=True)]

    async def put_many(self, items: dict[bytes, Kept]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, kept in items.items():
                pipe.set(self._PREFIX + key.hex().encode(), self._seal(key, kept), px=self._ttl_ms)
            await pipe.execute()

    def _seal(self, key: bytes, kept: Kept) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, orjson.dumps(kept), key)

    def _open(self, key: bytes, blob: bytes | None) -> Kept | None:
        if blob is None:
            return None
        plain = self._aead.decrypt(blob[:12], blob[12:], key)
        return tuple((str(t), int(s), int(e), float(p)) for t, s, e, p in orjson.loads(plain))
