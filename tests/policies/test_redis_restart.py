"""Redis stopped and restarted mid-load (a private, persistent Redis on loopback): requests
that arrive while it is down get a clear 503 and are not sent; requests already at the provider
are answered, their settles kept on local disk and replayed once Redis is back, so each answer
is charged exactly once and no hold is left; one audit event per request."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.fixtures.gateway import RunningGateway, mock_models
from tests.fixtures.policies import PolicyFolder
from tests.fixtures.services import _wait_port, free_port
from tests.support.mock_upstream import MockUpstream
from tests.support.quota import department_day

pytestmark = [pytest.mark.redis, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


class PrivateRedis:
    """A Redis of this test's own, with an append-only file so a restart keeps the counters."""

    def __init__(self, workdir: Path) -> None:
        self.port, self.workdir = free_port(), workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # redis flushes its append-only file and exits
            self.process.wait(timeout=30)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def _ask(gw: RunningGateway, key: str, model: str, results: list[int]) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "見積もりの件"}]}
    reply = httpx.post(
        f"{gw.v1}/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    )
    results.append(reply.status_code)


def test_redis_stopped_and_restarted_mid_load_charges_each_answer_once(
    policy_gateway: Callable[..., RunningGateway],
    policy_folder: PolicyFolder,
    private_redis: PrivateRedis,
    upstream: MockUpstream,
    upstream_url: str,
) -> None:
    policy_folder.write("営業部.yaml", "quotas:\n  department:\n    day: {tokens: 100000000}\n")
    held = {"alias": "mock-held", "model": "openai/sleep-2", "api_base": upstream_url}
    gw = policy_gateway(
        redis={"url": private_redis.url, "pool_timeout_s": 0.5},
        quota={"store_timeout_s": 0.5},
        models=[*mock_models(upstream_url), held],
        policies_reload_s=60,
    )
    key = gw.make_key()
    answered: list[int] = []
    at_provider = [
        threading.Thread(target=_ask, args=(gw, key, "mock-held", answered)) for _ in range(6)
    ]
    for thread in at_provider:
        thread.start()
    deadline = time.monotonic() + 30
    while len(upstream.requests) < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(upstream.requests) == 6  # all six reserved in Redis and now at the provider
    private_redis.stop()
    refused: list[int] = []
    for _ in range(3):
        _ask(gw, key, "mock-model", refused)
    for thread in at_provider:
        thread.join(timeout=60)
    assert answered == [200] * 6  # answered although their settles failed
    assert refused == [503] * 3
    assert len(upstream.requests) == 6  # nothing was sent while the quota could not be checked
    private_redis.start()
    events = gw.wait_for_audit(9)
    ok = [e for e in events if e.outcome == "ok"]
    charged = sum(e.prompt_tokens + e.completion_tokens for e in ok)
    deadline = time.monotonic() + 20  # the kept settles are retried every 2 s
    while (
        department_day(private_redis.url, "tokens") != (charged, 0) and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert (len(ok), len(events)) == (6, 9)
    assert department_day(private_redis.url, "tokens") == (charged, 0)  # charged once, nothing held
    client = redis.Redis.from_url(private_redis.url)
    try:
        assert len(list(client.scan_iter(match="*settled:*"))) == 6
    finally:
        client.close()
