"""What it costs an API-key request that a disabled or moved person is refused on the next
request on every replica (issue 15): the key cache's answer with the people epoch read from
Redis, against the same cache with a process-local epoch (no Redis) and against no cache at
all (the person read from the database on every request, the other way to the same promise).

    uv run python -m bench.people

One key, ``--calls`` sequential authentications per round, rounds interleaved; medians of the
per-call time in microseconds. Real Redis (a redis-server started here) and a migrated SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path

from redis.asyncio import Redis

from gateway.identity import apikeys
from gateway.identity.epoch import PeopleEpoch
from gateway.identity.keycache import KeyCache
from gateway.kernel.db import make_async_engine, sessionmaker
from gateway.kernel.principal import Role
from gateway.migrate import upgrade
from tests.fixtures.services import _wait_port, free_port


async def _rounds(url: str, redis_url: str, calls: int, rounds: int) -> dict[str, list[float]]:
    engine = make_async_engine(url)
    sessions = sessionmaker(engine)
    async with sessions.begin() as session:
        user = await apikeys.upsert_user(
            session=session, email="sato@example.co.jp", department="営業部", role=Role.STAFF
        )
        token = (await apikeys.create(session=session, user=user)).token

    async def find(token: str) -> apikeys.Found:
        async with sessions() as session:
            return await apikeys.find(session=session, token=token)

    redis = Redis.from_url(redis_url)
    leased = PeopleEpoch(redis)
    follow = asyncio.create_task(leased.follow())
    await asyncio.sleep(1)  # subscribed and leased (the first PONG) long before this
    caches = {
        "cache, local epoch (no Redis)": KeyCache(60),
        "cache, epoch leased over pub/sub (Redis, the default)": KeyCache(60, people=leased),
        # Not following the channel: never leased, one GET per request (the fallback).
        "cache, epoch from Redis by GET (no lease)": KeyCache(60, people=PeopleEpoch(redis)),
        "no cache (database per request)": KeyCache(0),
    }
    times: dict[str, list[float]] = {name: [] for name in caches}
    for _ in range(rounds):
        for name, cache in caches.items():
            ask = partial(cache.principal, token, find)
            await ask()
            start = time.perf_counter()
            for _ in range(calls):
                await ask()
            times[name].append((time.perf_counter() - start) / calls * 1e6)
    follow.cancel()
    await asyncio.gather(follow, return_exceptions=True)
    await redis.aclose()
    await engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    port = free_port()
    redis = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_port(port)
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'k.db'}"
            upgrade(url)
            times = asyncio.run(
                _rounds(url, f"redis://127.0.0.1:{port}/0", args.calls, args.rounds)
            )
    finally:
        redis.terminate()
        redis.wait()
    base = statistics.median(times["cache, local epoch (no Redis)"])
    print("| key authentication | median µs per request | ratio |")
    print("| --- | ---: | ---: |")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.1f} | {median / base:.1f}× |")


if __name__ == "__main__":
    main()
