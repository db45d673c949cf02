"""The in-process quota store: one gateway process (``kakehashi demo``, single-worker installs).

Same semantics as the Redis store (holds with expiry, limits checked over every bucket
before any is held); atomic because nothing awaits inside an operation. Several workers or
replicas need Redis: each process would otherwise count alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from policies.quota_store import GRACE_MS, Bucket, Decision, Level


@dataclass
class _Counter:
    expires_ms: int
    used: int = 0
    held: int = 0
    holds: dict[str, tuple[int, int]] = field(default_factory=dict)  # hold id -> (amount, expiry)

    def purge(self, now_ms: int) -> None:
        for hold_id, (amount, expires) in list(self.holds.items()):
            if expires <= now_ms:
                del self.holds[hold_id]
                self.held -= amount


class MemoryStore:
    """One process's quota store (the demo, tests). Atomic because nothing awaits inside."""

    def __init__(self) -> None:
        self._counters: dict[str, _Counter] = {}
        self._settled: dict[str, int] = {}  # hold id -> when it is forgotten (ms)

    def _counter(self, bucket: Bucket, now_ms: int) -> _Counter:
        key = bucket.key
        counter = self._counters.get(key)
        if counter is None or counter.expires_ms <= now_ms:
            counter = _Counter(expires_ms=bucket.expires_ms)
            self._counters[key] = counter
            self._forget_expired(now_ms)
        if counter.holds:
            counter.purge(now_ms)
        return counter

    def _forget_expired(self, now_ms: int) -> None:
        for key in [k for k, c in self._counters.items() if c.expires_ms <= now_ms]:
            del self._counters[key]

    async def reserve(
        self,
        *,
        hold_id: str,
        buckets: Sequence[Bucket],
        amounts: Sequence[int],
        now_ms: int,
        ttl_ms: int,
    ) -> Decision:
        counters = [self._counter(b, now_ms) for b in buckets]
        for i, (bucket, counter, amount) in enumerate(zip(buckets, counters, amounts, strict=True)):
            if bucket.limit is not None and counter.used + counter.held + amount > bucket.limit:
                return Decision(False, tuple(Level(c.used, c.held) for c in counters), i)
        for counter, amount in zip(counters, amounts, strict=True):
            counter.held += amount
            counter.holds[hold_id] = (amount, now_ms + ttl_ms)
        return Decision(True, tuple(Level(c.used, c.held) for c in counters))

    async def settle(
        self,
        *,
        hold_id: str,
        buckets: Sequence[Bucket],
        reserved: Sequence[int],  # noqa: ARG002 - the memory store remembers its holds
        actual: Sequence[int],
        now_ms: int,
    ) -> bool:
        # Once per hold, like the Redis store (nothing here fails, so nothing retries: this
        # keeps the two stores' promises the same).
        while self._settled and next(iter(self._settled.values())) <= now_ms:
            del self._settled[next(iter(self._settled))]  # oldest first (insertion order)
        if hold_id in self._settled:
            return False
        self._settled[hold_id] = now_ms + GRACE_MS
        for bucket, amount in zip(buckets, actual, strict=True):
            counter = self._counter(bucket, now_ms)
            held = counter.holds.pop(hold_id, None)
            if held is not None:
                counter.held -= held[0]
            counter.used += amount
        return True

    async def read(self, *, buckets: Sequence[Bucket], now_ms: int) -> list[Level]:
        return [Level(c.used, c.held) for c in (self._counter(b, now_ms) for b in buckets)]
