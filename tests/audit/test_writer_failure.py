"""When the audit log cannot be written the gateway stops sending: nothing leaves the company
that could not be audited, and queued events are retried until they commit."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from sqlalchemy import text

from gateway.kernel.db import make_sync_engine
from tests.fixtures.gateway import RunningGateway
from tests.support.mock_upstream import MockUpstream


def _ask(gw: RunningGateway, key: str) -> httpx.Response:
    return httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "mock-model", "messages": [{"role": "user", "content": "こんにちは"}]},
    )


def _sql(gw: RunningGateway, statement: str) -> None:
    engine = make_sync_engine(gw.settings.database.url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_chat_is_refused_while_audit_writes_fail_and_resumes_after(
    gateway_factory: Callable[..., RunningGateway], upstream: MockUpstream
) -> None:
    gw = gateway_factory()
    key = gw.make_key()
    writer = gw.server.config.app.state.kakehashi.audit
    _sql(gw, "UPDATE audit_chain_head SET id = 2")  # the writer's chain head is gone
    assert _ask(gw, key).status_code == 200  # answered; its event is queued
    deadline = time.monotonic() + 5
    while not writer.failing and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.failing
    refused = _ask(gw, key)
    assert refused.status_code == 503
    assert "監査ログ" in refused.json()["error"]["message"]
    assert len(upstream.requests) == 1  # the refused request never left
    _sql(gw, "UPDATE audit_chain_head SET id = 1")  # the database is back
    deadline = time.monotonic() + 5
    while writer.failing and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ask(gw, key).status_code == 200
    outcomes = [(e.outcome, e.status_code) for e in gw.audit_events("chat.completion")]
    # The first answer's event was retried and kept; the refusal was audited too.
    assert outcomes == [("ok", 200), ("error", 503), ("ok", 200)]
