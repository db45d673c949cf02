"""The people epoch: a value that changes whenever any person is disabled, enabled, moved or
given another role, so that the API-key cache (``gateway.identity.keycache``) never serves a
principal older than the last such change.

With Redis the value is shared by every replica (``kakehashi:people:epoch``): a change made by
one replica, by SCIM or by the CLI is seen by the others on their next request, for the price
of one ``GET`` per API-key request (docs/benchmarks.md "People epoch"). The value is a fresh
random string, not a counter: a Redis that lost the key (restart, flush) can never hand back a
value an old cache entry was stored under. Without Redis (one process: the demo, a single
node) the epoch is this process's own; changes made elsewhere (the CLI) reach it within
``api_key_cache_s``. Knows nothing about users or keys.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

log = logging.getLogger(__name__)

EPOCH_KEY = "kakehashi:people:epoch"


class PeopleEpoch:
    def __init__(self, redis: Any | None = None) -> None:
        self._redis = redis
        self._local = 0

    async def current(self) -> str:
        """The value now; a unique one when Redis cannot be read (so nothing cached is trusted
        and nothing cached under it is ever matched again)."""
        if self._redis is None:
            return str(self._local)
        try:
            shared = await self._redis.get(EPOCH_KEY)
        except Exception as exc:  # fail towards a database lookup, never towards a stale entry
            log.warning("people epoch unreadable, looking keys up in the database: %s", exc)
            return "unread:" + secrets.token_hex(8)
        return f"{self._local}:{shared!r}"

    async def bump(self) -> None:
        """Call after the change is committed (a lookup between the two would cache the old
        state under the new value)."""
        self._local += 1
        if self._redis is None:
            return
        try:
            await self._redis.set(EPOCH_KEY, secrets.token_hex(16))
        except Exception as exc:  # the change is committed; other replicas see it by TTL
            log.error(
                "people epoch not shared (%s): other replicas follow within the key cache time", exc
            )
