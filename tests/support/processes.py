"""Real gateway processes for fault tests: started with ``uvicorn --factory`` from a config
file, killed or stopped the way an operator (or the kernel) would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.fixtures.services import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class GatewayProcess:
    config: Path
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, nothing but what is already on disk survives."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def write_config(path: Path, values: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
    return path


def start_gateway_process(
    config: Path,
    *,
    name: str = "gateway",
    cli: bool = False,
    port: int | None = None,
    env: dict[str, str] | None = None,
    wrap: list[str] | None = None,
) -> GatewayProcess:
    """uvicorn with the app factory, or (``cli``) the ``kakehashi serve`` command itself;
    on ``port`` (a restarted replica keeps its own) or a free one; ``env`` added to ours
    (secrets, which never go in the file)."""
    launched = launch_gateway_process(config, name=name, cli=cli, port=port, env=env, wrap=wrap)
    return wait_listening(launched)


def launch_gateway_process(
    config: Path,
    *,
    name: str = "gateway",
    cli: bool = False,
    port: int | None = None,
    env: dict[str, str] | None = None,
    wrap: list[str] | None = None,
) -> GatewayProcess:
    """``start_gateway_process`` without waiting: several start side by side. ``wrap``: a
    command that runs the gateway (``exec "$@"``) after preparing its world (a mount)."""
    port = port or free_port()
    log = config.parent / f"{name}-{port}.log"
    env = {**os.environ, **(env or {}), "KAKEHASHI_CONFIG": str(config)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "gateway.http.app:create_app_from_env"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    if cli:
        command = [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    command = [*(wrap or []), *command]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return GatewayProcess(config, port, log, process)


def wait_listening(running: GatewayProcess, timeout: float = 300) -> GatewayProcess:
    """Until it accepts connections; a crashed start-up is reported at once, with its log."""
    deadline = time.monotonic() + timeout
    while running.process.poll() is None and time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", running.port)) == 0:
                return running
        time.sleep(0.05)
    running.stop()
    code = running.process.poll()
    raise RuntimeError(f"gateway did not start (exit code {code}):\n{running.output()}")
