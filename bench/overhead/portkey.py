"""The Portkey gateway (npm ``@portkey-ai/gateway``) as a peer of the overhead benchmark.

A routing-only gateway in Node (Hono): no auth database, quota, redaction or audit. Installed
by the benchmark, with the machine's npm, into a throw-away folder under .bench/ (like the
LiteLLM proxy's venv); nothing is fetched while it runs. It listens on 127.0.0.1 and is pointed
at the same mock upstream with its documented headers (``x-portkey-provider: openai``,
``x-portkey-custom-host``: the mock's base URL, which Portkey trusts as 127.0.0.1); the bearer
token (random) is passed through to the upstream as the provider's key.

One pin besides Portkey's own: ``@hono/node-server`` 1.13.8. Portkey asks for ``^1.3.3``, and
from 1.14 on that adapter keeps a fetched response's immutable headers, so every streamed chat
completion fails with ``TypeError: immutable`` when Portkey adds its ``x-portkey-*`` headers
(Portkey-AI/gateway issue #1389, still open; reproduced here with 1.14.2 and 1.19.19). 1.13.8
is the newest release inside Portkey's range without that change.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess

from bench.overhead.servers import REPO, Fleet, Server, base_env, free_port, wait_ready

PORTKEY_VERSION = "1.15.2"
NODE_SERVER_VERSION = "1.13.8"
PORTKEY_DIR = REPO / ".bench" / "portkey"
_ENTRY = PORTKEY_DIR / "node_modules" / "@portkey-ai" / "gateway" / "build" / "start-server.js"


def _installed(package: str) -> str | None:
    path = PORTKEY_DIR / "node_modules" / package / "package.json"
    try:
        version: str = json.loads(path.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None
    return version


def install_portkey() -> None:
    """``npm install`` the pinned gateway into .bench/portkey, once (scripts off: its only
    install script, patch-package, has no patches in the published package)."""
    if (
        _installed("@portkey-ai/gateway") == PORTKEY_VERSION
        and _installed("@hono/node-server") == NODE_SERVER_VERSION
    ):
        return
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise RuntimeError("the Portkey peer needs node and npm on PATH (or pass --no-portkey)")
    PORTKEY_DIR.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": "kakehashi-bench-portkey",
        "private": True,
        "dependencies": {"@portkey-ai/gateway": PORTKEY_VERSION},
        "overrides": {"@hono/node-server": NODE_SERVER_VERSION},
    }
    (PORTKEY_DIR / "package.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=PORTKEY_DIR, check=True,
    )  # fmt: skip


def start_portkey(fleet: Fleet, mock: Server) -> Server:
    install_portkey()
    port = free_port()
    env = base_env()
    # production: no log-viewer UI and no console log stream (as it would be deployed).
    env["NODE_ENV"] = "production"
    cmd = ["node", str(_ENTRY), f"--port={port}", "--headless"]
    headers = {"x-portkey-provider": "openai", "x-portkey-custom-host": mock.base_url}
    server = fleet.spawn(
        "portkey", cmd, env=env, base_url=f"http://127.0.0.1:{port}/v1",
        token="sk-bench-" + secrets.token_hex(8), headers=headers,
    )  # fmt: skip
    wait_ready(server, f"http://127.0.0.1:{port}/", timeout=120)
    return server
