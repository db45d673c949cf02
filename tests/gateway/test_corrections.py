"""Corrections from people through the API (issue 13): staff add a missed name or drop a name
their policy releases in the preview; each correction becomes a proposal for IT in the
database; a drop is audited; an approved name is redacted from the next request on (preview
and chat, asserted at the recording upstream); staff cannot decide, nor drop what the policy
keeps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.chat import SATO, ask, signed_in, streamed_text
from tests.fixtures.oidc import SsoGateway
from tests.support.mock_upstream import MockUpstream

TANAKA = "tanaka@demo.kakehashi.example"  # IT admin
TEXT = "来週は青空計画の打ち合わせです。山田太郎様も参加。電話 03-1234-5678"
PLAN = [TEXT.index("青空計画"), TEXT.index("青空計画") + 4]
YAMADA = [TEXT.index("山田太郎"), TEXT.index("山田太郎") + 4]
PHONE = [TEXT.index("03-"), len(TEXT)]


@pytest.fixture
def gw(sqlite_chat_gateway_factory: Callable[..., SsoGateway]) -> SsoGateway:
    return sqlite_chat_gateway_factory(
        default_policy={"allowed_models": ["mock-*"], "redaction": {"overridable": ["PERSON"]}}
    )


def _preview(
    gw: SsoGateway, client: httpx.Client, corrections: list[dict[str, Any]]
) -> httpx.Response:
    return client.post(
        "/api/redaction/preview",
        json={"text": TEXT, "corrections": corrections},
        headers={"x-csrf-token": gw.csrf(client)},
    )


def test_corrections_become_proposals_and_approved_names_reach_the_next_request(
    gw: SsoGateway, upstream: MockUpstream
) -> None:
    add = {"action": "add", "start": PLAN[0], "end": PLAN[1], "type": "COMPANY"}
    drop = {"action": "drop", "start": YAMADA[0], "end": YAMADA[1]}
    with signed_in(gw) as client:
        corrected = _preview(gw, client, [add, drop]).json()
        assert "青空計画" not in corrected["text"]
        assert "山田太郎" in corrected["text"]  # dropped, as the policy allows
        assert len(corrected["proposals"]) == 2
        assert "青空計画" in _preview(gw, client, []).json()["text"]  # not approved yet
    overrides = gw.wait_for_audit(1, "redaction.override")
    assert overrides[0].detail["dropped"] == ["PERSON"]
    assert "山田太郎" not in str(overrides[0].detail)  # the audit log holds no names
    with signed_in(gw, TANAKA) as admin:
        pending = admin.get("/api/redaction/proposals", params={"status": "pending"}).json()
        assert {(p["kind"], p["term"], p["user_email"]) for p in pending} == {
            ("add_term", "青空計画", SATO),
            ("allow_term", "山田太郎", SATO),
        }
        plan = next(p for p in pending if p["term"] == "青空計画")
        decided = admin.post(
            f"/api/redaction/proposals/{plan['id']}",
            json={"approve": True},
            headers={"x-csrf-token": gw.csrf(admin)},
        )
        assert decided.json()["status"] == "approved"
    with signed_in(gw) as client:
        assert "青空計画" not in _preview(gw, client, []).json()["text"]
        streamed_text(ask(gw, client, [{"role": "user", "content": TEXT}]))
    assert "青空計画" not in upstream.texts_sent()
    assert "山田太郎" not in upstream.texts_sent()  # the allow proposal was not approved


def test_a_drop_the_policy_keeps_is_refused_and_nothing_is_proposed(gw: SsoGateway) -> None:
    with signed_in(gw) as client:
        refused = _preview(gw, client, [{"action": "drop", "start": PHONE[0], "end": PHONE[1]}])
    assert refused.status_code == 400
    assert "電話番号" in refused.text
    with signed_in(gw, TANAKA) as admin:
        assert admin.get("/api/redaction/proposals").json() == []


def test_only_it_decides(gw: SsoGateway) -> None:
    with signed_in(gw) as client:
        assert client.get("/api/redaction/proposals").status_code == 403
        decided = client.post(
            "/api/redaction/proposals/1",
            json={"approve": True},
            headers={"x-csrf-token": gw.csrf(client)},
        )
        assert decided.status_code == 403
