"""The whole trial lifecycle in Chromium: a manager proposes, IT sends it back, the manager
resubmits, IT approves, people use it, the manager reads the monthly review and records an
expansion — each step through the pages as a person would click it."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page

from tests.fixtures.oidc import SsoGateway
from tests.trials.conftest import ADMIN, MANAGER


@contextmanager
def as_person(browser: Browser, gw: SsoGateway, email: str, path: str) -> Iterator[Page]:
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    page.goto(f"{gw.base_url}{path}")
    page.click("#sso-login")
    page.check(f"input[value='{email}']")
    page.click("#dev-idp-login")
    page.wait_for_url(f"{gw.base_url}{path}")
    try:
        yield page
    finally:
        context.close()


def test_propose_send_back_resubmit_approve_use_review_expand(
    browser: Browser, trial_gateway: SsoGateway, tmp_path: Path
) -> None:
    gw = trial_gateway
    with as_person(browser, gw, MANAGER, "/trials") as page:
        page.click("#new-trial")
        page.fill("#purpose", "営業メールの下書き時間を減らす")
        page.check("input[name=tasks][value=email_draft]")
        page.fill("#people", "a@example.co.jp\nb@example.co.jp")
        page.fill("#budget_yen", "20000")
        page.fill("#target_hours", "1")
        page.fill("#scope", "社外秘の資料は添付しない")
        page.fill("#responsibility", "出力の確認は作成者")
        page.fill("#cost_bearer", "営業部の部門経費")
        page.select_option("#decision_maker", MANAGER)
        page.screenshot(path=str(tmp_path / "trial-form.png"), full_page=True)
        page.click("#submit-proposal")
        page.wait_for_selector("#stage[data-stage=submitted]")
        path = page.url.removeprefix(gw.base_url)
    with as_person(browser, gw, ADMIN, path) as page:
        page.fill("#review-comment", "予算の根拠を書いてください")
        page.click("#send-back")
        page.wait_for_selector("#stage[data-stage=sent_back]")
    with as_person(browser, gw, MANAGER, path) as page:
        assert "予算の根拠を書いてください" in page.inner_text("#steps")
        page.fill("#edit-form #budget_yen", "15000")
        page.click("#edit-form #submit-proposal")
        page.wait_for_selector("#stage[data-stage=resubmitted]")
    with as_person(browser, gw, ADMIN, path) as page:
        page.fill("#review-comment", "承認します")
        page.click("#approve")
        page.wait_for_selector("#stage[data-stage=approved]")
    # make_key runs its own event loop; Playwright's sync API holds one in this thread.
    with ThreadPoolExecutor(1) as pool:
        key = pool.submit(gw.make_key, "a@example.co.jp", "営業部").result()
    used = httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}", "x-kakehashi-use-case": "email_draft"},
        json={"model": "mock-model", "messages": [{"role": "user", "content": "見積りの送付"}]},
    )
    assert used.status_code == 200
    gw.wait_for_audit(1)
    with as_person(browser, gw, MANAGER, f"{path}/review") as page:
        assert page.inner_text("tr[data-key=active_share] td.value") == "50%"  # 1 of 2
        assert "対象者 2 名のうち 1 名が利用しました" in page.input_value("#summary")
        page.check("input[name=decision][value=expand]")
        page.fill("#add-people", "c@example.co.jp")
        page.fill("#decision-comment", "好評のため拡大")
        page.click("#record-decision")
        page.wait_for_selector("tr[data-decision=expand]")
        page.screenshot(
            path=str(gw.settings.spool_path().parent / "trial-review.png"), full_page=True
        )
    assert gw.app is not None
    trial = gw.app.state.kakehashi.policies.for_department("営業部").trial
    assert trial is not None
    assert trial.eligible_users == 3
