"""Two gateway replicas behind nginx, as docker-compose.yml runs them, on loopback: one
PostgreSQL, one Redis, one spool directory, nginx (Debian's package) configured from
``deploy/nginx/kakehashi.conf`` itself. Used by the two-replica fault tests and the soak in
``bench/soak``.

nginx adds a response header naming the replica that answered (``REPLICA_HEADER``), so a test
can show that its requests really alternated.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fixtures.services import _wait_port, free_port
from tests.support.processes import (
    GatewayProcess,
    launch_gateway_process,
    start_gateway_process,
    wait_listening,
    write_config,
)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_CONF = ROOT / "deploy" / "nginx" / "kakehashi.conf"
REPLICA_HEADER = "x-kakehashi-replica"
NGINX_MIN = (1, 18)  # deploy/bootstrap.sh checks the same


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        raise RuntimeError(
            "nginx is not installed (bash .ci/test installs it: apt-get install nginx)"
        )
    return found


def render_site(listen: int, backends: list[int]) -> str:
    """deploy/nginx/kakehashi.conf with loopback replicas instead of Compose's DNS name. Each
    change is checked, so the test notices when the deployed file drifts away from it."""
    text = DEPLOY_CONF.read_text(encoding="utf-8")
    changes = [
        (r"(?m)^resolver .*\n", ""),  # no Compose DNS here
        (
            r"(?m)^    server gateway:\d+ resolve (.*);\n",
            lambda m: "".join(f"    server 127.0.0.1:{p} {m.group(1)};\n" for p in backends),
        ),
        (r"listen \d+;", f"listen 127.0.0.1:{listen};"),
        (
            r"proxy_pass http://kakehashi;",
            f"proxy_pass http://kakehashi;\n        add_header {REPLICA_HEADER} $upstream_addr always;",
        ),
    ]
    for pattern, replacement in changes:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, f"{DEPLOY_CONF}: {pattern!r} not found"
    return text


@dataclass
class Nginx:
    port: int
    workdir: Path
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def start_nginx(workdir: Path, listen: int, backends: list[int]) -> Nginx:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "kakehashi.conf").write_text(render_site(listen, backends), encoding="utf-8")
    temp = "".join(
        f"{name}_temp_path {workdir / name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers need the temp folders
    (workdir / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {workdir / 'nginx.pid'};\n"
        f"error_log {workdir / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\naccess_log {workdir / 'access.log'};\n{temp}"
        f"include {workdir / 'kakehashi.conf'};\n}}\n",
        encoding="utf-8",
    )
    binary = nginx_binary()
    done = subprocess.run(
        [binary, "-t", "-c", str(workdir / "nginx.conf")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    process = subprocess.Popen(
        [binary, "-c", str(workdir / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_port(listen)
    return Nginx(listen, workdir, process)


@dataclass
class Cluster:
    """Two replicas on one config file, nginx in front."""

    config: Path
    values: dict[str, Any]
    nginx: Nginx
    replicas: list[GatewayProcess] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.nginx.base_url

    def replica_of(self, address: str) -> int:
        """The index of the replica nginx names in ``REPLICA_HEADER`` (``127.0.0.1:port``)."""
        ports = [r.port for r in self.replicas]
        return ports.index(int(address.rsplit(":", 1)[1]))

    def restart(self, index: int) -> None:
        """Start replica ``index`` again on its port (what a restart policy does)."""
        old = self.replicas[index]
        old.stop()
        self.replicas[index] = start_gateway_process(
            self.config, name=f"replica{index}-again", port=old.port, env=self.env
        )

    def stop(self) -> None:
        self.nginx.stop()
        for replica in self.replicas:
            replica.stop()


def start_cluster(
    workdir: Path,
    values: dict[str, Any],
    *,
    listen: int | None = None,
    env: dict[str, str] | None = None,
) -> Cluster:
    """``values``: the gateway config both replicas read (its ``server.public_url`` should be
    nginx's: ``listen`` is its port, free by default); ``env``: their secrets."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = write_config(workdir / "config.yaml", values)
    env = env or {}
    # Side by side: a cold start (litellm, the analyzer) is mostly one core's work.
    replicas = [launch_gateway_process(config, name=f"replica{i}", env=env) for i in range(2)]
    try:
        for replica in replicas:
            wait_listening(replica)
        nginx = start_nginx(workdir / "nginx", listen or free_port(), [r.port for r in replicas])
    except BaseException:
        for replica in replicas:
            replica.stop()
        raise
    return Cluster(config, values, nginx, replicas, env)
