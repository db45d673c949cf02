"""Shared task templates through ``/api/templates`` and the chat stream: a manager shares with
their own department only, IT publishes company-wide, staff create nothing (each refusal
audited); a colleague's request from the template is counted under its use case; another
department neither sees nor uses it; the list leaves out templates for tasks the caller may not
use (a trial's task outside its people, a closed task)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.fixtures.chat import SATO, ask, signed_in, streamed_text
from tests.fixtures.oidc import SsoGateway
from tests.fixtures.policies import PolicyFolder
from tests.support.mock_upstream import MockUpstream

SUZUKI = "suzuki@demo.kakehashi.example"  # 営業部 manager
TAKAHASHI = "takahashi@demo.kakehashi.example"  # 総務部 staff
TANAKA = "tanaka@demo.kakehashi.example"  # IT admin
APOLOGY = {
    "title": "納期遅延のお詫び",
    "use_case": "email_draft",
    "prompt": "{宛先} 様へ納期遅延のお詫びメールを書いてください。経緯: {経緯}\nトーン: {トーン|丁寧|簡潔}",
}


@pytest.fixture
def gw(sqlite_chat_gateway_factory: Callable[..., SsoGateway]) -> SsoGateway:
    return sqlite_chat_gateway_factory(default_policy={"allowed_models": ["mock-*"]})


def _post(gw: SsoGateway, client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.post("/api/templates", json=body, headers={"x-csrf-token": gw.csrf(client)})


def _titles(client: httpx.Client) -> list[str]:
    return [t["title"] for t in client.get("/api/templates").json()]


def test_who_may_share_what_and_every_refusal_is_audited(gw: SsoGateway) -> None:
    with signed_in(gw, SATO) as staff:
        refused = _post(gw, staff, APOLOGY)
        assert refused.status_code == 403
        assert "部門管理者と情報システム部" in refused.json()["error"]["message_ja"]
    with signed_in(gw, SUZUKI) as manager:
        made = _post(gw, manager, APOLOGY)
        assert made.status_code == 201, made.text
        assert (made.json()["department"], made.json()["use_case"]) == ("営業部", "email_draft")
        assert [f["label"] for f in made.json()["fields"]] == ["宛先", "経緯", "トーン"]
        for elsewhere in ({"scope": "company"}, {"department": "総務部"}):
            refused = _post(gw, manager, APOLOGY | elsewhere)
            assert refused.status_code == 403
            assert "自部署のテンプレートだけ" in refused.json()["error"]["message_ja"]
        no_slot = _post(gw, manager, APOLOGY | {"prompt": "お詫びメールを書いて"})
        assert no_slot.status_code == 400
        assert "入力欄が 1 つもありません" in no_slot.json()["error"]["message_ja"]
        unknown = _post(gw, manager, APOLOGY | {"use_case": "poetry"})
        assert unknown.status_code == 400
    with signed_in(gw, TANAKA) as admin:
        company = _post(
            gw,
            admin,
            APOLOGY | {"title": "全社: 議事録", "use_case": "minutes", "scope": "company"},
        )
        assert company.status_code == 201
        assert company.json()["department"] is None
    with signed_in(gw, SATO) as staff:
        assert _titles(staff) == ["納期遅延のお詫び", "全社: 議事録"]
        gone = staff.delete(
            f"/api/templates/{made.json()['id']}", headers={"x-csrf-token": gw.csrf(staff)}
        )
        assert gone.status_code == 403
    with signed_in(gw, TAKAHASHI) as other:
        assert _titles(other) == ["全社: 議事録"]
    refusals = [e.detail["department"] for e in gw.audit_events("auth.forbidden")]
    assert refusals == ["営業部", "(company)", "総務部", "営業部"]
    created = gw.audit_events("template.created")
    assert [(e.user_email, e.use_case, e.detail["scope"]) for e in created] == [
        (SUZUKI, "email_draft", "営業部"),
        (TANAKA, "minutes", "company"),
    ]
    with signed_in(gw, SUZUKI) as manager:
        deleted = manager.delete(
            f"/api/templates/{made.json()['id']}", headers={"x-csrf-token": gw.csrf(manager)}
        )
        assert deleted.status_code == 204
        assert _titles(manager) == ["全社: 議事録"]
    assert gw.last_event("template.deleted").detail["template_id"] == made.json()["id"]


def test_a_request_from_a_template_counts_under_its_use_case(
    gw: SsoGateway, upstream: MockUpstream
) -> None:
    with signed_in(gw, SUZUKI) as manager:
        key = _post(gw, manager, APOLOGY).json()["key"]
    turn = [{"role": "user", "content": "山田様へ納期遅延のお詫びメールを書いてください。"}]
    with signed_in(gw, SATO) as staff:
        # The page says "chat"; the template says e-mail draft, and the template wins.
        answer = ask(gw, staff, turn, use_case="chat", template=key)
        assert answer.status_code == 200
        streamed_text(answer)
    with signed_in(gw, TAKAHASHI) as other:
        refused = ask(gw, other, turn, use_case="chat", template=key)
        assert refused.status_code == 404
        assert "ほかの部署" in refused.json()["error"]["message_ja"]
    [event] = gw.wait_for_audit(1)
    assert (event.user_email, event.use_case, event.detail["template"]) == (
        SATO,
        "email_draft",
        key,
    )
    assert len(upstream.requests) == 1


def test_the_list_hides_templates_for_tasks_the_caller_may_not_use(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway], policy_folder: PolicyFolder
) -> None:
    """``/api/templates`` offers only what ``policies.resolve.usable_use_cases`` allows: a
    trial's task only to its people, a closed task (``until`` passed) to nobody."""
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    policy_folder.write(
        "営業部.yaml",
        f"""\
        use_cases:
          chat: {{label: 相談, minutes_saved: 3}}
          email_draft: {{label: メール下書き, minutes_saved: 10}}
          summary: {{label: 要約, minutes_saved: 15, until: {today - timedelta(days=1)}}}
          minutes: {{label: 議事録, minutes_saved: 30}}
        trial:
          start: {today - timedelta(days=7)}
          end: {today + timedelta(days=30)}
          eligible_users: 1
          people: [{SUZUKI}]
          tasks: [email_draft]
        """,
    )
    gw = sqlite_chat_gateway_factory(policies_dir=str(policy_folder.path), policies_reload_s=0)
    with signed_in(gw, SUZUKI) as manager:
        for use_case, title in (
            ("email_draft", "お詫び"),
            ("summary", "要約"),
            ("minutes", "議事録"),
        ):
            made = _post(gw, manager, APOLOGY | {"use_case": use_case, "title": title})
            assert made.status_code == 201, made.text
        assert sorted(_titles(manager)) == ["お詫び", "議事録"]  # in the trial; 要約 closed
    with signed_in(gw, SATO) as staff:  # same department, not in the trial
        assert _titles(staff) == ["議事録"]
