"""Load generation: one wrk process per cell, plus the CPU accounting around it.

Owns the wrk command line (bench/overhead/post.lua POSTs the body and prints one JSON line)
and what is measured around a run: the server's CPU time, the mock's, wrk's own, and the
machine's busy time, so that load from other people on the same cores shows up as a number.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.overhead.servers import Server

LUA = Path(__file__).with_name("post.lua")


@dataclass(frozen=True)
class Cell:
    target: str  # direct | kakehashi | litellm | portkey
    stream: bool
    concurrency: int
    rep: int


@dataclass(frozen=True)
class Sample:
    cell: Cell
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_kinds: dict[str, int]  # wrk's connect/read/write/status/timeout counts
    server_cpu_ms_per_req: float  # the gateway's processes (the mock's for "direct")
    mock_cpu_ms_per_req: float
    wrk_cpu_s: float
    machine_busy_s: float  # every core's busy time during the cell
    others_busy_s: float  # machine busy time not spent by our servers or wrk

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def _machine_busy() -> float:
    """Busy seconds summed over all cores since boot (/proc/stat, idle+iowait excluded)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk(
    server: Server, *, body: Path, connections: int, seconds: float, timeout: float = 10
) -> dict[str, int]:
    """Run wrk against ``server`` and return the numbers post.lua printed (``timeout``: wrk's
    per-request timeout in seconds; a request past it is an error and is sent again)."""
    if shutil.which("wrk") is None:  # a clear word instead of FileNotFoundError mid-run
        raise SystemExit("wrk is not installed: `apt-get install wrk` (Debian, Ubuntu)")
    env = {**os.environ, "BENCH_BODY": str(body), "BENCH_AUTH": server.token,
           "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in server.headers.items())}  # fmt: skip
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", f"{timeout:g}s",
           "-s", str(LUA), server.chat_url]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result: dict[str, int] = json.loads(line.removeprefix("BENCH_JSON "))
            return result
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def measure(
    cell: Cell,
    server: Server,
    mock: Server,
    *,
    body: Path,
    seconds: float,
    warmup: float,
    timeout: float = 10,
) -> Sample:
    if warmup > 0:
        wrk(server, body=body, connections=cell.concurrency, seconds=warmup, timeout=timeout)
    cpu0 = server.cpu_seconds()
    mock0 = mock.cpu_seconds()
    wrk0, busy0 = _children_cpu(), _machine_busy()
    out = wrk(server, body=body, connections=cell.concurrency, seconds=seconds, timeout=timeout)
    busy = _machine_busy() - busy0
    wrk_cpu = _children_cpu() - wrk0
    server_cpu = server.cpu_seconds() - cpu0
    mock_cpu = mock.cpu_seconds() - mock0
    ours = wrk_cpu + server_cpu + (0.0 if server is mock else mock_cpu)
    requests = max(out["requests"], 1)
    errors = sum(v for k, v in out.items() if k.startswith("errors_"))
    elapsed = out["duration_us"] / 1e6
    return Sample(
        cell=cell,
        requests=out["requests"],
        seconds=elapsed,
        rps=out["requests"] / elapsed,
        p50_ms=out["p50_us"] / 1000,
        p99_ms=out["p99_us"] / 1000,
        max_ms=out["max_us"] / 1000,
        errors=errors,
        error_kinds={
            k.removeprefix("errors_"): v for k, v in out.items() if k.startswith("errors_") and v
        },
        server_cpu_ms_per_req=server_cpu * 1000 / requests,
        mock_cpu_ms_per_req=mock_cpu * 1000 / requests,
        wrk_cpu_s=wrk_cpu,
        machine_busy_s=busy,
        others_busy_s=max(0.0, busy - ours),
    )
