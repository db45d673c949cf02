"""The 最終判断者 is a person of the directory, and only they record a decision — or IT, when it
says it records it on their behalf (stored as such). Every refusal is a Japanese + English
403, audited as ``auth.forbidden``."""

from __future__ import annotations

import httpx

from gateway.kernel.principal import Role
from gateway.kernel.vocab import EventType
from tests.fixtures.chat import signed_in
from tests.fixtures.oidc import SsoGateway
from tests.trials.conftest import ADMIN, MANAGER, approved_trial, post, proposal_form


def test_only_the_decision_maker_or_it_on_their_behalf_records_a_decision(
    trial_gateway: SsoGateway,
) -> None:
    gw = trial_gateway
    with signed_in(gw, MANAGER) as manager:
        assert f'<option value="{MANAGER}"' in manager.get("/trials/new").text  # the directory
        unknown = post(gw, manager, "/trials", proposal_form(decision_maker="nobody@example.jp"))
        assert unknown.status_code == 400
        assert "最終判断者 nobody@example.jp は利用者一覧にいない" in unknown.text
    path = approved_trial(gw)
    decision = {"decision": "continue", "comment": "順調"}
    colleague = gw.make_key("kacho@example.co.jp", "営業部", Role.MANAGER)
    refused = httpx.post(
        f"{gw.base_url}{path}/decision",
        headers={"authorization": f"Bearer {colleague}", "accept": "text/html"},
        data=decision | {"on_behalf": "1"},  # only IT may record for someone
    )
    assert refused.status_code == 403
    assert f"決定を記録できるのは最終判断者 ({MANAGER}) だけです" in refused.text
    assert "Only the final decision-maker" in refused.text
    with signed_in(gw, ADMIN) as admin:
        assert post(gw, admin, f"{path}/decision", decision).status_code == 403
        assert post(gw, admin, f"{path}/decision", decision | {"on_behalf": "1"}).status_code == 303
        assert f"最終判断者 {MANAGER} の代理で記録" in admin.get(f"{path}/review").text
    with signed_in(gw, MANAGER) as manager:
        assert post(gw, manager, f"{path}/decision", decision).status_code == 303
    decided = gw.audit_events(EventType.TRIAL_DECIDED)
    assert [(e.user_email, e.detail.get("on_behalf_of")) for e in decided] == [
        (ADMIN, MANAGER),
        (MANAGER, None),
    ]
    forbidden = [e for e in gw.audit_events(EventType.AUTH_FORBIDDEN) if "decide" in str(e.detail)]
    assert [e.user_email for e in forbidden] == ["kacho@example.co.jp", ADMIN]
