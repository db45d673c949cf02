"""IT's views of the audit log (/api/audit, its CSV, /metrics) and what the log keeps of a
prompt: counts always, the redacted text only where the policy allows, the raw text never."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import httpx
import pytest

from gateway.kernel.principal import Role
from tests.fixtures.gateway import RunningGateway
from tests.fixtures.policies import PolicyFolder

PROMPT = "山田太郎さん (090-1234-5678) への お礼メールを書いてください"


def _ask(gw: RunningGateway, key: str, model: str = "mock-model") -> httpx.Response:
    return httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": PROMPT}]},
    )


def _get(gw: RunningGateway, key: str | None, path: str, **params: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.get(f"{gw.base_url}{path}", headers=headers, params=params)


@pytest.mark.parametrize("store", [True, False])
def test_the_log_keeps_the_redacted_prompt_only_where_the_policy_allows(
    policy_gateway: Callable[..., RunningGateway], policy_folder: PolicyFolder, store: bool
) -> None:
    policy_folder.write(
        "営業部.yaml",
        f"redaction: {{redact: [PERSON, PHONE]}}\n"
        f"retention: {{store_redacted_prompts: {str(store).lower()}}}\n",
    )
    gw = policy_gateway()
    assert _ask(gw, gw.make_key()).status_code == 200
    [event] = gw.wait_for_audit(1)
    assert event.redactions == {"PERSON": 1, "PHONE": 1}
    stored = repr(event.detail)
    assert "山田" not in stored
    assert "090-1234-5678" not in stored
    if store:
        [message] = event.detail["prompt"]
        assert "お礼メール" in message["content"]
        assert "〔人物" in message["content"]
    else:
        assert "prompt" not in event.detail


def test_audit_api_is_for_it_admins_and_filters(gateway: RunningGateway) -> None:
    staff = gateway.make_key("sato@example.co.jp", "営業部")
    manager = gateway.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    admin = gateway.make_key("it@example.co.jp", "情報システム部", Role.ADMIN)
    _ask(gateway, staff)
    _ask(gateway, staff, model="nope")
    assert _get(gateway, None, "/api/audit").status_code == 401
    assert _get(gateway, staff, "/api/audit").status_code == 403
    assert _get(gateway, manager, "/api/audit").status_code == 403
    assert _get(gateway, manager, "/api/audit.csv").status_code == 403
    listed = _get(gateway, admin, "/api/audit", event_type="chat.completion").json()
    assert [e["outcome"] for e in listed["events"]] == ["refused", "ok"]  # newest first
    assert listed["events"][1]["department"] == "営業部"
    assert listed["events"][1]["created_at"].endswith("+09:00")  # Tokyo time
    page = _get(gateway, admin, "/api/audit", event_type="chat.completion", limit="1").json()
    assert len(page["events"]) == 1
    rest = _get(
        gateway,
        admin,
        "/api/audit",
        event_type="chat.completion",
        before_seq=str(page["next_before_seq"]),
    ).json()
    assert [e["outcome"] for e in rest["events"]] == ["ok"]
    refusals = _get(gateway, admin, "/api/audit", event_type="auth.forbidden").json()["events"]
    assert {e["user_email"] for e in refusals} == {"sato@example.co.jp", "boss@example.co.jp"}
    assert _get(gateway, admin, "/api/audit", **{"from": "yesterday"}).status_code == 400


def test_audit_csv_opens_in_japanese_excel(gateway: RunningGateway) -> None:
    staff = gateway.make_key("sato@example.co.jp", "営業部")
    admin = gateway.make_key("it@example.co.jp", "情報システム部", Role.ADMIN)
    _ask(gateway, staff)
    raw = _get(gateway, admin, "/api/audit.csv", department="営業部").content
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [r["department"] for r in rows] == ["営業部"]
    assert rows[0]["redactions"] == "PERSON=1;PHONE=1"


def test_metrics_count_requests_for_admins_and_the_scraper(
    gateway_factory: Callable[..., RunningGateway], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAKEHASHI_METRICS_TOKEN", "scrape-token-123")
    gw = gateway_factory()
    staff = gw.make_key("sato@example.co.jp", "営業部")
    admin = gw.make_key("it@example.co.jp", "情報システム部", Role.ADMIN)
    _ask(gw, staff)
    _ask(gw, staff, model="broken")
    assert _get(gw, None, "/metrics").status_code == 401
    assert _get(gw, "wrong-token", "/metrics").status_code == 401
    assert _get(gw, staff, "/metrics").status_code == 403
    assert _get(gw, admin, "/metrics").status_code == 200
    text = _get(gw, "scrape-token-123", "/metrics").text
    assert (
        'kakehashi_requests_total{department="営業部",model="mock-model",outcome="ok"} 1.0' in text
    )
    assert (
        'kakehashi_requests_total{department="営業部",model="broken",outcome="error"} 1.0' in text
    )
    assert 'kakehashi_request_latency_seconds_count{model="mock-model"} 1.0' in text
    assert 'kakehashi_tokens_total{department="営業部",kind="prompt",model="mock-model"}' in text
