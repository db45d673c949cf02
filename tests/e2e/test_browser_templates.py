"""A real Chromium: a department manager shares a task template on the templates page, a
colleague of the same department uses it from the chat page (the request is counted under the
template's use case, names still redacted), and staff of another department never see it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.fixtures.browser import sign_in
from tests.fixtures.oidc import SsoGateway
from tests.support.mock_upstream import MockUpstream

pytestmark = pytest.mark.browser

SUZUKI = "suzuki@demo.kakehashi.example"  # 営業部 manager
TAKAHASHI = "takahashi@demo.kakehashi.example"  # 総務部 staff
PROMPT = (
    "{宛先} 様へ納期遅延のお詫びメールを書いてください。\n経緯: {経緯}\nトーン: {トーン|丁寧|簡潔}"
)
SHARED = "営業部: 納期遅延のお詫び"


@contextmanager
def person(browser: Browser, problems: list[str]) -> Iterator[Page]:
    """Another person at another computer: a fresh context, watched for errors."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        yield page
    finally:
        context.close()


def _share(page: Page, gw: SsoGateway) -> None:
    sign_in(page, gw, SUZUKI, "/templates")
    page.get_by_label("題名").fill("納期遅延のお詫び")
    page.get_by_label("用途").select_option("email_draft")
    page.get_by_label("依頼文").fill(PROMPT)
    page.get_by_role("button", name="共有する").click()
    row = page.locator("#shared-templates tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("{トーン|丁寧|簡潔}")
    expect(row).to_contain_text("営業部")


def _use(page: Page, gw: SsoGateway) -> None:
    sign_in(page, gw)
    page.get_by_label("用途").select_option("chat")
    expect(page.locator("#chat-template-pick")).to_be_hidden()  # no template for 相談
    page.get_by_label("用途").select_option("email_draft")
    page.get_by_label("テンプレート", exact=True).select_option(label=SHARED)
    page.get_by_label("宛先").fill("株式会社ミライ精工 山田太郎")
    page.get_by_label("経緯").fill("部品の入荷が遅れ、納品が 3 日遅れます。")
    page.get_by_label("トーン").select_option("簡潔")
    page.get_by_role("button", name="依頼文を作る").click()
    expect(page.locator("#chat-prompt")).to_have_value(
        "株式会社ミライ精工 山田太郎 様へ納期遅延のお詫びメールを書いてください。\n"
        "経緯: 部品の入荷が遅れ、納品が 3 日遅れます。\nトーン: 簡潔"
    )
    page.click("#chat-send")
    expect(page.locator(".msg-assistant form.feedback")).to_be_visible()
    assert "山田太郎" in page.locator(".msg-assistant .msg-body").inner_text()


def test_a_manager_shares_a_template_a_colleague_uses_and_another_department_never_sees(
    browser: Browser,
    sqlite_chat_gateway_factory: Callable[..., SsoGateway],
    upstream: MockUpstream,
) -> None:
    gw = sqlite_chat_gateway_factory(default_policy={"allowed_models": ["mock-*"]})
    problems: list[str] = []
    with person(browser, problems) as manager:
        _share(manager, gw)
    with person(browser, problems) as colleague:
        _use(colleague, gw)
    [sent] = upstream.requests
    assert "納期遅延のお詫びメール" in sent.body["messages"][0]["content"]
    assert "山田太郎" not in upstream.texts_sent()
    [event] = gw.wait_for_audit(1)
    assert (event.use_case, event.detail["template"]) == ("email_draft", "t1")
    with person(browser, problems) as other:
        sign_in(other, gw, TAKAHASHI)
        other.get_by_label("用途").select_option("email_draft")
        expect(other.locator("#chat-template-choice option")).to_have_text(["標準"])
        assert "納期遅延" not in other.content()
        other.goto(f"{gw.base_url}/templates")
        expect(other.locator("h1")).to_contain_text("権限")  # staff: no templates page
    assert [p for p in problems if "403" not in p] == []
