"""``uv run python -m bench.overhead.streamed DIR...``: what one streamed request costs in
several source trees side by side (issue 18, the relay): the server's CPU per streamed request
over sequential requests (c=1, from /proc, rounds interleaved and rotated), and with
``--strace`` its socket writes per streamed request (strace on the server, a separate pass).
Each DIR is a source tree run with this venv (``bench.overhead.checkouts``: one worker,
redaction off, SQLite, the mock upstream).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.overhead.checkouts import start
from bench.overhead.servers import Fleet, Server, chat_body, check_answers, start_mock, wait_ready

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICK


def _stream(client: httpx.Client, server: Server, n: int) -> None:
    body = chat_body(stream=True)
    for _ in range(n):
        reply = client.post(f"{server.base_url}/chat/completions", json=body,
                            headers={"authorization": f"Bearer {server.token}"})  # fmt: skip
        if reply.status_code != 200 or not reply.text.endswith("data: [DONE]\n\n"):
            raise RuntimeError(f"bad streamed reply {reply.status_code}: {reply.text[-200:]!r}")


def _writes(server: Server, n: int, out: Path) -> float:
    pids = [arg for pid in server.pids() for arg in ("-p", str(pid))]
    spy = subprocess.Popen(["strace", "-f", "-y", "-e", "trace=write,writev,sendto,sendmsg",
                            "-o", str(out), *pids], stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(1.5)  # strace attaches
    with httpx.Client(timeout=30) as client:
        _stream(client, server, n)
    time.sleep(0.5)
    spy.send_signal(signal.SIGINT)
    spy.wait(timeout=30)
    return sum("socket:" in line for line in out.read_text().splitlines()) / n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dirs", nargs="+")
    p.add_argument("--requests", type=int, default=400)
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--strace", action="store_true")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="streamed-") as tmp:
        fleet = Fleet(Path(tmp), 1)
        try:
            mock = start_mock(fleet)
            servers = [start(fleet, mock, d, {}) for d in a.dirs]
            for s in servers:
                wait_ready(s, s.base_url.removesuffix("/v1") + "/healthz", timeout=900)
                check_answers(s)
            cpu: dict[str, list[float]] = {s.name: [] for s in servers}
            for r in range(a.rounds):
                for s in servers[r % len(servers) :] + servers[: r % len(servers)]:
                    with httpx.Client(timeout=30) as client:
                        _stream(client, s, 20)  # warm
                        before = _cpu_s(s.pids())
                        _stream(client, s, a.requests)
                        cpu[s.name].append((_cpu_s(s.pids()) - before) * 1000 / a.requests)
                    print(f"r{r} {s.name:12} {cpu[s.name][-1]:.3f} ms CPU/streamed request")
            for name, values in cpu.items():
                print(f"{name:12} median {statistics.median(values):.3f} ms "
                      f"{[round(v, 3) for v in values]}")  # fmt: skip
            for s in servers if a.strace else []:
                n = min(a.requests, 100)
                print(f"{s.name:12} socket writes/streamed request "
                      f"{_writes(s, n, Path(tmp) / f'{s.name}.strace'):.2f}")  # fmt: skip
        finally:
            fleet.stop_all()


if __name__ == "__main__":
    main()
