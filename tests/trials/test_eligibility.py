"""Who may use a trial's tasks, on SQLite and on PostgreSQL: only the eligible people the
approved trial wrote into the policy (the rest of the department keeps the other tasks); the
chat page offers exactly what the pipeline accepts; expand lets the added people in; stop
closes the tasks after the end date; a second trial is approved only once the first is
stopped (the policy holds one trial section). A refusal is a 403 naming the task, audited,
and nothing reaches the provider (the recording mock upstream)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from gateway.kernel.vocab import ErrorCode, Outcome
from tests.fixtures.chat import signed_in
from tests.fixtures.oidc import SsoGateway
from tests.fixtures.policies import PolicyFolder
from tests.support.mock_upstream import MockUpstream
from tests.trials.conftest import ADMIN, MANAGER, STAFF, approved_trial, post, proposal_form

START = datetime.now(ZoneInfo("Asia/Tokyo")).date() - timedelta(days=100)  # ended 11 days ago
OTHER = "c@example.co.jp"


def _ask(gw: SsoGateway, key: str, use_case: str) -> httpx.Response:
    return httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}", "x-kakehashi-use-case": use_case},
        json={"model": "mock-model", "messages": [{"role": "user", "content": "見積りの件"}]},
    )


def _offered(gw: SsoGateway, email: str) -> list[str]:
    with signed_in(gw, email) as client:
        page = client.get("/chat").text
    select = re.search(r'<select id="chat-use-case".*?</select>', page, re.S)
    assert select
    return re.findall(r'<option value="([a-z_]+)"', select.group(0))


def test_trial_tasks_only_for_eligible_people_until_stopped(
    chat_gateway_factory: Callable[..., SsoGateway],
    policy_folder: PolicyFolder,
    upstream: MockUpstream,
) -> None:
    gw = chat_gateway_factory(
        policies_dir=str(policy_folder.path), policies_source="database", policies_reload_s=0
    )
    path = approved_trial(gw, start=START.isoformat(), people=f"a@example.co.jp\n{MANAGER}")
    eligible, other = gw.make_key("a@example.co.jp"), gw.make_key("x@example.co.jp")
    assert _ask(gw, eligible, "email_draft").status_code == 200
    assert _ask(gw, other, "chat").status_code == 200  # not a trial task: the whole department
    sent = len(upstream.requests)
    refused = _ask(gw, other, "email_draft")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == ErrorCode.USE_CASE_NOT_ALLOWED
    assert "'email_draft'" in error["message_ja"]
    assert "対象者" in error["message_ja"]
    assert "eligible" in error["message_en"]
    assert len(upstream.requests) == sent  # nothing left for the provider
    event = gw.wait_for_audit(3)[-1]
    assert (event.user_email, event.outcome) == ("x@example.co.jp", Outcome.REFUSED)
    assert event.detail["use_case_refused"] == {"name": "email_draft", "reason": "not_eligible"}
    assert "email_draft" in _offered(gw, MANAGER)
    assert {"chat", "minutes"} <= set(_offered(gw, STAFF))
    assert not {"email_draft", "summary"} & set(_offered(gw, STAFF))
    with signed_in(gw, MANAGER) as manager:
        form = {"decision": "expand", "comment": "拡大", "people": STAFF}
        assert post(gw, manager, f"{path}/decision", form).status_code == 303
    assert "email_draft" in _offered(gw, STAFF)  # the added person is in
    with signed_in(gw, MANAGER) as manager:
        second = post(gw, manager, "/trials", proposal_form(tasks=["minutes"], people=OTHER))
        assert second.status_code == 303
    with signed_in(gw, ADMIN) as admin:  # one trial section per policy: not while one runs
        review = {"action": "approve", "comment": "承認"}
        refused = post(gw, admin, f"{second.headers['location']}/review", review)
        assert refused.status_code == 409
        assert "実施中" in refused.text
    assert "email_draft" in _offered(gw, STAFF)  # the running trial's section is untouched
    with signed_in(gw, MANAGER) as manager:
        form = {"decision": "stop", "comment": "終了"}
        assert post(gw, manager, f"{path}/decision", form).status_code == 303
    with signed_in(gw, ADMIN) as admin:
        approved = post(gw, admin, f"{second.headers['location']}/review", review)
        assert approved.status_code == 303
    assert "minutes" not in _offered(gw, STAFF)  # now the second trial's, for OTHER only
    closed = _ask(gw, eligible, "email_draft")  # the trial ended 11 days ago
    assert closed.status_code == 403
    assert "終了" in closed.json()["error"]["message_ja"]
    assert "email_draft" not in _offered(gw, MANAGER)
    assert len(upstream.requests) == sent
