"""The people epoch: a value that changes whenever any person is disabled, enabled, moved or
given another role, so that the API-key cache (``gateway.identity.keycache``) never serves a
principal older than the last such change.

The promise: once ``bump`` returns, the next request on every replica sees the change. With
Redis it is kept without a Redis round trip per request, by a *lease* (docs/benchmarks.md
"People epoch"):

- every process subscribes to ``CHANNEL``; ``bump`` sets the shared value and publishes it in
  one round trip, and each subscriber counts the message (a new local generation) and then
  acknowledges it on a list the bumper waits on;
- a subscriber trusts its generation without asking Redis only under a lease: it sends a PING
  on the subscribed connection and, when the PONG comes back, holds the lease until ``lease_s``
  after it first registered for that ping (below). Redis answers a connection in order, so a
  PONG also proves every message published before that PING was read, and counted, first;
- before each PING the subscriber registers in ``HOLDERS`` (a sorted set scored by Redis's own
  clock) until ``2 × lease_s`` later. ``bump`` waits for an acknowledgement from every
  registered holder, or at most ``lease_s`` after its publish was answered: by then a holder
  that did not answer (a lost connection, a stalled process) has no lease left that began
  before the publish, and any later lease came with the message.
- without a lease (not yet subscribed, Redis unreachable, a slow event loop) the value is read
  from Redis with one ``GET`` per request, as before the lease.

The generation also moves whenever the subscription (re)connects, since messages may have been
missed meanwhile. The shared value is a fresh random string, not a counter: a Redis that lost
the key (restart, flush) can never hand back a value an old cache entry was stored under.
Without Redis (one process: the demo, a single node) the epoch is this process's own; changes
made elsewhere (the CLI) reach it within ``api_key_cache_s``. Knows nothing about users or keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import Any

log = logging.getLogger(__name__)

EPOCH_KEY = "kakehashi:people:epoch"
CHANNEL = "kakehashi:people:changed"
HOLDERS = "kakehashi:people:leases"
ACKS = "kakehashi:people:ack:"
LEASE_S = 2.0

# KEYS[1] holders; ARGV: holder id, registration length in ms (0: leave). Redis's clock, so
# every replica's registration is judged by one clock.
_REGISTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if tonumber(ARGV[2]) > 0 then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class PeopleEpoch:
    def __init__(self, redis: Any | None = None, *, lease_s: float = LEASE_S) -> None:
        self._redis = redis
        self._local = 0
        self._lease_s = lease_s
        self._leased_until = 0.0  # monotonic; 0: no lease, ask Redis per request
        self._generation = 0  # messages read on the subscription, plus its (re)connects
        self._holder = secrets.token_hex(8)
        self._register = redis.register_script(_REGISTER) if redis is not None else None

    @property
    def leased(self) -> bool:
        return time.monotonic() < self._leased_until

    async def current(self) -> str:
        """The value now; a unique one when Redis cannot be read (so nothing cached is trusted
        and nothing cached under it is ever matched again)."""
        if self._redis is None:
            return str(self._local)
        if self.leased:
            return f"{self._local}:lease:{self._generation}"
        try:
            shared = await self._redis.get(EPOCH_KEY)
        except Exception as exc:  # fail towards a database lookup, never towards a stale entry
            log.warning("people epoch unreadable, looking keys up in the database: %s", exc)
            return "unread:" + secrets.token_hex(8)
        return f"{self._local}:{shared!r}"

    async def bump(self) -> None:
        """Call after the change is committed (a lookup between the two would cache the old
        state under the new value). Returns once every replica's next request sees it."""
        self._local += 1
        if self._redis is None or self._register is None:
            return
        value = secrets.token_hex(16)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(EPOCH_KEY, value)
                pipe.publish(CHANNEL, value)
                await pipe.execute()
            deadline = time.monotonic() + self._lease_s
            holders = {_text(h) for h in await self._register(keys=[HOLDERS], args=["", 0])}
            await self._acknowledged(value, holders, deadline)
        except Exception as exc:  # the change is committed; other replicas see it by TTL
            log.error(
                "people epoch not shared (%s): other replicas follow within the key cache time", exc
            )

    async def _acknowledged(self, value: str, holders: set[str], deadline: float) -> None:
        """Wait until every holder has counted ``value``, or until no lease from before the
        publish can be left (``deadline``)."""
        while holders:
            left = deadline - time.monotonic()
            if left <= 0:
                log.warning("people epoch: %d replica(s) did not acknowledge", len(holders))
                return
            popped = await self._redis.blpop([ACKS + value], timeout=left)  # type: ignore[union-attr]
            if popped is not None:
                holders.discard(_text(popped[1]))

    async def follow(self) -> None:
        """Hold the lease for this process's life (a task of the app's lifespan)."""
        redis, register = self._redis, self._register
        if redis is None or register is None:
            return
        try:
            while True:
                try:
                    await self._subscribed(redis, register)
                except Exception as exc:  # asking Redis per request until subscribed again
                    log.warning("people epoch subscription lost, reading it per request: %s", exc)
                self._lost()
                await asyncio.sleep(min(self._lease_s, 1.0))
        finally:
            self._lost()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1):
                    await register(keys=[HOLDERS], args=[self._holder, 0])

    def _lost(self, _connection: object = None) -> None:
        """No lease, and whatever was cached under the old generation is never matched again
        (messages may be missed while the subscription is down). Also redis-py's callback when
        the subscription's connection reconnects by itself."""
        self._leased_until = 0.0
        self._generation += 1

    async def _subscribed(self, redis: Any, register: Any) -> None:
        pubsub = redis.pubsub()
        try:
            await pubsub.subscribe(CHANNEL)
            pubsub.connection.register_connect_callback(self._lost)
            pings: dict[str, float] = {}
            interval = self._lease_s / 4
            next_ping = 0.0
            while True:
                now = time.monotonic()
                if now >= next_ping:
                    # Registered before the ping, so the registration outlives the lease.
                    await register(keys=[HOLDERS], args=[self._holder, int(self._lease_s * 2000)])
                    ping = secrets.token_hex(4)
                    pings = {p: t for p, t in pings.items() if t > now - self._lease_s}
                    pings[ping] = now
                    await pubsub.ping(ping)
                    next_ping = now + interval
                wait = max(0.0, next_ping - time.monotonic())
                message = await pubsub.get_message(timeout=wait)
                if message is None:
                    continue
                if message["type"] == "message":
                    self._generation += 1  # before the acknowledgement: bump may return then
                    acks = ACKS + _text(message["data"])
                    async with redis.pipeline(transaction=False) as pipe:
                        pipe.rpush(acks, self._holder)
                        pipe.expire(acks, 60)
                        await pipe.execute()
                elif message["type"] == "pong" and _text(message["data"]) in pings:
                    lease = pings.pop(_text(message["data"])) + self._lease_s
                    self._leased_until = max(self._leased_until, lease)
        finally:
            if pubsub.connection is not None:
                pubsub.connection.deregister_connect_callback(self._lost)
            await pubsub.aclose()
