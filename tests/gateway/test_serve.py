"""``kakehashi serve`` with two workers (issue 18): the parent loads the gateway and the analyser
once and forks, so most of each worker's memory is shared with its sibling; each worker listens
on its own socket, so a burst of connections is spread over both; a worker killed by the kernel
is replaced (with its own socket) and the gateway keeps answering; SIGTERM stops everything
cleanly; a port another server holds is refused before anything starts."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.kernel.errors import ConfigError
from gateway.migrate import upgrade
from gateway.server import claim
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


def _running(pid: int) -> bool:
    """Not ended (an ended orphan may stay a zombie until init reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(field)


def _sockets(port: int, state: str) -> set[int]:
    """Inodes of the TCP sockets on local ``port`` in ``state`` (0A listening, 01 established)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            found.add(int(fields[9]))
    return found


def _held(pid: int, inodes: set[int]) -> set[int]:
    """Which of ``inodes`` the process ``pid`` has open."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and int(target[8:-1]) in inodes:
            held.add(int(target[8:-1]))
    return held


def _own_listeners(parent: int, port: int) -> dict[int, set[int]]:
    """Each worker's listening sockets on ``port``; the parent must hold none of them."""
    listening = _sockets(port, "0A")
    assert not _held(parent, listening)
    return {pid: _held(pid, listening) for pid in _children(parent)}


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


def _serve(tmp_path: Path, workers: int, upstream_url: str | None = None) -> tuple[list[str], int]:
    """``kakehashi serve`` on a free port with ``workers``, its database migrated, and that
    port; the model, when given, answers at ``upstream_url``."""
    database = f"sqlite:///{tmp_path / 'kakehashi.db'}"
    upgrade(database)
    values: dict[str, object] = {"mode": "test", "database": {"url": database}}
    if upstream_url is not None:
        values["models"] = [{"alias": "m", "model": "openai/m", "api_base": upstream_url}]
    config = write_config(tmp_path / "config.yaml", values)
    port = free_port()
    command = [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    return command, port


def test_two_forked_workers_share_memory_restart_and_stop(
    tmp_path: Path, upstream_url: str
) -> None:
    command, port = _serve(tmp_path, 2, upstream_url)
    health = f"http://127.0.0.1:{port}/healthz"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        _until(lambda: httpx.get(health, timeout=2).status_code == 200, "/healthz")
        _until(lambda: len(_children(server.pid)) == 2, "two workers")
        workers = _children(server.pid)
        for pid in workers:  # the analyser and the imports come from the parent, shared
            assert _kb(pid, "Shared_Clean") + _kb(pid, "Shared_Dirty") > _kb(pid, "Private_Dirty")
        listeners = _own_listeners(server.pid, port)
        assert all(len(held) == 1 for held in listeners.values()), listeners
        assert len(set().union(*listeners.values())) == 2  # one socket each, not one shared
        # A burst of 24 connections, as a client pool opens them: both workers get a share
        # (on one shared socket the first worker to wake accepted most or all of them).
        burst = [socket.create_connection(("127.0.0.1", port)) for _ in range(24)]
        try:
            time.sleep(1)  # each worker's loop accepts what the kernel queued for it
            accepted = {pid: len(_held(pid, _sockets(port, "01"))) for pid in workers}
            assert sum(accepted.values()) == 24, accepted
            assert min(accepted.values()) >= 4, accepted
        finally:
            for connection in burst:
                connection.close()
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        _until(lambda: len(_children(server.pid) - {victim}) == 2, "a replacement worker")
        _until(lambda: len(_sockets(port, "0A")) == 2, "the replacement's socket")
        listeners = _own_listeners(server.pid, port)
        assert len(set().union(*listeners.values())) == 2
        assert victim not in listeners
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


def test_workers_stop_when_the_server_process_is_killed_outright(
    tmp_path: Path, upstream_url: str
) -> None:
    """SIGKILL (the OOM killer) leaves the workers no parent to stop them: they notice within
    a heartbeat and stop, instead of holding the port and their memory for ever."""
    command, port = _serve(tmp_path, 2, upstream_url)
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    workers: set[int] = set()
    try:
        _until(lambda: len(_sockets(port, "0A")) == 2, "two listening workers")
        workers = _children(server.pid)
        server.kill()
        server.wait(timeout=30)
        _until(lambda: not any(_running(pid) for pid in workers), "the workers to stop", 30)
        assert not _sockets(port, "0A")  # the port is free for the next start
    finally:
        for pid in workers:  # whatever the outcome, no worker outlives the test
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)


def test_one_worker_listens_on_the_parents_socket(tmp_path: Path) -> None:
    """With one worker there is nothing to spread: the parent's socket is kept, so the
    connections waiting in it outlive the worker's restart."""
    command, port = _serve(tmp_path, 1)
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _until(lambda: len(_sockets(port, "0A")) == 1 and _children(server.pid), "a worker")
        assert _held(server.pid, _sockets(port, "0A"))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def test_a_port_in_use_is_refused_before_any_worker_starts(tmp_path: Path) -> None:
    """With a socket per worker the parent binds nothing, so it asks first: another server's
    port must not be joined (``SO_REUSEPORT`` would share it) nor retried forever."""
    config = write_config(tmp_path / "config.yaml", {"mode": "test"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "使用中" in done.stderr
    assert "already in use" in done.stderr


def test_with_several_workers_the_port_stays_claimed_for_them() -> None:
    """``claim`` keeps the port bound for the workers' sockets and from everyone else, and
    sends no connection to its own socket; with one worker it only asks."""
    claimed = claim("127.0.0.1", 0, per_worker=True)
    assert claimed is not None
    port = claimed.getsockname()[1]
    try:
        with socket.socket() as other:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with pytest.raises(OSError, match="in use"):
                other.bind(("127.0.0.1", port))  # not another program, nor another server
        workers = []
        for _ in range(2):
            worker = socket.socket()
            worker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            worker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            worker.bind(("127.0.0.1", port))
            worker.listen()
            workers.append(worker)
        accepted = 0
        for _ in range(20):  # every connection reaches a listening worker
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                ready, _, _ = select.select(workers, [], [], 5)
                accepted += sum(1 for w in ready if w.accept()[0].close() is None)
        assert accepted == 20
        for worker in workers:
            worker.close()
    finally:
        claimed.close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ConfigError, match="already in use"):
            claim("127.0.0.1", taken.getsockname()[1], per_worker=True)
    assert claim("127.0.0.1", port, per_worker=False) is None  # asked, not kept
