"""Policies in a running gateway: per-department models and use cases, hot reload on the next
request, broken folders refused (last good set kept), quotas with 429/warnings, fail closed
when Redis is down, and ``GET /api/quota``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from gateway.http.app import create_app
from gateway.kernel.errors import ConfigError
from gateway.kernel.principal import Role
from gateway.kernel.settings import Settings
from policies.loader import load_folder
from tests.fixtures.gateway import RunningGateway, mock_models
from tests.fixtures.policies import PolicyFolder
from tests.fixtures.services import free_port
from tests.support.mock_upstream import MockUpstream

GatewayFactory = Callable[..., RunningGateway]


def post(gw: RunningGateway, key: str, model: str = "mock-model", **extra: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}", **extra.pop("headers", {})}
    body = {"model": model, "messages": [{"role": "user", "content": "こんにちは"}], **extra}
    return httpx.post(f"{gw.v1}/chat/completions", json=body, headers=headers, timeout=15)


def test_a_model_not_allowed_for_the_department_is_refused_clearly(
    policy_gateway: GatewayFactory, policy_folder: PolicyFolder, upstream: MockUpstream
) -> None:
    policy_folder.write("営業部.yaml", "allowed_models: [secret-model]\n")
    gw = policy_gateway()
    sales, affairs = gw.make_key(), gw.make_key("takahashi@example.co.jp", "総務部")
    refused = post(gw, sales, "mock-model")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "model_not_allowed"
    assert "モデル mock-model は 営業部 のポリシーで許可されていません" in error["message"]
    assert upstream.requests == []
    assert post(gw, affairs, "mock-model").status_code == 200  # 総務部: the defaults (mock-*)
    assert post(gw, sales, "secret-model").status_code == 200
    events = gw.audit_events("chat.completion")
    assert [(e.outcome, e.error_code) for e in events] == [
        ("refused", "model_not_allowed"),
        ("ok", None),
        ("ok", None),
    ]
    policies = load_folder(policy_folder.path)
    assert events[0].policy_version == policies.for_department("営業部").version()
    assert events[1].policy_version == policies.default.version()


def test_hot_reload_takes_effect_on_the_next_request(
    policy_gateway: GatewayFactory, policy_folder: PolicyFolder
) -> None:
    policy_folder.write("営業部.yaml", "allowed_models: [mock-model]\n")
    gw = policy_gateway()
    key = gw.make_key()
    assert post(gw, key, "secret-model").status_code == 403
    policy_folder.write("営業部.yaml", "allowed_models: [mock-model, secret-model]\n")
    assert post(gw, key, "secret-model").status_code == 200
    loaded = gw.audit_events("policy.loaded")
    assert len(loaded) == 2
    assert loaded[0].policy_version != loaded[1].policy_version
    new_version = loaded[1].detail["departments"]["営業部"]
    assert gw.audit_events("chat.completion")[-1].policy_version == new_version


def test_a_broken_policy_set_is_refused_and_the_last_good_one_kept(
    policy_gateway: GatewayFactory, policy_folder: PolicyFolder
) -> None:
    policy_folder.write("営業部.yaml", "allowed_models: [mock-model]\n")
    gw = policy_gateway()
    key = gw.make_key()
    good = gw.audit_events("policy.loaded")[0].policy_version
    policy_folder.write("営業部.yaml", "allowed_models: [mock-model, secret-model]\nquotas: 5\n")
    assert post(gw, key, "secret-model").status_code == 403  # still the old set
    assert post(gw, key, "mock-model").status_code == 200
    [rejected] = gw.audit_events("policy.rejected")
    assert rejected.outcome == "refused"
    assert rejected.policy_version == good
    assert any("営業部.yaml:2: quotas:" in p for p in rejected.detail["problems"])
    assert len(gw.audit_events("policy.loaded")) == 1
    policy_folder.write("営業部.yaml", "allowed_models: [mock-model, secret-model]\n")
    assert post(gw, key, "secret-model").status_code == 200


def test_a_broken_policy_folder_stops_start_up(
    policy_folder: PolicyFolder, sqlite_url: str
) -> None:
    policy_folder.write("営業部.yaml", "retention: {days: 0}\n")
    settings = Settings(mode="test", database={"url": sqlite_url}, policies_dir=policy_folder.path)
    app = create_app(settings)

    async def start() -> None:
        async with app.router.lifespan_context(app):
            raise AssertionError("started with a broken policy folder")

    with pytest.raises(ConfigError, match=r"営業部.yaml:1: retention.days"):
        anyio.run(start)


def test_use_case_header_is_checked_and_recorded(
    policy_gateway: GatewayFactory, policy_folder: PolicyFolder
) -> None:
    policy_folder.write(
        "営業部.yaml",
        """\
        use_cases:
          chat: {label: 相談, minutes_saved: 3}
          email_draft: {label: メール下書き, minutes_saved: 10}
        """,
    )
    gw = policy_gateway()
    key = gw.make_key()
    assert post(gw, key, headers={"x-kakehashi-use-case": "email_draft"}).status_code == 200
    assert post(gw, key).status_code == 200
    refused = post(gw, key, headers={"x-kakehashi-use-case": "minutes"})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "use_case_not_allowed"
    assert "用途 'minutes' は 営業部 のポリシーで許可されていません" in error["message"]
    assert "chat, email_draft" in error["message"]
    events = gw.audit_events("chat.completion")
    assert [(e.use_case, e.outcome) for e in events] == [
        ("email_draft", "ok"),
        ("chat", "ok"),
        (None, "refused"),
    ]


PRICED_MODELS = [
    # 1 USD per 1,000 tokens in, 2 USD out: easy yen sums (jpy_per_usd = 150).
    {**m, "input_usd_per_mtok": 1000, "output_usd_per_mtok": 2000}
    for m in mock_models("")
]


def priced(upstream_url: str) -> list[dict[str, Any]]:
    return [{**m, "api_base": upstream_url} for m in PRICED_MODELS]


def test_over_quota_is_429_with_a_warning_first_and_costs_in_the_audit_log(
    policy_gateway: GatewayFactory, policy_folder: PolicyFolder, upstream_url: str
) -> None:
    # Each request holds its counted prompt + max_tokens 40 and is charged what the mock used.
    policy_folder.write(
        "営業部.yaml",
        "quotas:\n  per_user:\n    day: {tokens: 150}\n  warn_at: 0.5\n",
    )
    gw = policy_gateway(models=priced(upstream_url))
    key = gw.make_key()
    first = post(gw, key, max_tokens=40)
    assert first.status_code == 200
    assert "x-kakehashi-quota-warning" not in first.headers
    statuses, warnings = [], []
    for _ in range(20):  # holds of ~50 tokens, charges of ~15: about eight fit
        reply = post(gw, key, max_tokens=40)
        statuses.append(reply.status_code)
        warnings.append(reply.headers.get("x-kakehashi-quota-warning"))
        if reply.status_code == 429:
            break
    assert statuses[-1] == 429
    assert any(w and w.startswith("user/day/tokens ") for w in warnings[:-1])
    error = reply.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "quota_exceeded")
    assert "sato@example.co.jp さん個人の1 日あたりの上限 150 トークン" in error["message_ja"]
    assert "daily limit of user sato@example.co.jp is 150 tokens" in error["message_en"]
    assert int(reply.headers["retry-after"]) > 0
    events = gw.audit_events("chat.completion")
    assert (events[-1].outcome, events[-1].status_code, events[-1].error_code) == (
        "refused",
        429,
        "quota_exceeded",
    )
    for event in events[:-1]:
        tokens_in, tokens_out = event.prompt_tokens, event.completion_tokens
        assert event.cost_jpy == pytest.approx((tokens_in * 1e-3 + tokens_out * 2e-3) * 150)
    quota = httpx.get(
        f"{gw.base_url}/api/quota", headers={"authorization": f"Bearer {key}"}, timeout=10
    ).json()
    day = next(b for b in quota["user"] if (b["window"], b["unit"]) == ("day", "tokens"))
    used = sum(e.prompt_tokens + e.completion_tokens for e in events)
    assert (day["limit"], day["used"], day["held"]) == (150, used, 0)


def test_streaming_settles_with_the_usage_seen(
    policy_gateway: GatewayFactory, policy_folder: PolicyFolder, upstream_url: str
) -> None:
    policy_folder.write("営業部.yaml", "quotas:\n  department:\n    month: {yen: 1000}\n")
    gw = policy_gateway(models=priced(upstream_url))
    key = gw.make_key()
    with httpx.stream(
        "POST",
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={
            "model": "mock-model",
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
    ) as response:
        assert response.status_code == 200
        body = b"".join(response.iter_bytes())
    assert body.endswith(b"data: [DONE]\n\n")
    [event] = gw.wait_for_audit(1)
    assert event.completion_tokens > 0
    quota = httpx.get(
        f"{gw.base_url}/api/quota", headers={"authorization": f"Bearer {key}"}, timeout=10
    ).json()
    month = next(
        b for b in quota["department_buckets"] if (b["window"], b["unit"]) == ("month", "yen")
    )
    assert month["used"] == pytest.approx(event.cost_jpy)
    assert month["held"] == 0


def test_redis_unreachable_fails_closed_with_503(
    policy_gateway: GatewayFactory, policy_folder: PolicyFolder, upstream: MockUpstream
) -> None:
    policy_folder.write("営業部.yaml", "quotas:\n  per_user:\n    day: {tokens: 100000}\n")
    gw = policy_gateway(
        redis={"url": f"redis://127.0.0.1:{free_port()}/0"}, quota={"store_timeout_s": 1}
    )
    reply = post(gw, gw.make_key())
    assert reply.status_code == 503
    assert "Redis" in reply.json()["error"]["message"]
    assert upstream.requests == []
    [event] = gw.audit_events("chat.completion")
    assert (event.outcome, event.error_code) == ("error", "service_unavailable")


def test_quota_status_own_and_department_for_staff_every_department_for_admins(
    policy_gateway: GatewayFactory, policy_folder: PolicyFolder
) -> None:
    policy_folder.write("営業部.yaml", "quotas:\n  department:\n    month: {tokens: 9000}\n")
    policy_folder.write("総務部.yaml", "quotas:\n  department:\n    month: {tokens: 5000}\n")
    gw = policy_gateway()
    staff = gw.make_key()
    admin = gw.make_key("tanaka@example.co.jp", "情報システム部", Role.ADMIN)
    assert post(gw, staff).status_code == 200

    def status(key: str) -> dict[str, Any]:
        reply = httpx.get(
            f"{gw.base_url}/api/quota", headers={"authorization": f"Bearer {key}"}, timeout=10
        )
        assert reply.status_code == 200
        result: dict[str, Any] = reply.json()
        return result

    mine = status(staff)
    assert mine["department"] == "営業部"
    assert mine["departments"] is None
    month = next(
        b for b in mine["department_buckets"] if (b["window"], b["unit"]) == ("month", "tokens")
    )
    assert month["limit"] == 9000
    assert month["used"] > 0
    assert {b["owner"] for b in mine["user"]} == {"sato@example.co.jp"}
    everyone = status(admin)["departments"]
    assert set(everyone) == {"営業部", "総務部", "情報システム部"}
    limits = {
        name: next(b["limit"] for b in buckets if (b["window"], b["unit"]) == ("month", "tokens"))
        for name, buckets in everyone.items()
    }
    assert limits == {"営業部": 9000, "総務部": 5000, "情報システム部": None}
    assert httpx.get(f"{gw.base_url}/api/quota", timeout=10).status_code == 401
