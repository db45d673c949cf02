"""``uv run python -m bench.overhead.startup``: start-up time and memory per worker (issue 18).

Starts ``kakehashi serve --workers N`` (the benchmark's config: SQLite, a real key, the mock
upstream as its one model) ``--reps`` times and measures, from the command to the first 200 on
``/healthz``, the seconds and the CPU seconds of the server's processes (user + system: less
sensitive to a shared machine than the wall clock); then, once every worker has finished
starting (a chat request has been answered and two seconds passed), each worker's RSS and PSS
(proportional set size: pages shared with other processes counted in part, from
/proc/<pid>/smaps_rollup). ``--before DIR`` measures another checkout (its own .venv, e.g. a
``git worktree`` of main) alternately with this one in the same run, for ratios.

Both checkouts' Python files are compiled to bytecode first, as the container image does
(``UV_COMPILE_BYTECODE=1``): with ``PYTHONDONTWRITEBYTECODE`` set, as on the development machine,
every start would otherwise compile ~1,500 modules again (~15 s of CPU).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path
from statistics import median

import httpx

from bench.overhead.servers import REPO, Fleet, Server, check_answers, start_kakehashi, start_mock

PACKAGES = ("gateway", "policies", "redaction", "audit", "web")
COLUMNS = ("seconds", "cpu_s", "rss_mb", "pss_mb", "load")


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


def compile_bytecode(root: Path) -> None:
    python = root / ".venv" / "bin" / "python"
    [site] = (root / ".venv" / "lib").glob("python3*/site-packages")
    dirs = [str(site), *(str(root / p) for p in PACKAGES)]
    subprocess.run([str(python), "-m", "compileall", "-q", "-j", "0", *dirs], check=False,
                   stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""})  # fmt: skip


def once(workers: int, root: Path = REPO) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kakehashi-bench-") as tmp:
        fleet = Fleet(Path(tmp), workers)
        try:
            mock = start_mock(fleet)
            started = time.monotonic()
            server = start_kakehashi(fleet, mock, wait=False, root=root)
            health = server.base_url.removesuffix("/v1") + "/healthz"
            seconds = _first_200(health, started, server)
            cpu = server.cpu_seconds()
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
        "cpu_s": cpu,
        "rss_mb": max(rss for rss, _ in workers_mem),
        "pss_mb": max(pss for _, pss in workers_mem),
        "load": os.getloadavg()[0],
    }


def _row(name: str, workers: int, runs: list[dict[str, float]]) -> str:
    return f"| {name} | {workers} | " + " | ".join(
        f"{median(r[k] for r in runs):.1f}" for k in COLUMNS
    ) + " |"  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead.startup")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout to compare, alternately")
    args = parser.parse_args(argv)
    roots = {"this": REPO} | ({"before": args.before.resolve()} if args.before else {})
    for root in roots.values():
        compile_bytecode(root)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in roots}
    for rep in range(args.reps):
        order = list(roots) if rep % 2 == 0 else list(reversed(roots))
        for name in order:
            runs[name].append(once(args.workers, roots[name]))
            print(f"rep {rep + 1} {name}: " + ", ".join(
                f"{k}={v:.1f}" for k, v in runs[name][-1].items()))  # fmt: skip
    print(
        "| checkout | workers | start-up to first /healthz 200 (s) | CPU s to ready "
        "| RSS per worker (MB) | PSS per worker (MB) | load average |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for name in roots:
        print(_row(name, args.workers, runs[name]))
    if "before" in runs:
        ratios = {k: median(r[k] for r in runs["this"]) / median(r[k] for r in runs["before"])
                  for k in COLUMNS[:4]}  # fmt: skip
        print("this / before: " + ", ".join(f"{k} ×{v:.2f}" for k, v in ratios.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
