"""Two gateway replicas behind nginx (deploy/nginx/kakehashi.conf), one PostgreSQL, one Redis,
the independent OpenID provider: what must hold when requests alternate between replicas, and
when one is killed (SIGKILL) mid-stream (issue 17).

One set of processes for the module (each test leaves the cluster as it found it; the kill
test restarts its replica and comes last). nginx names the replica that answered in a header,
so "alternating" is shown, not assumed.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from gateway.kernel.settings import ModelRoute, Settings
from gateway.migrate import upgrade
from gateway.provider import Providers
from policies.quota_redis import PREFIX
from tests.fixtures.gateway import RunningGateway
from tests.fixtures.oidc import InteropIdp, submit_form
from tests.fixtures.services import PostgresServer, RedisServer
from tests.support.cluster import REPLICA_HEADER, ROOT, Cluster, start_cluster
from tests.support.mock_upstream import MockUpstream, RunningUpstream
from tests.support.quota import department_day

# The first test also waits for both replicas' cold start (litellm, the analyzer).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.timeout(600),
]

SALES, AFFAIRS = "営業部", "総務部"
MARKER = re.compile(r"依頼-(\d+)")
N = 5  # requests the sales budget admits
BURST = 16
QUOTA_MESSAGES = [{"role": "user", "content": "見積書の送付について。" + "x" * 200}]


def _charge(upstream_url: str) -> int:
    """What the mock upstream reports for QUOTA_MESSAGES (prompt + completion tokens)."""
    body = {"model": "mock-model", "messages": QUOTA_MESSAGES}
    return int(
        httpx.post(f"{upstream_url}/chat/completions", json=body).json()["usage"]["total_tokens"]
    )


def _counted() -> int:
    route = ModelRoute(alias="mock-model", model="openai/mock-model")
    return Providers().count_tokens(route, QUOTA_MESSAGES, {})


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresServer,
    redis_server: RedisServer,
    _upstream_server: RunningUpstream,
    interop_idp: InteropIdp,
) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("two-replicas")
    redis.Redis.from_url(redis_server.url).flushdb()
    upstream_url = _upstream_server.base_url
    policies = workdir / "policies"
    policies.mkdir()
    (policies / "_defaults.yaml").write_text(
        "retention: {store_redacted_prompts: true}\n", encoding="utf-8"
    )
    (policies / f"{SALES}.yaml").write_text(
        f"quotas:\n  department:\n    day: {{tokens: {N * _charge(upstream_url)}}}\n",
        encoding="utf-8",
    )
    # Counted holds (a limit), far from reached: what a killed replica's requests are charged.
    (policies / f"{AFFAIRS}.yaml").write_text(
        "quotas:\n  department:\n    day: {tokens: 100000000}\n", encoding="utf-8"
    )
    database = postgres_server.create_database()
    upgrade(database)
    # The provider knows one redirect URI: nginx takes that port, as the company's would.
    public = f"http://127.0.0.1:{interop_idp.gateway_port}"
    oidc = interop_idp.oidc_settings()
    secret = {"KAKEHASHI_OIDC__CLIENT_SECRET": oidc.pop("client_secret")}
    values = {
        "mode": "test",
        "database": {"url": database},
        "redis": {"url": redis_server.url},
        "server": {"public_url": public},
        "oidc": oidc,
        "models": [
            {"alias": "mock-model", "model": "openai/mock-model", "api_base": upstream_url},
            {"alias": "drip", "model": "openai/drip-0.5", "api_base": upstream_url},
        ],
        "policies_dir": str(policies),
        "policies_reload_s": 1,
        "spool_replay_s": 1,  # the live replica replays a killed one's spool within a second
        "spool_dir": str(workdir / "spool"),  # one volume for both, as in docker-compose.yml
    }
    running = start_cluster(workdir, values, listen=interop_idp.gateway_port, env=secret)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def reader(cluster: Cluster) -> RunningGateway:
    """Mints API keys and reads the audit log straight from the database, as IT would."""
    return RunningGateway(Settings(**cluster.values), "", None, None)  # type: ignore[arg-type]


def _replicas(cluster: Cluster, responses: list[httpx.Response]) -> list[int]:
    return [cluster.replica_of(r.headers[REPLICA_HEADER]) for r in responses]


def test_a_sign_in_holds_on_both_replicas(cluster: Cluster, interop_idp: InteropIdp) -> None:
    email = "yamada@interop.example"
    with httpx.Client(base_url=cluster.base_url, follow_redirects=True, timeout=30) as client:
        form = client.get("/auth/login", params={"login_hint": email, "next": "/api/me"})
        me = submit_form(client, form, email=email, password=interop_idp.password)
        assert me.status_code == 200, me.text
        assert me.json()["email"] == email
        pages = [client.get("/api/me") for _ in range(4)]
    assert [p.status_code for p in pages] == [200] * 4
    assert {p.json()["department"] for p in pages} == {SALES}
    assert sorted(set(_replicas(cluster, pages))) == [0, 1]  # one session, both replicas
    signed_in = [r for r in [*me.history, me] if REPLICA_HEADER in r.headers]
    assert len(set(_replicas(cluster, signed_in))) == 2  # login and callback on different ones


def _chat(client: httpx.Client, key: str, content: str, **extra: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}", **extra.pop("headers", {})}
    body = {"model": "mock-model", "messages": [{"role": "user", "content": content}], **extra}
    return client.post("/v1/chat/completions", json=body, headers=headers)


def test_conversation_placeholders_hold_across_replicas(
    cluster: Cluster, reader: RunningGateway, upstream: MockUpstream
) -> None:
    key = reader.make_key("conv@example.co.jp", AFFAIRS)
    conversation = {"x-kakehashi-conversation-id": "conv-two-replicas"}
    turns = [
        "山田太郎様へのお礼メールを書いてください。",
        "山田太郎様に、来週の打ち合わせの件も伝えてください。",
    ]
    with httpx.Client(base_url=cluster.base_url, timeout=60) as client:
        replies = [_chat(client, key, text, headers=conversation) for text in turns]
    assert [r.status_code for r in replies] == [200, 200]
    assert sorted(_replicas(cluster, replies)) == [0, 1]
    sent = [r.body["messages"][-1]["content"] for r in upstream.requests[-2:]]
    assert all("山田" not in text for text in sent)  # redacted on both replicas
    placeholders = [set(re.findall(r"〔[^〕]+〕", text)) for text in sent]
    assert placeholders[0]
    assert placeholders[0] == placeholders[1]  # one mapping, in Redis
    answer = replies[1].json()["choices"][0]["message"]["content"]
    assert "山田太郎" in answer  # restored by the replica that did not redact the first turn


def test_quota_is_exact_when_requests_alternate(
    cluster: Cluster, reader: RunningGateway, upstream: MockUpstream, redis_server: RedisServer
) -> None:
    """The hold equals the charge (``max_tokens``), so N and only N are admitted in any order."""
    charge = _charge(cluster.values["models"][0]["api_base"])
    keys = [reader.make_key(f"quota{i}@example.co.jp", SALES) for i in range(4)]
    body = {"model": "mock-model", "messages": QUOTA_MESSAGES, "max_tokens": charge - _counted()}

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=cluster.base_url, timeout=60) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post(
                            "/v1/chat/completions",
                            json=body,
                            headers={"authorization": f"Bearer {keys[i % 4]}"},
                        )
                        for i in range(BURST)
                    )
                )
            )

    replies = asyncio.run(burst())
    statuses = [r.status_code for r in replies]
    assert sorted(set(statuses)) == [200, 429], statuses
    assert statuses.count(200) == N
    assert set(_replicas(cluster, replies)) == {0, 1}
    assert department_day(redis_server.url, "tokens") == (N * charge, 0)
    # A quota refusal is the same on either replica, after the burst too.
    with httpx.Client(base_url=cluster.base_url, timeout=60) as client:
        after = [
            client.post(
                "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {keys[0]}"}
            )
            for _ in range(2)
        ]
    assert [r.status_code for r in after] == [429, 429]
    assert sorted(_replicas(cluster, after)) == [0, 1]


def test_a_policy_edit_reaches_both_replicas(cluster: Cluster, reader: RunningGateway) -> None:
    key = reader.make_key("policy@example.co.jp", AFFAIRS)
    policy = Path(cluster.values["policies_dir"]) / f"{AFFAIRS}.yaml"
    original = policy.read_text(encoding="utf-8")

    def refused_by() -> set[int]:
        with httpx.Client(base_url=cluster.base_url, timeout=60) as client:
            replies = [_chat(client, key, "こんにちは") for _ in range(2)]
        return {
            i
            for i, r in zip(_replicas(cluster, replies), replies, strict=True)
            if r.status_code == 403
        }

    try:
        policy.write_text(original + "allowed_models: [drip]\n", encoding="utf-8")
        deadline = time.monotonic() + 20
        while refused_by() != {0, 1}:
            assert time.monotonic() < deadline, "the edit did not reach both replicas"
            time.sleep(0.3)
    finally:
        policy.write_text(original, encoding="utf-8")
    deadline = time.monotonic() + 20
    while refused_by():
        assert time.monotonic() < deadline, "the revert did not reach both replicas"
        time.sleep(0.3)


def _stream(base: str, key: str, i: int, out: dict[int, tuple[str, str]]) -> None:
    """One streamed request; ``out[i]`` = (replica address, what arrived)."""
    body = {
        "model": "drip",
        "stream": True,
        "messages": [{"role": "user", "content": f"依頼-{i} の件、よろしくお願いします"}],
    }
    text = ""
    address = ""
    try:
        with httpx.stream(
            "POST",
            f"{base}/v1/chat/completions",
            json=body,
            headers={"authorization": f"Bearer {key}"},
            timeout=60,
        ) as reply:
            address = reply.headers.get(REPLICA_HEADER, "")
            for piece in reply.iter_text():
                text += piece
    except httpx.HTTPError:
        pass  # the replica died under it
    out[i] = (address, text)


def _tokens(url: str, department: str) -> tuple[int, int]:
    """(used, held) tokens of the department's day; nothing yet when it has no bucket."""
    client = redis.Redis.from_url(url)
    try:
        found = list(client.scan_iter(match=f"{PREFIX}department:{department}:day:*:tokens"))
    finally:
        client.close()
    return department_day(url, "tokens", department=department) if found else (0, 0)


def _settled(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return len(list(client.scan_iter(match="*settled:*")))
    finally:
        client.close()


def test_z_sigkill_of_a_replica_mid_stream_loses_and_doubles_nothing(
    cluster: Cluster, reader: RunningGateway, upstream: MockUpstream, redis_server: RedisServer
) -> None:
    """Eight streams alternate between the replicas; replica 0 is killed while they drip. Its
    streams break, the others finish, new requests go to the live one, which adopts the dead
    one's spool (shared, as the Compose volume is) and replays it. Then each request that
    reached the provider has exactly one audit event and one settle in Redis, and the tokens
    charged are the events' tokens."""
    key = reader.make_key("kill@example.co.jp", AFFAIRS)
    before_tokens, _ = _tokens(redis_server.url, AFFAIRS)
    before_settled = _settled(redis_server.url)
    upstream.requests.clear()
    streams: dict[int, tuple[str, str]] = {}
    threads = [
        threading.Thread(target=_stream, args=(cluster.base_url, key, i, streams)) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(upstream.requests) < 8:
        assert time.monotonic() < deadline, "the streams did not reach the provider"
        time.sleep(0.02)
    dead = cluster.replicas[0].process.pid
    cluster.replicas[0].kill()
    with httpx.Client(base_url=cluster.base_url, timeout=60) as client:
        after = [_chat(client, key, f"依頼-{i} の件") for i in range(8, 12)]
    for thread in threads:
        thread.join(timeout=60)
    assert [r.status_code for r in after] == [200] * 4  # nginx passed them to the live replica
    assert set(_replicas(cluster, after)) == {1}
    on = {i: cluster.replica_of(a) for i, (a, _) in streams.items()}
    assert sorted(set(on.values())) == [0, 1]
    for i, (_, text) in streams.items():
        assert text.endswith("data: [DONE]\n\n") == (on[i] == 1), (i, on[i], text[-80:])
    sent = Counter(int(m) for r in upstream.requests for m in MARKER.findall(str(r.body)))
    assert sent == Counter(range(12))  # each reached the provider once
    deadline = time.monotonic() + 60
    while True:
        events = [
            e
            for e in reader.audit_events("chat.completion")
            if e.user_email == "kill@example.co.jp"
        ]
        if len(events) >= 12 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    recorded = Counter(int(MARKER.findall(str(e.detail.get("prompt")))[0]) for e in events)
    assert recorded == sent  # one event per request: none lost, none doubled
    killed = {i for i, replica in on.items() if replica == 0}
    for event in events:
        marker = int(MARKER.findall(str(event.detail["prompt"]))[0])
        expected = ("error", "interrupted") if marker in killed else ("ok", None)
        assert (event.outcome, event.error_code) == expected, marker
        assert event.prompt_tokens > 0  # charged: the prompt, when it died at the provider
    charged = sum(e.prompt_tokens + e.completion_tokens for e in events)
    deadline = time.monotonic() + 30
    while _settled(redis_server.url) - before_settled < 12 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _settled(redis_server.url) - before_settled == 12  # one settle per request
    assert _tokens(redis_server.url, AFFAIRS) == (
        before_tokens + charged,
        0,
    )  # charged exactly what the audit log says, nothing left held
    verify = subprocess.run(
        [sys.executable, "-m", "gateway", "audit", "verify"],
        cwd=ROOT,
        env={"KAKEHASHI_CONFIG": str(cluster.config), "PATH": "/usr/bin:/bin", **cluster.env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    left = list(Path(cluster.values["spool_dir"]).glob(f"*-{dead}-*.spool"))
    assert not left  # adopted, replayed and deleted by the live replica
