"""A document larger than the model's context is summarised in parts, then combined: every
part is its own request through the one pipeline (redacted, charged to the quota, audited with
its part number) and the final request carries the summaries; the mock upstream records that
no name left in any of them. Parts are not answers in the KPIs."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tests.fixtures.chat import signed_in, streamed_text
from tests.fixtures.gateway import mock_models
from tests.fixtures.oidc import SsoGateway
from tests.fixtures.policies import PolicyFolder
from tests.support.mock_upstream import MockUpstream

SECRETS = ("山田太郎", "佐藤花子", "03-1234-5678")
LINES = [
    f"山田太郎: 第 {n} 議題、ミライ精工向けの見積りは {n} 日までに送ります。電話は 03-1234-5678 です。"
    if n % 2
    else f"佐藤花子: 第 {n} 議題は承知しました。担当と期限を議事録に残します。"
    for n in range(1, 41)
]
DOCUMENT = "\n".join(LINES)


def _gateway(
    factory: Callable[..., SsoGateway], folder: PolicyFolder, upstream_url: str
) -> SsoGateway:
    folder.write("_defaults.yaml", 'allowed_models: ["mock-*"]\n')  # the default redaction
    folder.write("営業部.yaml", "quotas: {per_user: {day: {tokens: 1000000}}}\n")
    brief = {  # answers with the last 60 characters: a "summary" shorter than its input
        "alias": "mock-brief",
        "model": "openai/tail-60",
        "api_base": upstream_url,
        "context_tokens": 1000,
    }
    return factory(
        models=[*mock_models(upstream_url), brief],
        policies_dir=str(folder.path),
        policies_reload_s=0,
        default_policy={"allowed_models": ["mock-*"]},
    )


def _ask(gw: SsoGateway, client: httpx.Client, messages: list[dict[str, str]]) -> httpx.Response:
    return client.post(
        "/web/chat",
        headers={"x-csrf-token": gw.csrf(client)},
        json={
            "model": "mock-brief",
            "use_case": "minutes",
            "conversation_id": "conv-digest-01",
            "messages": messages,
        },
    )


def test_a_long_document_is_summarised_in_parts_each_through_the_pipeline(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway],
    policy_folder: PolicyFolder,
    upstream: MockUpstream,
    upstream_url: str,
) -> None:
    gw = _gateway(sqlite_chat_gateway_factory, policy_folder, upstream_url)
    asked = "議事録にしてください。\n\n【添付: 定例.txt】\n" + DOCUMENT
    with signed_in(gw) as client:
        reply = _ask(gw, client, [{"role": "user", "content": asked}])
        assert reply.status_code == 200, reply.text
        answer = streamed_text(reply)
        parts = int(reply.headers["x-kakehashi-parts"])
    assert parts >= 3
    *pieces, final = upstream.requests
    assert len(pieces) == parts
    for index, piece in enumerate(pieces, 1):
        [message] = piece.body["messages"]
        assert message["content"].startswith(
            f"次は長い文書「定例.txt」を {parts} 部分に分けたうちの第 {index} 部分です。"
        )
        assert piece.body["max_tokens"] == 250  # a quarter of the window kept for the answer
    combined = final.body["messages"][0]["content"]
    assert final.body["stream"] is True
    assert combined.startswith(
        "議事録にしてください。\n\n【添付: 定例.txt (長いため部分ごとに要約)】"
    )
    assert combined.count("部の要約］") == parts
    assert len(combined) < len(asked) / 2
    # Redacted everywhere, in one mapping: the final request uses the parts' placeholders.
    assert not [s for s in SECRETS if s in upstream.texts_sent()]
    assert "佐藤花子" in answer or "山田太郎" in answer  # restored for the person
    events = gw.wait_for_audit(parts + 1)
    assert [e.detail.get("part") for e in events] == [
        *(f"{i}/{parts}" for i in range(1, parts + 1)),
        None,
    ]
    assert {e.use_case for e in events} == {"minutes"}
    assert all(e.outcome == "ok" and e.prompt_tokens > 0 for e in events)
    with signed_in(gw) as client:  # settled before each event was written
        quota = client.get("/api/quota").json()
    day = next(b for b in quota["user"] if (b["window"], b["unit"]) == ("day", "tokens"))
    assert day["used"] == sum(e.prompt_tokens + e.completion_tokens for e in events)
    # The KPIs count one answer (the combined one), and every request.
    with signed_in(gw, "suzuki@demo.kakehashi.example") as manager:
        kpi = manager.get("/api/kpi", params={"period": "week"}).json()
    assert (kpi["requests"], kpi["answers"]) == (parts + 1, 1)


def test_the_next_turn_reuses_the_summaries(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway],
    policy_folder: PolicyFolder,
    upstream: MockUpstream,
    upstream_url: str,
) -> None:
    gw = _gateway(sqlite_chat_gateway_factory, policy_folder, upstream_url)
    asked = "要点を教えてください。\n\n【添付: 定例.txt】\n" + DOCUMENT
    with signed_in(gw) as client:
        first = _ask(gw, client, [{"role": "user", "content": asked}])
        answer = streamed_text(first)
        sent = len(upstream.requests)
        turns = [
            {"role": "user", "content": asked},
            {"role": "assistant", "content": answer},
            {"role": "user", "content": "決定事項だけにしてください。"},
        ]
        second = _ask(gw, client, turns)
        assert second.status_code == 200
        streamed_text(second)
    assert "x-kakehashi-parts" not in second.headers
    assert len(upstream.requests) == sent + 1
    time.sleep(0.1)
