"""A gateway with the development IdP and a policy folder the trial approvals write into."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.chat import signed_in
from tests.fixtures.oidc import SsoGateway
from tests.fixtures.policies import PolicyFolder

MANAGER = "suzuki@demo.kakehashi.example"  # 営業部 manager (demo users)
ADMIN = "tanaka@demo.kakehashi.example"  # 情報システム部, IT admin
STAFF = "sato@demo.kakehashi.example"  # 営業部 staff


def proposal_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "purpose": "営業メールの下書き時間を減らす",
        "tasks": ["email_draft", "summary"],
        "people": "a@example.co.jp\nb@example.co.jp",
        "start": "2026-12-01",
        "days": "90",
        "budget_yen": "20000",
        "target_hours": "5",
        "target_active_pct": "50",
        "target_satisfaction": "4",
        "target_cost_per_hour": "300",
        "scope": "社外秘の資料は添付しない",
        "responsibility": "出力の確認は作成者",
        "cost_bearer": "営業部の部門経費",
        "decision_maker": MANAGER,
        "action": "submit",
    }
    return form | changes


def post(gw: SsoGateway, client: httpx.Client, path: str, form: dict[str, Any]) -> httpx.Response:
    """A page's form post (session cookie + CSRF), not following the redirect."""
    return client.post(
        path,
        data=form,
        headers={"x-csrf-token": gw.csrf(client), "accept": "text/html"},
        follow_redirects=False,
    )


def approved_trial(gw: SsoGateway, **changes: Any) -> str:
    """Propose (manager) and approve (IT) through the forms; the trial's path."""
    with signed_in(gw, MANAGER) as manager:
        created = post(gw, manager, "/trials", proposal_form(**changes))
        assert created.status_code == 303, created.text
        path = str(created.headers["location"])
    with signed_in(gw, ADMIN) as admin:
        approved = post(gw, admin, f"{path}/review", {"action": "approve", "comment": "承認"})
        assert approved.status_code == 303, approved.text
    return path


@pytest.fixture
def trial_gateway(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway], policy_folder: PolicyFolder
) -> SsoGateway:
    return sqlite_chat_gateway_factory(
        policies_dir=str(policy_folder.path),
        policies_source="database",
        policies_reload_s=0,
    )
