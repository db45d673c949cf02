"""The processes under test: the mock upstream, Kakehashi and the LiteLLM proxy (the Portkey
gateway: ``bench.overhead.portkey``).

Owns starting each one on 127.0.0.1 in its own process group, waiting until it answers a real
chat completion, reading its CPU time from /proc, and stopping it (group SIGTERM, then SIGKILL).
Every process started here is registered in ``Fleet`` and stopped by ``Fleet.stop_all`` on any
exit path. Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
LITELLM_VERSION = "1.106.2"  # pinned exactly: 1.82.7, 1.82.8 and 1.107.x were compromised
LITELLM_VENV = REPO / ".bench" / "litellm-proxy"
PROMPT = "来週の営業会議の議題を三つ、箇条書きで提案してください。"
MODEL = "mock"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def chat_body(*, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}]}
    if stream:
        body["stream"] = True
    return body


@dataclass
class Server:
    """One started process group: its leader, where it listens, and the token it wants."""

    name: str
    proc: subprocess.Popen[bytes]
    base_url: str  # the OpenAI base, ending in /v1 (or without it for the LiteLLM proxy)
    token: str
    log: Path
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request (Portkey's)

    @property
    def chat_url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def pids(self) -> list[int]:
        """Every live process in this server's session (uvicorn workers included)."""
        found = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            fields = _stat_fields(entry.name)
            if fields is not None and int(fields[3]) == self.proc.pid:  # session id
                found.append(int(entry.name))
        return found

    def cpu_seconds(self) -> float:
        """user+system CPU of the live processes of this server, in seconds."""
        total = 0
        for pid in self.pids():
            fields = _stat_fields(str(pid))
            if fields is not None:
                total += int(fields[11]) + int(fields[12])
        return total / CLK_TCK

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        # Workers of a group whose leader exited first.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def _stat_fields(pid: str) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (index 0 is the state)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


@dataclass
class Fleet:
    workdir: Path
    workers: int
    servers: list[Server] = field(default_factory=list)

    def spawn(
        self,
        name: str,
        cmd: list[str],
        *,
        env: dict[str, str],
        base_url: str,
        token: str = "",
        headers: dict[str, str] | None = None,
        cwd: Path = REPO,
    ) -> Server:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        server = Server(name, proc, base_url, token, log, headers or {})
        self.servers.append(server)
        return server

    def stop_all(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()


def base_env() -> dict[str, str]:
    """The environment without proxies or stray Kakehashi/LiteLLM settings."""
    drop = ("KAKEHASHI_", "LITELLM_", "DATABASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(drop)}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_mock(fleet: Fleet) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "tests.support.mock_upstream", "--port", str(port)]
    server = fleet.spawn("mock", cmd, env=base_env(), base_url=f"http://127.0.0.1:{port}/v1")
    wait_ready(server, f"http://127.0.0.1:{port}/v1/models")
    return server


def start_redis(fleet: Fleet) -> Server:
    """A throw-away redis-server (no persistence) for the shared quota store and caches."""
    port = free_port()
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no", "--dir", str(fleet.workdir)]  # fmt: skip
    server = fleet.spawn("redis", cmd, env=base_env(), base_url=f"redis://127.0.0.1:{port}/0")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def _kakehashi_config(
    fleet: Fleet, mock: Server, port: int, name: str, overrides: dict[str, Any]
) -> Path:
    config = {
        "mode": "production",
        "database": {"url": f"sqlite:///{fleet.workdir / f'{name}.db'}"},
        "server": {"host": "127.0.0.1", "port": port, "workers": fleet.workers},
        "models": [{"alias": MODEL, "model": f"openai/{MODEL}", "api_base": mock.base_url}],
        # Redaction off, as issue 2 asks: nothing to redact or block (the analyzer returns at once).
        "default_policy": {"allowed_models": ["*"], "redaction": {"redact": [], "block": []}},
        **overrides,
    }
    path = fleet.workdir / f"{name}.yaml"
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def kakehashi_env() -> dict[str, str]:
    env = base_env()
    env["KAKEHASHI_SECRET_KEY"] = secrets.token_urlsafe(32)
    return env


def kakehashi_cli(root: Path = REPO) -> str:
    """The ``kakehashi`` command of a checkout (another one's own .venv: ``--before`` runs)."""
    if root == REPO:
        return str(Path(sys.executable).parent / "kakehashi")
    return str(root / ".venv" / "bin" / "kakehashi")


def prepare_kakehashi(
    fleet: Fleet,
    mock: Server,
    *,
    name: str = "kakehashi",
    overrides: dict[str, Any] | None = None,
    root: Path = REPO,
) -> tuple[Path, int, str, dict[str, str]]:
    """Config, port, API key and environment for a Kakehashi on a migrated SQLite database;
    ``overrides``: top-level config keys replaced (redaction on, Redis, the cache); ``root``:
    the checkout that runs it."""
    port = free_port()
    config = _kakehashi_config(fleet, mock, port, name, overrides or {})
    env = kakehashi_env()
    return config, port, migrated_with_key(kakehashi_cli(root), config, cwd=root, env=env), env


def migrated_with_key(cli: str, config: Path, *, cwd: Path | str, env: dict[str, str]) -> str:
    """Migrate the database of ``config`` and make the bench's API key (returned)."""
    subprocess.run(
        [cli, "db", "upgrade", "--config", str(config)],
        cwd=cwd, env=env, check=True, capture_output=True,
    )  # fmt: skip
    created = subprocess.run(
        [cli, "keys", "create", "--config", str(config), "--user", "bench@example.co.jp",
         "--department", "営業部", "--name", "bench-overhead"],
        cwd=cwd, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return created.stdout.strip().splitlines()[0]


def start_kakehashi(
    fleet: Fleet,
    mock: Server,
    *,
    name: str = "kakehashi",
    overrides: dict[str, Any] | None = None,
    wait: bool = True,
    root: Path = REPO,
) -> Server:
    config, port, token, env = prepare_kakehashi(
        fleet, mock, name=name, overrides=overrides, root=root
    )
    cmd = [kakehashi_cli(root), "serve", "--config", str(config), "--workers", str(fleet.workers)]
    base_url = f"http://127.0.0.1:{port}/v1"
    server = fleet.spawn(name, cmd, env=env, base_url=base_url, token=token, cwd=root)
    if wait:
        wait_ready(server, f"http://127.0.0.1:{port}/healthz", timeout=600)
    return server


def code_fingerprint() -> str:
    """A hash of the gateway's source, to notice other engineers' edits during a run."""
    digest = hashlib.sha256()
    for package in ("gateway", "audit", "policies", "redaction"):
        for path in sorted((REPO / package).rglob("*.py")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def install_litellm_proxy() -> Path:
    """Install ``litellm[proxy]`` (pinned) into a throw-away venv, once."""
    python = LITELLM_VENV / "bin" / "python"
    probe = "import importlib.metadata as m; print(m.version('litellm'))"
    if python.exists():
        got = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
        if got.stdout.strip() == LITELLM_VERSION:
            return LITELLM_VENV / "bin" / "litellm"
    subprocess.run(["uv", "venv", "-q", "--python", "3.11", str(LITELLM_VENV)], check=True)
    subprocess.run(
        [
            "uv",
            "pip",
            "install",
            "-q",
            "--python",
            str(python),
            f"litellm[proxy]=={LITELLM_VERSION}",
        ],
        check=True,
    )
    return LITELLM_VENV / "bin" / "litellm"


def _litellm_config(
    fleet: Fleet,
    mock: Server,
    models: dict[str, str] | None = None,
    guardrails: list[dict[str, Any]] | None = None,
) -> Path:
    # As docs.litellm.ai/docs/proxy/prod recommends: master key, no debug logging, JSON logs,
    # no spend/error logs to a database (there is none).
    routes = {MODEL: mock.base_url, **(models or {})}
    config: dict[str, Any] = {
        "model_list": [
            {
                "model_name": alias,
                "litellm_params": {
                    "model": f"openai/{MODEL}",
                    "api_base": api_base,
                    "api_key": "bench-no-key",
                },
            }
            for alias, api_base in routes.items()
        ],
        "general_settings": {
            "master_key": "os.environ/LITELLM_MASTER_KEY",
            "disable_spend_logs": True,
            "disable_error_logs": True,
        },
        "litellm_settings": {"request_timeout": 600, "set_verbose": False, "json_logs": True},
    }
    if guardrails:
        config["guardrails"] = guardrails
    path = fleet.workdir / f"litellm-{len(fleet.servers)}.yaml"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def start_litellm(
    fleet: Fleet,
    mock: Server,
    *,
    name: str = "litellm",
    models: dict[str, str] | None = None,
    guardrails: list[dict[str, Any]] | None = None,
) -> Server:
    """The LiteLLM proxy on the mock (``models``: more aliases, alias -> OpenAI base URL;
    ``guardrails``: its config's ``guardrails`` list)."""
    binary = install_litellm_proxy()
    port = free_port()
    key = "sk-bench-" + secrets.token_hex(16)
    env = base_env()
    env.update(
        LITELLM_LOCAL_MODEL_COST_MAP="True",  # never fetch the price map (no internet here)
        LITELLM_LOG="ERROR",  # the docs' production setting: no FastAPI info logs
        LITELLM_MASTER_KEY=key,
    )
    config = _litellm_config(fleet, mock, models, guardrails)
    cmd = [str(binary), "--config", str(config), "--host", "127.0.0.1",
           "--port", str(port), "--num_workers", str(fleet.workers),
           # uvicorn kills a worker that does not answer its 5 s health ping; litellm's import
           # takes longer than that on a loaded machine, so workers were restarted forever.
           "--timeout_worker_healthcheck", "120"]  # fmt: skip
    server = fleet.spawn(name, cmd, env=env, base_url=f"http://127.0.0.1:{port}", token=key)
    wait_ready(server, f"http://127.0.0.1:{port}/health/liveliness", timeout=420)
    return server


def wait_ready(server: Server, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    tail = server.log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"{server.name} did not become ready at {url}:\n{tail}")


def check_answers(server: Server) -> None:
    """One plain and one streaming request must come back with the mock's echo."""
    headers = {"authorization": f"Bearer {server.token}"} if server.token else {}
    headers.update(server.headers)
    with httpx.Client(timeout=30, trust_env=False) as client:
        plain = client.post(server.chat_url, json=chat_body(stream=False), headers=headers)
        plain.raise_for_status()
        content = plain.json()["choices"][0]["message"]["content"]
        if content != "echo: " + PROMPT:
            raise RuntimeError(f"{server.name} answered {content!r}")
        streamed = client.post(server.chat_url, json=chat_body(stream=True), headers=headers)
        streamed.raise_for_status()
        if _streamed_text(streamed.text) != "echo: " + PROMPT:
            raise RuntimeError(f"{server.name} streamed {streamed.text[:300]!r}")


def _streamed_text(sse: str) -> str:
    parts = []
    for line in sse.splitlines():
        data = line.removeprefix("data:").strip()
        if not line.startswith("data:") or data == "[DONE]":
            continue
        for choice in json.loads(data).get("choices", []):
            parts.append((choice.get("delta") or {}).get("content") or "")
    return "".join(parts)
