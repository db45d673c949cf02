"""The audit spool keeps what the database refused: ``/readyz`` says so (503), and a gateway
stopped while the database refuses writes leaves its events on disk for the next start, which
commits them as they were (not as interrupted) and only once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from audit import writer
from tests.audit.test_writer_failure import _ask, _sql
from tests.fixtures.gateway import RunningGateway
from tests.support.mock_upstream import MockUpstream


def test_events_the_database_refused_survive_a_stop_and_commit_once_at_the_next_start(
    gateway_factory: Callable[..., RunningGateway],
    upstream: MockUpstream,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(writer, "_STOP_TIMEOUT_S", 0.5)  # how long stop() waits for the database
    spool = tmp_path / "spool"
    gw = gateway_factory(spool_dir=str(spool))
    key = gw.make_key()
    audit = gw.server.config.app.state.kakehashi.audit
    assert httpx.get(f"{gw.base_url}/readyz").status_code == 200
    _sql(gw, "UPDATE audit_chain_head SET id = 2")  # the database refuses every append
    assert _ask(gw, key).status_code == 200
    deadline = time.monotonic() + 5
    while not audit.failing and time.monotonic() < deadline:
        time.sleep(0.01)
    ready = httpx.get(f"{gw.base_url}/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["audit"].startswith("failing")
    gw.stop()  # SIGTERM with the event still uncommitted
    assert len(list(spool.glob("audit-*.spool"))) == 1
    _sql(gw, "UPDATE audit_chain_head SET id = 1")  # the database is back
    again = gateway_factory(spool_dir=str(spool))
    deadline = time.monotonic() + 10
    while not again.audit_events("chat.completion") and time.monotonic() < deadline:
        time.sleep(0.05)
    [event] = again.audit_events("chat.completion")
    assert (event.outcome, event.status_code, event.error_code) == ("ok", 200, None)
    assert event.prompt_tokens > 0  # the final event, not the intent
    deadline = time.monotonic() + 10  # the file goes just after the events commit
    while list(spool.glob("audit-*.spool")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(spool.glob("audit-*.spool")) == []
    assert len(upstream.requests) == 1
