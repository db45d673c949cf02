"""``uv run python -m bench.overhead.inproc DIR...``: the CPU one chat request costs inside the
app, for several source trees side by side (issue 18).

Each DIR's app runs in a process of its own (``PYTHONPATH=DIR``, this venv), reached without a
socket: requests are ASGI calls on the app, the provider is the mock upstream in process
(``AsgiTransport``), redaction off, SQLite, a MemoryStore quota. What remains is the Python the
gateway runs per request (framework, auth, pipeline, audit), without the kernel's socket work
and the wake-ups that make ``bench.overhead.checkouts`` noisy on a shared machine. The trees
take turns in short batches (order rotated), so a pair of batches sees the same load; the
result is the median CPU µs per request (all the process's threads) and the median of the
per-round ratios to the first DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.overhead.servers import MODEL, chat_body, kakehashi_env, migrated_with_key

CLI = str(Path(sys.executable).parent / "kakehashi")
Worker = subprocess.Popen[str]


def _prepare(work: Path, src: str, env: dict[str, str]) -> tuple[Path, str]:
    work.mkdir()
    config = {
        "mode": "production",
        "database": {"url": f"sqlite:///{work / 'k.db'}"},
        "models": [{"alias": MODEL, "model": f"openai/{MODEL}", "api_base": "http://mock/v1"}],
        "default_policy": {"allowed_models": ["*"], "redaction": {"redact": [], "block": []}},
    }
    path = work / "k.yaml"
    path.write_text(json.dumps(config, ensure_ascii=False))
    return path, migrated_with_key(CLI, path, cwd=src, env=env)


async def _serve(config: str, token: str, stream: bool) -> None:
    """The worker: builds the app, then answers ``N`` on stdin with the CPU of N requests."""
    from gateway.http.app import create_app
    from gateway.kernel.settings import load_settings
    from gateway.provider.transports import AsgiTransport
    from tests.support.mock_upstream import MockUpstream

    upstream = MockUpstream()
    app = create_app(load_settings(Path(config)), transport=AsgiTransport(upstream))
    body = json.dumps(chat_body(stream=stream), ensure_ascii=False).encode()
    headers = [
        (b"host", b"bench"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]

    async def one() -> int:
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/v1/chat/completions",
            "raw_path": b"/v1/chat/completions",
            "query_string": b"",
            "root_path": "",
            "headers": list(headers),
            "server": ("bench", 80),
            "client": ("127.0.0.1", 50000),
        }
        read = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal read
            if not read:
                read = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client stays: no disconnect
            raise AssertionError

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    loop = asyncio.get_running_loop()
    async with app.router.lifespan_context(app):
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            what, n = line.split()[0], int(line.split()[1])
            profile = cProfile.Profile() if what == "calls" else None
            cpu, wall = time.process_time(), time.perf_counter()
            if profile is not None:
                profile.enable()
            bad = sum([await one() != 200 for _ in range(int(n))])
            if profile is not None:
                profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            upstream.requests.clear()
            calls = pstats.Stats(profile).total_calls / n if profile else 0  # type: ignore[attr-defined]
            report = {"cpu_us": cpu / n * 1e6, "wall_us": wall / n * 1e6, "calls": calls}
            print(json.dumps({**report, "bad": bad}), flush=True)


def _start(src: str, config: Path, token: str, env: dict[str, str], stream: bool) -> Worker:
    # -P: not this folder first on the path (its profile.py would shadow the standard one).
    cmd = [sys.executable, "-P", __file__, "--worker", str(config), token]  # DIR may predate it
    return subprocess.Popen(
        [*cmd, *(["--stream"] if stream else [])],
        cwd=src,
        env={**env, "PYTHONPATH": src},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _batch(proc: Worker, n: int, what: str = "cpu") -> float:
    """CPU µs per request of ``n`` requests in ``proc`` (``calls``: Python calls per request
    on the event loop's thread, under cProfile: a count the machine's load cannot move)."""
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(f"{what} {n}\n")
    proc.stdin.flush()
    result = json.loads(proc.stdout.readline())
    if result["bad"]:
        raise SystemExit(f"{result['bad']} requests failed")
    return float(result["calls" if what == "calls" else "cpu_us"])


def _compare(workers: list[Worker], names: list[str], rounds: int, n: int) -> None:
    for proc in workers:
        _batch(proc, n)  # warm-up
    cpu: list[list[float]] = [[] for _ in workers]
    for r in range(rounds):
        order = list(range(len(workers)))
        for i in order[r % len(order) :] + order[: r % len(order)]:
            cpu[i].append(_batch(workers[i], n))
        print(f"r{r} " + " ".join(f"{names[i]}={cpu[i][-1]:.0f}" for i in order), flush=True)
    calls = [_batch(proc, n, "calls") for proc in workers]
    print("\nname  cpu µs/request (median)  ratio to first (median of rounds)  calls/request")
    for i, name in enumerate(names):
        ratios = [c / b for c, b in zip(cpu[i], cpu[0], strict=True)]
        print(
            f"{name:12} {statistics.median(cpu[i]):7.1f}  {statistics.median(ratios):.3f}"
            f"  {calls[i]:7.1f} ({calls[i] / calls[0]:.3f})"
        )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dirs", nargs="*")
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--requests", type=int, default=300, help="per batch")
    p.add_argument("--stream", action="store_true")
    p.add_argument("--worker", nargs=2, metavar=("CONFIG", "TOKEN"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        asyncio.run(_serve(*a.worker, a.stream))
        return
    env = kakehashi_env()
    with tempfile.TemporaryDirectory(prefix="inproc-") as tmp:
        workers = []
        try:
            for i, src in enumerate(a.dirs):
                config, token = _prepare(Path(tmp) / f"{i}", src, env)
                workers.append(_start(src, config, token, env, a.stream))
            _compare(workers, [Path(d).name for d in a.dirs], a.rounds, a.requests)
        finally:
            for proc in workers:
                if proc.stdin:
                    proc.stdin.close()
                proc.wait(timeout=60)


if __name__ == "__main__":
    main()
