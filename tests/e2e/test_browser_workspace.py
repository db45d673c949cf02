"""A real Chromium works in the staff workspace as a person would: a task template, a .docx
and a .vtt attached, the preview grouped by value, send, copy, regenerate, rate, stop, the
conversation reopened after a reload and deleted; Enter during IME composition never sends;
no console errors. The recording mock upstream proves the names never left."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest
from docx import Document as new_docx
from playwright.sync_api import Page, expect

from tests.fixtures.browser import sign_in
from tests.fixtures.oidc import SsoGateway
from tests.support.mock_upstream import MockUpstream

pytestmark = pytest.mark.browser

VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v 山田太郎>ミライ精工への見積りは 12 月 10 日までに送ります。

00:00:05.000 --> 00:00:07.000
<v 佐藤花子>承知しました。山田太郎さん、よろしくお願いします。
"""
SECRETS = ("山田太郎", "佐藤花子", "03-1234-5678")


def _docx() -> bytes:
    doc = new_docx()
    doc.add_paragraph("議題: 見積り。連絡先は山田太郎 (03-1234-5678)。")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _watch(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.on("dialog", lambda dialog: dialog.accept())
    return problems


def _template_and_files(page: Page) -> None:
    page.get_by_label("用途").select_option("minutes")
    expect(page.locator("#chat-template")).to_be_visible()
    page.get_by_label("形式").select_option("箇条書き")
    page.get_by_role("button", name="依頼文を作る").click()
    assert "形式: 箇条書き" in page.input_value("#chat-prompt")
    page.set_input_files(
        "#chat-file",
        files=[
            {"name": "定例.vtt", "mimeType": "text/vtt", "buffer": VTT.encode()},
            {"name": "議題.docx", "mimeType": "application/octet-stream", "buffer": _docx()},
        ],
    )
    expect(page.locator("#chat-attachments li")).to_have_count(2)


def _preview(page: Page) -> None:
    page.get_by_role("button", name="送信前に確認").click()
    expect(page.locator("#chat-preview-panel")).to_be_visible()
    outgoing = page.inner_text("#chat-preview-text")
    assert not [s for s in SECRETS if s in outgoing]
    assert "山田太郎: " not in outgoing  # the speaker too
    rows = page.inner_text("#chat-preview-entities tbody").splitlines()
    yamada = [r for r in rows if "\t山田太郎\t" in r]
    assert len(yamada) == 1  # one row per value ...
    assert yamada[0].endswith("\t3 回")  # ... with its count (speaker, mention, document)


def test_the_workspace_from_template_to_deletion(
    page: Page,
    sqlite_chat_gateway_factory: Callable[..., SsoGateway],
    upstream: MockUpstream,
) -> None:
    gw = sqlite_chat_gateway_factory(default_policy={"allowed_models": ["mock-*", "drip"]})
    problems = _watch(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=gw.base_url)
    sign_in(page, gw)
    expect(page.locator("#chat-budget")).to_contain_text("残りの予算")
    _template_and_files(page)
    _preview(page)

    page.click("#chat-send")
    answer = page.locator(".msg-assistant").last
    expect(answer.locator("form.feedback")).to_be_visible()
    assert "山田太郎" in answer.inner_text()  # restored for the person
    assert not [s for s in SECRETS if s in upstream.texts_sent()]
    expect(page.locator(".msg-user .msg-file")).to_have_text(["📎 定例.vtt", "📎 議題.docx"])

    answer.get_by_role("button", name="コピー").click()
    expect(answer.locator(".msg-actions")).to_contain_text("コピーしました")
    assert "山田太郎" in page.evaluate("navigator.clipboard.readText()")
    expect(answer.locator("button.copy[data-copied='true']")).to_be_visible()

    sent = len(upstream.requests)
    answer.get_by_role("button", name="再生成").click()
    expect(page.locator(".msg-assistant form.feedback")).to_have_count(1)
    assert len(upstream.requests) == sent + 1
    page.locator(".msg-assistant").last.get_by_role("button", name="役に立った").click()
    expect(page.locator("form.feedback[data-saved='true']")).to_be_visible()

    # Stop a slow answer: what arrived stays.
    page.get_by_label("モデル").select_option("drip")
    page.get_by_label("依頼内容").fill(
        "次回の議題を三つ挙げ、それぞれに担当者と期限の案を添えてください。"
    )
    page.click("#chat-send")
    expect(page.locator("#chat-stop")).to_be_visible()
    expect(page.locator(".msg-assistant[aria-busy='true'] .msg-body")).not_to_be_empty()
    page.click("#chat-stop")
    expect(page.locator(".msg-stopped")).to_be_visible()
    expect(page.locator("#chat-status")).to_have_text("停止しました。")
    page.get_by_label("モデル").select_option("mock-model")

    # The conversation is saved: it comes back after a reload, names restored. The server saves
    # the stopped turn once it notices the browser went away (at its next piece): wait for it.
    expect(page.locator("#conversation-list li")).to_have_count(1)
    conversation = page.evaluate("location.hash").removeprefix("#c=")
    saved = f"{gw.base_url}/api/conversations/{conversation}"
    deadline = time.monotonic() + 15
    while len(page.request.get(saved).json()["messages"]) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    page.reload()
    expect(page.locator(".msg-user")).to_have_count(2)
    expect(page.locator(".msg-user .msg-file")).to_have_count(2)
    assert "山田太郎" in page.locator(".msg-assistant").first.inner_text()
    page.get_by_role("button", name="削除", exact=False).first.click()
    expect(page.locator("#conversation-list li")).to_have_count(0)
    expect(page.locator(".msg")).to_have_count(0)
    assert page.request.get(f"{gw.base_url}/api/conversations").json() == []
    assert gw.audit_events("answer.copied")
    assert problems == []


def test_enter_during_ime_composition_never_sends(
    page: Page,
    sqlite_chat_gateway_factory: Callable[..., SsoGateway],
    upstream: MockUpstream,
) -> None:
    gw = sqlite_chat_gateway_factory(default_policy={"allowed_models": ["mock-*"]})
    problems = _watch(page)
    sign_in(page, gw)
    before = len(upstream.requests)
    page.get_by_label("依頼内容").fill("やまだ")
    # Ctrl+Enter while the IME is converting confirms the conversion: nothing is sent.
    for key in ({"isComposing": True}, {"keyCode": 229}):
        page.dispatch_event(
            "#chat-prompt", "keydown", {"key": "Enter", "ctrlKey": True, "bubbles": True, **key}
        )
    # Enter in a one-line template field (宛先) does not submit the form either.
    page.get_by_label("用途").select_option("email_draft")
    page.get_by_label("宛先").press("Enter")
    page.wait_for_timeout(500)
    assert len(upstream.requests) == before
    assert page.locator(".msg").count() == 0
    page.get_by_label("依頼内容").press("Control+Enter")  # a real send still works
    expect(page.locator(".msg-assistant form.feedback")).to_be_visible()
    assert problems == []
