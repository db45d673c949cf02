"""kill -9 of a gateway mid-load loses no audit event: every request that reached the provider
has exactly one audit event once a gateway runs again (issue 17).

A real gateway process on loopback, the recording mock upstream, SQLite. Ten requests finish;
ten more are held by the upstream (``sleep-``) when the gateway is SIGKILLed. A new process
on the same spool directory replays what the dead one had made durable before sending. Each
prompt carries a marker, and the redacted prompt is kept in the event (policy retention), so
requests and events are matched one to one, not just counted.
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
from gateway.kernel.vocab import ErrorCode
from gateway.migrate import upgrade
from tests.fixtures.gateway import RunningGateway
from tests.support.mock_upstream import MockUpstream
from tests.support.processes import start_gateway_process, write_config

pytestmark = [pytest.mark.slow]
MARKER = re.compile(r"依頼-(\d+)")


def _config(tmp_path: Path, upstream_url: str) -> dict[str, Any]:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "_defaults.yaml").write_text(
        "redaction: {redact: [], block: []}\nretention: {store_redacted_prompts: true}\n",
        encoding="utf-8",
    )
    database = f"sqlite:///{tmp_path / 'kakehashi.db'}"
    upgrade(database)
    return {
        "mode": "test",
        "database": {"url": database},
        "models": [
            {"alias": "mock-model", "model": "openai/mock-model", "api_base": upstream_url},
            {"alias": "held", "model": "openai/sleep-30", "api_base": upstream_url},
        ],
        "policies_dir": str(policies),
        "spool_dir": str(tmp_path / "spool"),
    }


def _ask(base: str, key: str, i: int, model: str, *, stream: bool = False) -> int:
    body = {"model": model, "messages": [{"role": "user", "content": f"依頼-{i} の件"}]}
    try:
        reply = httpx.post(
            f"{base}/v1/chat/completions",
            json=body | {"stream": stream},
            headers={"authorization": f"Bearer {key}"},
            timeout=60,
        )
    except httpx.HTTPError:
        return 0  # the gateway died under it
    return reply.status_code


def _markers(texts: list[str]) -> Counter[int]:
    return Counter(int(m) for text in texts for m in MARKER.findall(text))


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_kill_9_mid_load_loses_no_audit_event(
    tmp_path: Path, upstream: MockUpstream, upstream_url: str
) -> None:
    values = _config(tmp_path, upstream_url)
    config = write_config(tmp_path / "config.yaml", values)
    reader = RunningGateway(Settings(**values), "", None, None)  # type: ignore[arg-type]
    key = reader.make_key()
    first = start_gateway_process(config, name="first")
    try:
        assert [_ask(first.base_url, key, i, "mock-model") for i in range(10)] == [200] * 10
        held = [
            threading.Thread(
                target=_ask, args=(first.base_url, key, i, "held"), kwargs={"stream": i % 2 == 0}
            )
            for i in range(10, 20)
        ]
        for thread in held:
            thread.start()
        _wait_for(lambda: len(upstream.requests) == 20, 60, "the held requests to arrive")
        first.kill()
    finally:
        first.stop()
    for thread in held:
        thread.join(timeout=30)
    sent = _markers([upstream.texts_sent()])
    assert sent == Counter(range(20))
    second = start_gateway_process(config, name="second")
    try:
        _wait_for(lambda: len(reader.audit_events("chat.completion")) >= 20, 60, "the replay")
        spool = tmp_path / "spool"
        _wait_for(lambda: not list(spool.glob("audit-*.spool")), 30, "the spool to go")
        events = reader.audit_events("chat.completion")
    finally:
        second.stop()
    recorded = _markers([str(e.detail.get("prompt")) for e in events])
    assert recorded == sent  # one event per request that reached the provider, no more
    held_events = [e for e in events if int(MARKER.findall(str(e.detail["prompt"]))[0]) >= 10]
    assert {(e.outcome, e.error_code) for e in held_events} == {("error", ErrorCode.INTERRUPTED)}
    verify = reader.audit_events()
    assert [e.seq for e in verify] == list(range(1, len(verify) + 1))
