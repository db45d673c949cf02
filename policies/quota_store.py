"""The quota store's contract: the buckets a request touches, their levels, and what a store
(``policies.quota_memory``, ``policies.quota_redis``) must answer. The ledger in
``policies.quota`` decides; a store only counts, atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal, Protocol

from gateway.kernel.errors import Unavailable

MICRO = 1_000_000  # micro-yen per yen: bucket limits and amounts in yen are integers
GRACE_MS = 86_400_000  # counters and holds outlive their window by a day


@dataclass(frozen=True, slots=True)
class Bucket:
    """One counter a request touches. ``key``, ``expires_ms`` and ``row`` are derived from the
    fields once, at construction: the ledger builds a person's eight buckets once a day and
    every request of theirs reads them (issue 18). They are not fields of their own: equality,
    hash and repr are those of the seven fields, and ``__init__`` takes the seven alone."""

    scope: Literal["department", "user"]
    owner: str
    window: Literal["day", "month"]
    period: str  # "2026-11-22" or "2026-11"
    unit: Literal["tokens", "yen"]
    limit: int | None  # tokens or micro-yen; None: counted, not limited
    resets_at: datetime
    # Set in __post_init__: slots leave no __dict__ for functools.cached_property, and a
    # property would format the key again on every read (twice per bucket per Redis call).
    key: str = field(init=False, repr=False, compare=False)
    """The store's name of the counter: ``department:営業部:day:2026-11-22:tokens``."""
    expires_ms: int = field(init=False, repr=False, compare=False)
    """When a store may forget this bucket's counter (epoch ms): a day after its window,
    so the status around midnight still reads the window that just ended."""
    row: dict[str, Any] = field(init=False, repr=False, compare=False)
    """The seven fields as JSON values, as a kept settle writes them (``policies.pending``);
    shared by every record of this bucket, so only ever serialised, never changed."""

    def __post_init__(self) -> None:
        key = f"{self.scope}:{self.owner}:{self.window}:{self.period}:{self.unit}"
        object.__setattr__(self, "key", key)
        expires_ms = int(self.resets_at.timestamp() * 1000) + GRACE_MS
        object.__setattr__(self, "expires_ms", expires_ms)
        row = {name: getattr(self, name) for name in _FIELDS}
        object.__setattr__(self, "row", row | {"resets_at": self.resets_at.isoformat()})

    def amount(self, tokens: int, micro_yen: int) -> int:
        return tokens if self.unit == "tokens" else micro_yen


_FIELDS = tuple(f.name for f in fields(Bucket) if f.init)  # the seven


@dataclass(frozen=True, slots=True)
class Level:
    used: int
    held: int


@dataclass(frozen=True, slots=True)
class Decision:
    admitted: bool
    levels: tuple[Level, ...]  # after the reservation (admitted) or as found (refused)
    refused_at: int | None = None


class StoreUnavailable(Unavailable):
    """The quota store did not answer (Redis down, timeout); the ledger decides what the
    request sees (``not_sent`` before the call, a kept settle after it)."""

    def __init__(self, reason: str = "") -> None:
        en = reason or "the quota store did not answer"
        super().__init__("利用量の記録先が応答しません。", en)


class SettleKeeper(Protocol):
    """Keeps a settle the store refused until it takes it (``policies.pending``)."""

    async def keep(
        self,
        *,
        hold_id: str,
        buckets: Sequence[Bucket],
        reserved: Sequence[int],
        actual: Sequence[int],
        now_ms: int,
        error: Exception,
    ) -> None: ...


class QuotaStore(Protocol):
    async def reserve(
        self,
        *,
        hold_id: str,
        buckets: Sequence[Bucket],
        amounts: Sequence[int],
        now_ms: int,
        ttl_ms: int,
    ) -> Decision: ...

    async def settle(
        self,
        *,
        hold_id: str,
        buckets: Sequence[Bucket],
        reserved: Sequence[int],
        actual: Sequence[int],
        now_ms: int,
    ) -> bool:
        """Swap the hold for the actual usage, once per hold: False when it was settled
        before (the retry of a settle whose reply was lost)."""
        ...

    async def read(self, *, buckets: Sequence[Bucket], now_ms: int) -> list[Level]: ...
