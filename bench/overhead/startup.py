"""``uv run python -m bench.overhead.startup``: start-up time and memory per worker (issue 18).

Starts ``kakehashi serve --workers N`` (the benchmark's config: SQLite, a real key, the mock
upstream as its one model) ``--reps`` times and measures the seconds from the command to the
first 200 on ``/healthz``, then, once every worker has finished starting (a chat request has
been answered and two seconds passed), each worker's RSS and PSS (proportional set size: the
pages it shares with other processes counted in part, from /proc/<pid>/smaps_rollup).
Reports the median over repetitions and the machine's load average, since start-up is CPU
bound and this machine is shared.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from statistics import median

import httpx

from bench.overhead.servers import Fleet, Server, check_answers, start_kakehashi, start_mock


def _memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of one process in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            values[name] = int(rest.split()[0]) / 1024
    return values["Rss"], values["Pss"]


def _first_200(url: str, started: float, server: Server, timeout: float = 900) -> float:
    while time.monotonic() - started < timeout:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited: {server.log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1, trust_env=False).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("no 200 on /healthz")


def once(workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kakehashi-bench-") as tmp:
        fleet = Fleet(Path(tmp), workers)
        try:
            mock = start_mock(fleet)
            started = time.monotonic()
            server = start_kakehashi(fleet, mock, wait=False)
            health = server.base_url.removesuffix("/v1") + "/healthz"
            seconds = _first_200(health, started, server)
            check_answers(server)
            time.sleep(2)
            leader = server.proc.pid
            workers_mem = [_memory_mb(pid) for pid in server.pids() if pid != leader]
            if not workers_mem:  # one worker: uvicorn serves in the leader itself
                workers_mem = [_memory_mb(leader)]
        finally:
            fleet.stop_all()
    return {
        "seconds": seconds,
        "rss_mb": max(rss for rss, _ in workers_mem),
        "pss_mb": max(pss for _, pss in workers_mem),
        "load": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead.startup")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    runs = []
    for rep in range(args.reps):
        runs.append(once(args.workers))
        print(f"rep {rep + 1}: " + ", ".join(f"{k}={v:.1f}" for k, v in runs[-1].items()))
    print(
        f"| workers | start-up to first /healthz 200 (s) | RSS per worker (MB) | PSS per worker "
        f"(MB) | load average |\n| ---: | ---: | ---: | ---: | ---: |\n| {args.workers} | "
        + " | ".join(f"{median(r[k] for r in runs):.1f}" for k in runs[0])
        + " |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
