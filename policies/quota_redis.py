"""The Redis quota store: what several gateway replicas share.

Each operation is one Lua script (``policies/quota.lua``) over every bucket of the request,
so reserving is check-and-hold in one atomic step (checking then recording overshoots under
concurrency). All keys share the hash tag ``{kakehashi-quota}``: one slot, so the multi-key
scripts also run on Redis Cluster. Any Redis failure becomes ``StoreUnavailable``. Settling is
idempotent per hold (a marker key), so a settle retried after a lost reply charges once.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence
from functools import cache
from typing import Any

import anyio
from redis.exceptions import RedisError

from policies.quota_store import Bucket, Decision, Level, StoreUnavailable

PREFIX = "kakehashi:{kakehashi-quota}:"
# How long a settled hold is remembered, so that a settle retried from a spool charges once.
# Longer than any replay delay worth having: a spool older than this is a week-long outage.
SETTLED_MARKER_MS = 8 * 86_400_000


@cache
def scripts() -> dict[str, str]:
    """The three scripts of quota.lua, each with the shared helpers prepended."""
    text = importlib.resources.files("policies").joinpath("quota.lua").read_text(encoding="utf-8")
    common, *parts = text.split("\n-- @")
    return {
        part.split("\n", 1)[0].strip(): common + "\n" + part.split("\n", 1)[1] for part in parts
    }


def _keys(buckets: Sequence[Bucket]) -> list[str]:
    keys: list[str] = []
    for bucket in buckets:
        key = PREFIX + bucket.key
        keys += [key, key + ":holds"]
    return keys


def _levels(flat: Sequence[Any]) -> tuple[Level, ...]:
    return tuple(Level(int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2))


class RedisStore:
    def __init__(self, redis: Any, *, timeout_s: float = 2.0) -> None:
        self._redis = redis
        self._timeout = timeout_s
        source = scripts()
        self._reserve = redis.register_script(source["reserve"])
        self._settle = redis.register_script(source["settle"])
        self._read = redis.register_script(source["read"])

    async def _run(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            with anyio.fail_after(self._timeout):
                return await script(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def reserve(
        self,
        *,
        hold_id: str,
        buckets: Sequence[Bucket],
        amounts: Sequence[int],
        now_ms: int,
        ttl_ms: int,
    ) -> Decision:
        args: list[Any] = [now_ms, now_ms + ttl_ms, hold_id]
        for bucket, amount in zip(buckets, amounts, strict=True):
            args += [-1 if bucket.limit is None else bucket.limit, amount, bucket.expires_ms]
        result = await self._run(self._reserve, _keys(buckets), args)
        if int(result[0]) == 1:
            return Decision(True, _levels(result[1:]))
        return Decision(False, _levels(result[2:]), int(result[1]) - 1)

    async def settle(
        self,
        *,
        hold_id: str,
        buckets: Sequence[Bucket],
        reserved: Sequence[int],
        actual: Sequence[int],
        now_ms: int,
    ) -> bool:
        args: list[Any] = [now_ms, hold_id, SETTLED_MARKER_MS]
        for bucket, held, used in zip(buckets, reserved, actual, strict=True):
            args += [held, used, bucket.expires_ms]
        keys = [*_keys(buckets), f"{PREFIX}settled:{hold_id}"]
        return bool(await self._run(self._settle, keys, args))

    async def read(self, *, buckets: Sequence[Bucket], now_ms: int) -> list[Level]:
        return list(_levels(await self._run(self._read, _keys(buckets), [now_ms])))
