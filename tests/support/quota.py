"""Reading the quota counters straight from Redis, as the exactness tests check them."""

from __future__ import annotations

import redis

from policies.quota_redis import PREFIX


def department_day(url: str, unit: str, department: str = "営業部") -> tuple[int, int]:
    """(used, held) of a department's day bucket in ``unit`` (tokens or micro-yen)."""
    client = redis.Redis.from_url(url)
    try:
        [key] = list(client.scan_iter(match=f"{PREFIX}department:{department}:day:*:{unit}"))
        used, held = client.hmget(key, ["used", "held"])
        return int(used or 0), int(held or 0)
    finally:
        client.close()
