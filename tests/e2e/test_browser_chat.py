"""A real Chromium uses the chat page: signs in as a demo staff member, previews what would
leave the company, sends, reads the streamed answer with the originals restored, and rates it.
The recording mock upstream proves the raw name and phone number never left."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import sign_in
from tests.fixtures.oidc import SsoGateway
from tests.support.mock_upstream import MockUpstream

pytestmark = pytest.mark.browser

PROMPT = (
    "株式会社ミライ精工の山田太郎様に、先日のお見積りのお礼メールを書いてください。"
    "折り返しのお電話は 03-1234-5678 までとお伝えください。"
)
SECRETS = ("山田太郎", "03-1234-5678")


def test_chromium_previews_sends_streams_and_rates_an_answer(
    page: Page,
    sqlite_chat_gateway_factory: Callable[..., SsoGateway],
    upstream: MockUpstream,
) -> None:
    gw = sqlite_chat_gateway_factory(default_policy={"allowed_models": ["mock-*", "broken"]})
    problems: list[str] = []  # script errors and CSP violations
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    sign_in(page, gw)
    # Found by their accessible names, as a screen reader would.
    page.get_by_label("用途").select_option("email_draft")
    page.get_by_label("依頼内容").fill(PROMPT)

    # A failing provider: the error is shown in Japanese and the typed text stays.
    page.get_by_label("モデル").select_option("broken")
    page.get_by_role("button", name="送信", exact=True).click()
    expect(page.locator("#chat-error")).to_be_visible()
    assert "AI" in page.inner_text("#chat-error") or "エラー" in page.inner_text("#chat-error")
    assert page.input_value("#chat-prompt") == PROMPT
    page.select_option("#chat-model", "mock-model")

    page.get_by_role("button", name="送信前に確認").click()
    expect(page.locator("#chat-preview-panel")).to_be_visible()
    outgoing = page.inner_text("#chat-preview-text")
    assert not [s for s in SECRETS if s in outgoing]
    assert "お見積りのお礼メール" in outgoing
    table = page.inner_text("#chat-preview-entities tbody")
    assert "人名\t山田太郎" in table
    assert "電話番号\t03-1234-5678" in table
    assert "\tミライ精工\t" in table  # what its placeholder replaced: 株式会社 stays in the text

    page.click("#chat-send")
    answer = page.locator(".msg-assistant:not(.msg-failed)")
    expect(answer.locator("form.feedback")).to_be_visible()
    assert answer.locator(".msg-body").inner_text() == "echo: " + PROMPT
    assert page.input_value("#chat-prompt") == ""
    expect(page.locator("#chat-error")).to_be_hidden()
    assert len(upstream.requests) == 2  # the failed attempt and the answer
    assert not [s for s in SECRETS if s in upstream.texts_sent()]

    request_id = answer.get_attribute("data-request-id")
    answer.get_by_role("button", name="役に立った").click()
    expect(answer.locator("form.feedback[data-saved='true']")).to_be_visible()
    stored = page.request.get(f"{gw.base_url}/api/feedback/{request_id}")
    assert stored.status == 200
    assert stored.json()["helpful"] is True

    # Rating, reason and minutes replace the thumbs-only feedback.
    answer.locator("select[name=rating]").select_option("5")
    answer.locator("input[name=minutes_saved]").fill("12")
    answer.locator("input[name=reason]").fill("敬語が自然だった")
    answer.locator("form.feedback button[type=submit]").click()
    expect(answer.locator(".feedback-status")).to_contain_text("保存しました")
    stored = page.request.get(f"{gw.base_url}/api/feedback/{request_id}").json()
    assert (stored["rating"], stored["minutes_saved"], stored["reason"]) == (
        5,
        12,
        "敬語が自然だった",
    )

    # A phone-width screen: nothing wider than the viewport.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.click("nav a[href='/history']")
    page.wait_for_url(f"{gw.base_url}/history")
    assert page.locator(f"tr[data-request-id='{request_id}']").count() == 1
    assert problems == []
