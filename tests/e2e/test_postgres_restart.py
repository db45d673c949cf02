"""PostgreSQL stopped and restarted mid-load (issue 17). A PostgreSQL of this test's own (fast
shutdown: connections are cut, as in a crash or a failover), a real gateway, the recording
upstream.

What is promised (docs/deploy.md, "When PostgreSQL stops"): requests already at the provider
are answered, their audit events kept on local disk (the spool) and committed once the database
is back; new requests get a clear 503 and are not sent — refused because audit writes fail, or
because the caller's key cannot be checked; /readyz says so; after the restart everything works
again without restarting the gateway, and each request that reached the provider has exactly
one audit event.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.kernel.settings import Settings
from gateway.migrate import upgrade
from redaction.engine import Redactor
from tests.fixtures.gateway import RunningGateway, start_gateway
from tests.fixtures.services import running_postgres
from tests.support.mock_upstream import MockUpstream

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
MARKER = re.compile(r"依頼-(\d+)")


def _ask(gw: RunningGateway, key: str, i: int, model: str = "mock-model") -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": f"依頼-{i} の件"}]}
    return httpx.post(
        f"{gw.v1}/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    )


def _until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_postgres_stopped_and_restarted_mid_load(
    tmp_path: Path, upstream: MockUpstream, upstream_url: str, redactor: Redactor
) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "_defaults.yaml").write_text(
        "retention: {store_redacted_prompts: true}\n", encoding="utf-8"
    )
    with running_postgres() as postgres:
        database = postgres.create_database()
        upgrade(database)
        settings = Settings(
            mode="test",
            database={"url": database},
            models=[
                {"alias": "mock-model", "model": "openai/mock-model", "api_base": upstream_url},
                {"alias": "held", "model": "openai/sleep-2", "api_base": upstream_url},
            ],
            policies_dir=policies,
            spool_dir=tmp_path / "spool",
            api_key_cache_s=60,  # the known key passes; the audit log is what refuses
        )
        gw = start_gateway(settings, redactor)
        try:
            key, stranger = gw.make_key(), gw.make_key("stranger@example.co.jp")
            assert [_ask(gw, key, i).status_code for i in range(3)] == [200] * 3
            held: list[httpx.Response] = []
            threads = [
                threading.Thread(target=lambda i=i: held.append(_ask(gw, key, i, "held")))
                for i in range(3, 7)
            ]
            for thread in threads:
                thread.start()
            _until(lambda: len(upstream.requests) == 7, 60, "the held requests to be sent")
            postgres.stop()
            for thread in threads:
                thread.join(timeout=60)
            assert [r.status_code for r in held] == [200] * 4  # answered: their events wait
            _until(lambda: httpx.get(f"{gw.base_url}/readyz").status_code == 503, 30, "readyz")
            checks = httpx.get(f"{gw.base_url}/readyz").json()["checks"]
            assert checks["database"].startswith("unreachable")
            assert checks["audit"].startswith("failing")
            refused = [_ask(gw, key, i) for i in range(7, 9)]
            unknown = _ask(gw, stranger, 9)  # its key is not cached: the database is asked
            for reply in [*refused, unknown]:
                assert reply.status_code == 503, reply.text
                assert reply.headers["content-type"].startswith("application/json")
            assert "監査ログに書き込めない" in refused[0].json()["error"]["message"]
            assert "データベースに接続できません" in unknown.json()["error"]["message"]
            assert len(upstream.requests) == 7  # nothing was sent while it was down
            postgres.start()
            _until(lambda: httpx.get(f"{gw.base_url}/readyz").status_code == 200, 60, "ready")
            assert [_ask(gw, key, i).status_code for i in range(10, 12)] == [200] * 2
            _until(lambda: len(gw.audit_events("chat.completion")) >= 11, 30, "the events")
            events = gw.audit_events("chat.completion")
        finally:
            gw.stop()
    sent = Counter(int(m) for r in upstream.requests for m in MARKER.findall(str(r.body)))
    recorded = Counter(
        int(m) for e in events if e.outcome == "ok" for m in MARKER.findall(str(e.detail))
    )
    assert sent == Counter([*range(7), 10, 11])
    assert recorded == sent  # one event per request that reached the provider, none doubled
    refusals = [e for e in events if e.outcome != "ok"]
    assert [(e.status_code, e.error_code) for e in refusals] == [(503, "service_unavailable")] * 2
