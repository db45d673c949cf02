"""What making each request's audit event durable before sending costs (issue 17).

Measures ``audit.intents.Intents``: the time a request waits for its intent to be fsync'd
(``put``), at 1 and 16 requests at once, and the writer's later ``forget`` per batch. The
spool lives in ``--dir`` (default: a directory under the current one, so on the same disk
as a deployment's ``spool_dir``; /tmp is often tmpfs, where fsync is free).

    uv run python -m bench.audit_spool --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from audit.chain import EventIn
from audit.intents import Intents


def _event(i: int) -> EventIn:
    return EventIn(
        event_type="chat.completion",
        outcome="error",
        error_code="interrupted",
        request_id=f"{i:032x}",
        user_email="sato@example.co.jp",
        department="営業部",
        role="staff",
        model="gpt-4o-mini",
        redactions={"PERSON": 2},
        detail={},
    )


async def _run(
    directory: Path, requests: int, concurrency: int, *, fsync: bool
) -> dict[str, float]:
    intents = Intents(directory, fsync=fsync)
    waits: list[float] = []
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with semaphore:
            started = time.perf_counter()
            await intents.put(_event(i))
            waits.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(requests)))
    elapsed = time.perf_counter() - started
    forget_started = time.perf_counter()
    for start in range(0, requests, 50):  # the writer forgets per committed batch
        await intents.forget([_event(i) for i in range(start, min(requests, start + 50))])
    forget = (time.perf_counter() - forget_started) / max(1, requests // 50)
    await intents.close()
    waits.sort()
    return {
        "median_ms": statistics.median(waits) * 1000,
        "p99_ms": waits[int(len(waits) * 0.99) - 1] * 1000,
        "per_s": requests / elapsed,
        "forget_batch_ms": forget * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=Path(".bench"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="audit-spool-", dir=args.dir))
    try:
        print("| spool_fsync | concurrency | put median (ms) | put p99 (ms) | intents/s |", end="")
        print(" forget per 50 (ms) |\n| --- | --: | --: | --: | --: | --: |")
        for fsync in (True, False):  # side by side in one run: the machine may be shared
            for concurrency in (1, 16):
                r = asyncio.run(_run(directory, args.requests, concurrency, fsync=fsync))
                print(
                    f"| {str(fsync).lower()} | {concurrency} | {r['median_ms']:.2f} "
                    f"| {r['p99_ms']:.2f} | {r['per_s']:,.0f} | {r['forget_batch_ms']:.2f} |"
                )
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
