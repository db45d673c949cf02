"""Proposal and review through the pages' forms: who may do what (staff cannot propose, a
manager only for their own department, only IT approves), send back with a comment, resubmit,
and the approval writing the department's policy; every step versioned and audited."""

from __future__ import annotations

import httpx

from gateway.kernel.principal import Role
from gateway.kernel.vocab import EventType
from tests.fixtures.chat import signed_in
from tests.fixtures.oidc import SsoGateway
from tests.trials.conftest import ADMIN, MANAGER, STAFF, post, proposal_form


def test_from_proposal_to_approved_policy_with_each_role_checked(
    trial_gateway: SsoGateway,
) -> None:
    gw = trial_gateway
    with signed_in(gw, STAFF) as staff:
        assert staff.get("/trials", headers={"accept": "text/html"}).status_code == 403
        assert post(gw, staff, "/trials", proposal_form()).status_code == 403
    with signed_in(gw, MANAGER) as manager:
        refused = post(gw, manager, "/trials", proposal_form(tasks=[]))
        assert refused.status_code == 400
        assert "提案の入力に誤りがあります" in refused.text
        created = post(gw, manager, "/trials", proposal_form())
        assert created.status_code == 303, created.text
        path = created.headers["location"]
        assert post(gw, manager, f"{path}/review", {"action": "approve"}).status_code == 403
        back = {"action": "send_back", "comment": "自分で差し戻し"}
        assert post(gw, manager, f"{path}/review", back).status_code == 403
    other = gw.make_key("boss@example.co.jp", "総務部", Role.MANAGER)
    foreign = httpx.get(
        f"{gw.base_url}{path}", headers={"authorization": f"Bearer {other}", "accept": "text/html"}
    )
    assert foreign.status_code == 403
    with signed_in(gw, ADMIN) as admin:
        bare = post(gw, admin, f"{path}/review", {"action": "send_back", "comment": " "})
        assert bare.status_code == 409
        back = post(gw, admin, f"{path}/review", {"action": "send_back", "comment": "予算の根拠を"})
        assert back.status_code == 303
    with signed_in(gw, MANAGER) as manager:
        page = manager.get(path).text
        assert 'data-stage="sent_back"' in page
        assert "予算の根拠を" in page
        again = post(gw, manager, f"{path}/edit", proposal_form(budget_yen="15000"))
        assert again.status_code == 303
        assert 'data-stage="resubmitted"' in manager.get(path).text
    with signed_in(gw, ADMIN) as admin:
        form = {
            "action": "approve",
            "comment": "OK",
            "budget_yen": "12000",
            "models": ["mock-model"],
        }
        assert post(gw, admin, f"{path}/review", form).status_code == 303
        assert 'data-stage="approved"' in admin.get(path).text
    assert gw.app is not None
    policy = gw.app.state.kakehashi.policies.for_department("営業部")
    assert policy.quotas.department.month.yen == 12000
    assert policy.allowed_models == ["mock-model"]
    assert policy.trial is not None
    assert policy.trial.eligible_users == 2
    assert policy.trial.tasks == ["email_draft", "summary"]
    assert policy.trial.targets.hours_saved_per_week == 5
    events = [e.event_type for e in gw.audit_events() if e.event_type.startswith("trial.")]
    assert events == [
        EventType.TRIAL_SUBMITTED,
        EventType.TRIAL_SENT_BACK,
        EventType.TRIAL_SUBMITTED,
        EventType.TRIAL_APPROVED,
    ]
    [changed] = gw.audit_events(EventType.POLICY_CHANGED)
    assert changed.user_email == ADMIN
    assert changed.detail["reason"].startswith("トライアル #")
    refusals = [e.detail["reason"] for e in gw.audit_events(EventType.AUTH_FORBIDDEN)]
    assert "trial: review" in refusals
    assert "trial: read" in refusals
