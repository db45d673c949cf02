"""The server process of ``kakehashi serve``: one parent that loads the gateway once and forks
its workers (gunicorn's arbiter with uvicorn's worker).

Why pre-fork (issue 18): every worker used to import the gateway and build the analyser (Sudachi,
Presidio, the lexicons) on its own, ~10 s of CPU each, and kept a private copy of ~400 MB. Here
the parent imports, builds the analyser and reads the price map (and litellm, when a route calls
through it) once, freezes that heap out of the collector, and forks: the workers share those
pages copy-on-write and only open their own connections (database, Redis, audit writer) in the
app's lifespan. gunicorn restarts a worker that dies (forked again from the same loaded parent),
stops gracefully on SIGTERM (requests in flight finish, then the lifespans close) and at once on
SIGINT/SIGQUIT.

With two or more workers, each listens on its own socket (``SO_REUSEPORT``; gunicorn's
``reuse_port``), and the kernel spreads new connections across them. With one socket shared by all workers, the worker
that wakes first accepts every connection waiting: a client opening its keep-alive connections
in a burst (an SDK's pool, nginx, a load test) could land them all on one worker, which then
analyses them one by one under its GIL while the other core idles (issue 18: one repetition
served 76 req/s with 1.1 of 2 cores busy). The parent then listens on no socket; ``claim``
keeps the port for the workers, and a second server on the same port is refused, not joined.
The price: a connection lands on a worker by a hash, not by who is free; a worker stuck for
its whole timeout (``WORKER_TIMEOUT_S``) keeps getting its share until it is replaced, and the
connections waiting in a dead worker's queue are reset (the OpenAI SDKs retry a reset).
"""

from __future__ import annotations

import errno
import gc
import logging
import os
import signal
import socket
from typing import Any, ClassVar

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from uvicorn_worker import UvicornWorker

from gateway import process
from gateway.http.app import create_app
from gateway.http.wire import OneWrite
from gateway.kernel.errors import ConfigError
from gateway.kernel.settings import Settings
from gateway.provider import Providers
from redaction.engine import Redactor

# A worker whose event loop does not answer gunicorn for this long is killed and replaced. Its
# start-up is short now (connections only), but a loaded machine stretches everything (issue 18).
WORKER_TIMEOUT_S = 120
# Requests in flight get this long to finish after SIGTERM before the workers are killed.
GRACEFUL_TIMEOUT_S = 30
# How often a worker tells gunicorn it is alive, and asks whether its parent still is.
HEARTBEAT_S = 5


class Worker(UvicornWorker):  # type: ignore[misc]  # gunicorn ships no types
    """uvicorn's worker without its access log (the pipeline writes one line per chat request),
    each response's head and body in one write (``gateway.http.wire``)."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "auto",
        "http": OneWrite,
        "access_log": False,
        # Bounds the worker's own wait for its connections after SIGTERM, which the parent
        # also enforces, but an orphan (below) has no parent to.
        "timeout_graceful_shutdown": GRACEFUL_TIMEOUT_S,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.timeout_notify = HEARTBEAT_S  # uvicorn's default: half the worker timeout

    async def callback_notify(self) -> None:
        """The heartbeat (uvicorn calls it every ``timeout_notify`` seconds). A parent killed
        outright (SIGKILL, the OOM killer) can neither stop nor replace its workers, and
        uvicorn's worker does not notice: it would keep serving on its own socket, holding
        ~200 MB and the port, so a restarted server is refused. It stops as on SIGTERM."""
        self.notify()
        if os.getppid() != self.ppid:
            self.log.warning("the server process %s is gone; worker %s stops", self.ppid, self.pid)
            os.kill(os.getpid(), signal.SIGTERM)


class JsonLogs(Logger):  # type: ignore[misc]
    """gunicorn's own lines (and, through the worker, uvicorn's) as the gateway's JSON lines:
    the handler ``gateway.kernel.logs.configure`` put on the root logger."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.handlers[:] = logging.getLogger().handlers
        self.error_log.propagate = False


class Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no types
    def __init__(self, settings: Settings, *, workers: int) -> None:
        self._settings = settings
        host, port = settings.server.host, settings.server.port
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._options: dict[str, Any] = {
            "bind": [bind],
            "workers": max(1, workers),
            "worker_class": Worker,
            "preload_app": True,
            # A socket per worker when there are several (module docstring). One worker keeps
            # the parent's socket: its queue then outlives the worker's restart.
            "reuse_port": workers > 1,
            "timeout": WORKER_TIMEOUT_S,
            "graceful_timeout": GRACEFUL_TIMEOUT_S,
            "keepalive": 5,  # uvicorn's default, as before
            "logger_class": JsonLogs,
            "loglevel": "info",
            "proc_name": "kakehashi",
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """In the parent, once, before any worker is forked (``preload_app``)."""
        return preload(self._settings)


def preload(settings: Settings) -> Any:
    """Everything read-only and long-lived that the workers can share: the imports, the
    analyser, the price map (litellm too when a route calls through it). The collector is off
    while they are built (no freed holes in shared pages) and frozen after, so a collection
    in a worker never writes to the parent's objects (which would copy their pages)."""
    process.tune()
    gc.disable()
    redactor = Redactor.build()
    Providers.preload(settings.models)
    app = create_app(settings, redactor=redactor, started=process.freeze_heap)
    gc.freeze()
    gc.enable()  # later collections pass over the newer objects only
    return app


def run(settings: Settings, *, workers: int) -> None:
    host, port = settings.server.host, settings.server.port
    claimed = claim(host, port, per_worker=workers > 1)
    try:
        Server(settings, workers=workers).run()
    finally:
        if claimed is not None:
            claimed.close()


def claim(host: str, port: int, *, per_worker: bool) -> socket.socket | None:
    """Refuse a port another server holds; with a socket per worker, keep it claimed.

    A plain bind fails against any listener, even one with ``SO_REUSEPORT`` that the workers'
    sockets could join (a second ``kakehashi serve``, which would share the traffic). With
    one worker that is all (gunicorn's parent then listens itself). With several, the parent
    listens on no socket, so a second one stays bound, never listening (the kernel sends it
    no connection), for the server's life: nothing else can take the port in the seconds
    before the workers bind it or while they are all replaced, where workers failing to bind
    would be restarted over and over. It has ``SO_REUSEPORT`` (the workers' sockets join it)
    and not ``SO_REUSEADDR``, without which no other program's bind is let in beside it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not "in use"
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise ConfigError(
                    f"{host}:{port} を使えません / cannot bind {host}:{port}: {exc}"
                ) from exc
            raise ConfigError(
                f"ポート {port} ({host}) は別のサーバーが使用中です / "
                f"port {port} on {host} is already in use by another server"
            ) from exc
    if not per_worker:
        return None
    held = socket.socket(family, socket.SOCK_STREAM)
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        held.bind((host, port))
    except OSError:
        # An earlier run's connections still in TIME_WAIT on the port refuse a bind without
        # SO_REUSEADDR: serve unclaimed (the workers' listeners hold the port once they run).
        held.close()
        return None
    return held
