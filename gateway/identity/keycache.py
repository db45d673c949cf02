"""The in-process cache of valid API keys: the hot path never waits for the database.

Only valid keys are kept (a new key works at once; unknown tokens cannot fill memory), by hash,
for ``ttl_s`` seconds and never past the key's own expiry. Two habits keep lookups off the
request path:

- *refresh ahead*: once an entry is half its age, the next request that uses the key starts one
  lookup in the background and is answered from the cache meanwhile;
- *single flight*: requests for a key that is not cached share one lookup.

Before these, the entry of a busy key expired every ``ttl_s`` and every request in flight at
that moment queued behind a lookup of its own: sixteen serialised lookups at concurrency 16 were
the p99 of bench/overhead (issue 2). A revoke through this process drops the key at once and
voids the lookups in flight; a revoke elsewhere (another replica, the database) is seen within
``ttl_s``.

An entry holds the owner's department and role as they were when it was looked up, so each is
stored under the people epoch of that moment (``gateway.identity.epoch``) and trusted only
while the epoch is unchanged: a person disabled, moved or demoted anywhere is looked up again on
their next request (issue 15).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.identity.apikeys import Found, hash_token
from gateway.identity.epoch import PeopleEpoch
from gateway.kernel.errors import KakehashiError
from gateway.kernel.principal import Principal

log = logging.getLogger(__name__)

Lookup = Callable[[str], Awaitable[Found]]


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    refresh_at: float  # monotonic: look the key up again (in the background) from here
    until: float  # monotonic: never trusted after this
    expires: datetime | None  # the key's own expiry
    epoch: str  # the people epoch the owner's state was read under

    def valid(self, now: float, epoch: str) -> bool:
        return (
            now < self.until
            and epoch == self.epoch
            and (self.expires is None or self.expires > datetime.now(UTC))
        )


@dataclass(frozen=True, slots=True)
class _Flight:
    epoch: str
    task: asyncio.Task[Principal | None]


class KeyCache:
    """Valid API keys seen in the last ``ttl_s`` seconds (0: every request looks its key up)."""

    def __init__(
        self, ttl_s: float = 5.0, max_entries: int = 10_000, *, people: PeopleEpoch | None = None
    ) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._people = people or PeopleEpoch()
        self._entries: dict[str, _Entry] = {}
        self._flights: dict[str, _Flight] = {}
        self._revokes = 0  # bumped by forget(): lookups begun before a revoke cache nothing

    async def principal(self, token: str, lookup: Lookup) -> Principal | None:
        """The principal behind ``token`` (None: unknown, revoked or expired); raises
        ``AccountDisabled`` when its owner is disabled (from ``lookup``, never cached)."""
        digest = hash_token(token)
        epoch = await self._people.current()
        entry = self._entries.get(digest)
        now = time.monotonic()
        if entry is not None and entry.valid(now, epoch):
            if now >= entry.refresh_at and digest not in self._flights:
                self._fly(digest, token, lookup, epoch)
            return entry.principal
        flight = self._flights.get(digest)
        # A lookup begun under an older epoch may have read the person before the change.
        task = flight.task if flight and flight.epoch == epoch else None
        task = task or self._fly(digest, token, lookup, epoch)
        # Shielded: a client that goes away must not cancel the lookup others are waiting on.
        return await asyncio.shield(task)

    def forget(self, key_id: int) -> None:
        """Drop a revoked key now, and void lookups in flight that may have read it as valid."""
        self._revokes += 1
        for digest in [d for d, e in self._entries.items() if e.principal.key_id == key_id]:
            del self._entries[digest]

    async def people_changed(self) -> None:
        """A person was disabled, enabled, moved or given another role (committed already):
        every replica looks its keys up again (``gateway.identity.epoch``)."""
        await self._people.bump()

    def _put(self, digest: str, found: Found, epoch: str) -> None:
        if self._ttl <= 0 or found is None:
            return
        if len(self._entries) >= self._max:
            self._entries.clear()  # rare: bounded memory beats an LRU's bookkeeping here
        now = time.monotonic()
        principal, expires = found
        self._entries[digest] = _Entry(
            principal, now + self._ttl / 2, now + self._ttl, expires, epoch
        )

    def _fly(
        self, digest: str, token: str, lookup: Lookup, epoch: str
    ) -> asyncio.Task[Principal | None]:
        task = asyncio.get_running_loop().create_task(self._look(digest, token, lookup, epoch))
        self._flights[digest] = _Flight(epoch, task)
        task.add_done_callback(lambda done: self._landed(digest, done))
        return task

    async def _look(self, digest: str, token: str, lookup: Lookup, epoch: str) -> Principal | None:
        revokes = self._revokes
        try:
            found = await lookup(token)
        except KakehashiError:  # a refusal (a disabled owner): nothing of it may be served
            self._entries.pop(digest, None)
            raise
        if found is None:
            self._entries.pop(digest, None)
            return None
        if revokes == self._revokes:
            self._put(digest, found, epoch)
        return found[0]

    def _landed(self, digest: str, task: asyncio.Task[Principal | None]) -> None:
        flight = self._flights.get(digest)
        if flight is not None and flight.task is task:
            del self._flights[digest]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not isinstance(exc, KakehashiError):
            # Waiters (if any) get the error themselves; a background refresh keeps the entry
            # until it is no longer trusted, then requests look the key up again.
            log.warning("API-key lookup failed: %s", exc)
