"""Disk full for the audit spool: the request is refused before anything is sent (503, a clear
Japanese + English message), and the gateway recovers by itself once there is room (issue 17).

A real ENOSPC, not a mock: the gateway runs in a private mount namespace (``unshare``; with a
user namespace when not root) where its spool directory is a 1 MiB tmpfs. The test reaches that
tmpfs through ``/proc/<pid>/root`` and fills it with a file until the kernel says ENOSPC. The
namespace ends with the process, so no mount is ever left behind.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import httpx
import pytest

from gateway.kernel.settings import Settings
from gateway.migrate import upgrade
from tests.fixtures.gateway import RunningGateway
from tests.support.mock_upstream import MockUpstream
from tests.support.processes import start_gateway_process, write_config

pytestmark = [pytest.mark.slow]

# Runs the gateway ("$@") with a small tmpfs on the spool directory ("$0").
_MOUNT = 'mkdir -p "$0" && mount -t tmpfs -o size=1m tmpfs "$0" && exec "$@"'


def _in_own_mounts(spool: Path) -> list[str]:
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed"
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return [unshare, *user, "--mount", "sh", "-c", _MOUNT, str(spool)]


def _fill(directory: Path) -> Path:
    """Write into ``directory`` until its file system is full; the filler file."""
    filler = directory / "filler"
    with filler.open("wb") as out:
        full = None
        while full is None:
            try:
                out.write(b"\0" * 65536)
                out.flush()
            except OSError as exc:
                full = exc
    assert full.errno == errno.ENOSPC, full  # the kernel's own "No space left on device"
    return filler


def _ask(base: str, key: str, *, stream: bool) -> httpx.Response:
    body = {
        "model": "mock-model",
        "stream": stream,
        "messages": [{"role": "user", "content": "議事録の要約をお願いします"}],
    }
    return httpx.post(
        f"{base}/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    )


def test_a_full_spool_disk_refuses_before_sending_then_recovers(
    tmp_path: Path, upstream: MockUpstream, upstream_url: str
) -> None:
    spool = tmp_path / "spool"
    database = f"sqlite:///{tmp_path / 'kakehashi.db'}"
    upgrade(database)
    values = {
        "mode": "test",
        "database": {"url": database},
        "models": [{"alias": "mock-model", "model": "openai/mock-model", "api_base": upstream_url}],
        "spool_dir": str(spool),
    }
    key = RunningGateway(Settings(**values), "", None, None).make_key()  # type: ignore[arg-type]
    config = write_config(tmp_path / "config.yaml", values)
    gateway = start_gateway_process(config, wrap=_in_own_mounts(spool))
    try:
        seen = Path(f"/proc/{gateway.process.pid}/root") / spool.relative_to("/")
        assert not (spool / "filler").exists()  # the test's own view: not the tmpfs
        filler = _fill(seen)
        refused = [_ask(gateway.base_url, key, stream=s) for s in (False, True)]
        for reply in refused:
            assert reply.status_code == 503, reply.text
            error = reply.json()["error"]
            assert "監査ログの控えを書けない" in error["message"]
            assert "nothing was sent" in error["message"]
        assert upstream.requests == []  # nothing left the company
        filler.unlink()  # room again: no restart needed
        answered = [_ask(gateway.base_url, key, stream=s) for s in (False, True)]
        assert [r.status_code for r in answered] == [200, 200]
        assert len(upstream.requests) == 2
    finally:
        gateway.stop()
    events = RunningGateway(Settings(**values), "", None, None).audit_events("chat.completion")  # type: ignore[arg-type]
    assert [(e.outcome, e.status_code) for e in events] == [("error", 503)] * 2 + [("ok", 200)] * 2
