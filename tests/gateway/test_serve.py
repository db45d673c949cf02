"""``kakehashi serve`` with two workers (issue 18): the parent loads the gateway and the analyser
once and forks, so most of each worker's memory is shared with its sibling; a worker killed
by the kernel is replaced and the gateway keeps answering; SIGTERM stops everything cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from gateway.migrate import upgrade
from tests.fixtures.services import free_port
from tests.support.processes import ROOT, write_config


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rfind(")") + 2 :].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(field)


def _until(check: object, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_forked_workers_share_memory_restart_and_stop(
    tmp_path: Path, upstream_url: str
) -> None:
    database = f"sqlite:///{tmp_path / 'kakehashi.db'}"
    upgrade(database)
    config = write_config(
        tmp_path / "config.yaml",
        {
            "mode": "test",
            "database": {"url": database},
            "models": [{"alias": "m", "model": "openai/m", "api_base": upstream_url}],
        },
    )
    port = free_port()
    health = f"http://127.0.0.1:{port}/healthz"
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        _until(lambda: httpx.get(health, timeout=2).status_code == 200, "/healthz")
        _until(lambda: len(_children(server.pid)) == 2, "two workers")
        workers = _children(server.pid)
        for pid in workers:  # the analyser and the imports come from the parent, shared
            assert _kb(pid, "Shared_Clean") + _kb(pid, "Shared_Dirty") > _kb(pid, "Private_Dirty")
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        _until(lambda: len(_children(server.pid) - {victim}) == 2, "a replacement worker")
        for _ in range(4):  # both workers answer (connections land on either)
            assert httpx.get(health, timeout=30).status_code == 200
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        assert not _children(server.pid)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
    lines = log.read_text(encoding="utf-8").splitlines()
    messages = [json.loads(line)["message"] for line in lines]  # every line is JSON
    assert any("Booting worker" in m for m in messages)
    assert sum("Kakehashi ready" in m for m in messages) == 3  # two workers and the replacement
