"""Soak: two gateway replicas behind nginx for a fixed time under steady load (issue 17).

The same cluster as tests/e2e/test_two_replicas.py (tests/support/cluster.py: nginx from
deploy/nginx/kakehashi.conf, one PostgreSQL, one Redis), the recording mock upstream, redaction
on (the default policy: names, phone numbers, e-mail addresses are replaced), half the requests
streamed. Reports throughput, latency percentiles, errors by status, and each replica's
resident memory after the warm-up and at the end, then checks the books: one audit event per
request, and the Redis tokens equal to what the audit log says was charged.

    nice -n 10 uv run python -m bench.soak --minutes 10 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from gateway.kernel.settings import Settings
from gateway.migrate import upgrade
from tests.fixtures.gateway import RunningGateway
from tests.fixtures.services import _wait_port, free_port, running_postgres
from tests.support.cluster import REPLICA_HEADER, Cluster, start_cluster
from tests.support.mock_upstream import RunningUpstream
from tests.support.quota import department_day

PROMPTS = [
    "株式会社ミライ精工の山田太郎様へ、先日の打ち合わせのお礼メールを書いてください。",
    "佐藤花子さん (090-1234-5678, hanako.sato@example.co.jp) に会議日程の変更を伝える文面を。",
    "来週の営業会議の議題を三つ、箇条書きで提案してください。",
    "鈴木一郎部長への報告: 第3四半期の売上は前年比 12% 増でした。要点を三行で。",
]


@contextlib.contextmanager
def _redis() -> Iterator[str]:
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="kakehashi-soak-redis-")
    binary = shutil.which("redis-server") or "redis-server"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _load(
    cluster: Cluster, keys: list[str], seconds: float, concurrency: int
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    served: Counter[int] = Counter()
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(n: int) -> None:
        async with httpx.AsyncClient(
            base_url=cluster.base_url, timeout=120, limits=limits
        ) as client:
            i = n
            while time.monotonic() < stop:
                i += concurrency
                stream = i % 2 == 0
                body = {
                    "model": "mock-model",
                    "stream": stream,
                    "messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
                }
                started = time.perf_counter()
                try:
                    headers = {"authorization": f"Bearer {keys[i % len(keys)]}"}
                    async with client.stream(
                        "POST", "/v1/chat/completions", json=body, headers=headers
                    ) as reply:
                        text = (await reply.aread()).decode()
                        ok = reply.status_code == 200 and (
                            not stream or text.endswith("[DONE]\n\n")
                        )
                        statuses[
                            str(reply.status_code) if ok or reply.status_code != 200 else "cut"
                        ] += 1
                        if REPLICA_HEADER in reply.headers:
                            served[cluster.replica_of(reply.headers[REPLICA_HEADER])] += 1
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                    continue
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": sum(statuses.values()),
        "elapsed": elapsed,
        "statuses": dict(statuses),
        "served": dict(served),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--warmup", type=float, default=30.0, help="seconds of load before memory is read"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    upstream = RunningUpstream(free_port()).start()
    upstream.app.record = False  # ten minutes of requests would only grow the bench's own memory
    workdir = Path(tempfile.mkdtemp(prefix="kakehashi-soak-"))
    try:
        with running_postgres() as postgres, _redis() as redis_url:
            database = postgres.create_database()
            upgrade(database)
            values = {
                "mode": "test",
                "database": {"url": database},
                "redis": {"url": redis_url},
                "models": [
                    {
                        "alias": "mock-model",
                        "model": "openai/mock-model",
                        "api_base": upstream.base_url,
                    }
                ],
                "spool_dir": str(workdir / "spool"),
            }
            reader = RunningGateway(Settings(**values), "", None, None)  # type: ignore[arg-type]
            keys = [reader.make_key(f"soak{i}@example.co.jp", "営業部") for i in range(8)]
            cluster = start_cluster(workdir, values)
            try:
                warm = asyncio.run(_load(cluster, keys, args.warmup, args.concurrency))
                rss_start = [_rss_mb(r.process.pid) for r in cluster.replicas]
                run = asyncio.run(_load(cluster, keys, args.minutes * 60, args.concurrency))
                rss_end = [_rss_mb(r.process.pid) for r in cluster.replicas]
            finally:
                cluster.stop()
            events = reader.audit_events("chat.completion")
            charged = sum(e.prompt_tokens + e.completion_tokens for e in events)
            used, held = department_day(redis_url, "tokens")
    finally:
        upstream.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    total = warm["requests"] + run["requests"]
    print(
        f"soak: {args.minutes:g} min, concurrency {args.concurrency}, after {args.warmup:g} s warm-up"
    )
    print("| requests | req/s | p50 (ms) | p99 (ms) | max (ms) | results | per replica |")
    print("| --: | --: | --: | --: | --: | --- | --- |")
    print(
        f"| {run['requests']:,} | {run['requests'] / run['elapsed']:.1f} | {run['p50_ms']:.0f} "
        f"| {run['p99_ms']:.0f} | {run['max_ms']:.0f} | {run['statuses']} | {run['served']} |"
    )
    for i, (start, end) in enumerate(zip(rss_start, rss_end, strict=True)):
        print(
            f"replica {i}: RSS {start:.0f} MB after warm-up -> {end:.0f} MB at the end ({end - start:+.1f} MB)"
        )
    print(f"audit events {len(events):,} for {total:,} requests (warm-up included)")
    print(f"Redis tokens used {used:,} (held {held}); the audit log says {charged:,}")


if __name__ == "__main__":
    main()
