"""Screenshots of the main pages with the demo's data, for the README.

Run from the repository: ``uv run python docs/screenshots/take.py``. It starts ``kakehashi
demo`` in a temporary folder (synthetic trial history, example policies), signs in as the demo
users with Chromium (the one the tests use) and saves PNGs next to this file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.fixtures.services import free_port
from tests.support.browser import CHROMIUM_ARGS, chromium_executable

HERE = Path(__file__).parent


def _demo(port: int, folder: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "gateway", "demo", "--port", str(port), "--data-dir", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("the demo did not start")


def _sign_in(page: Page, base: str, email: str, path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}{path}")
    page.click("#sso-login")
    page.check(f"input[value='{email}']")
    page.click("#dev-idp-login")
    page.wait_for_url(re.compile(re.escape(base + path)))


def _chat(page: Page, base: str) -> None:
    _sign_in(page, base, "sato@demo.kakehashi.example", "/chat")
    page.get_by_label("用途").select_option("email_draft")
    page.get_by_label("宛先").fill("株式会社ミライ精工 山田太郎様")
    page.get_by_label("目的").fill("見積りの送付 (電話 03-1234-5678 にも連絡可)")
    page.get_by_role("button", name="依頼文を作る").click()
    page.get_by_role("button", name="送信前に確認").click()
    page.wait_for_selector("#chat-preview-panel:not([hidden])")
    page.screenshot(path=HERE / "chat-preview.png", full_page=True)
    page.click("#chat-send")
    page.wait_for_selector(".msg-assistant form.feedback")
    page.screenshot(path=HERE / "chat.png", full_page=True)


def _templates(page: Page, base: str) -> None:
    """A manager shares a template with the department (the chat page then offers it)."""
    _sign_in(page, base, "suzuki@demo.kakehashi.example", "/templates")
    page.get_by_label("題名").fill("納期遅延のお詫び")
    page.get_by_label("用途").select_option("email_draft")
    page.get_by_label("依頼文").fill(
        "{宛先} 様へ、納期遅延のお詫びメールを書いてください。\n経緯: {経緯}\n"
        "新しい納期: {新しい納期}\nトーン: {トーン|丁寧|簡潔}"
    )
    page.get_by_role("button", name="共有する").click()
    page.wait_for_selector("#shared-templates")
    page.screenshot(path=HERE / "templates.png", full_page=True)


def _last_month() -> str:
    """The demo's last full month of trial (Japan time), for a report with a month of data."""
    first = datetime.now(ZoneInfo("Asia/Tokyo")).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = _demo(port, Path(folder))
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium_executable(), args=CHROMIUM_ARGS
                )
                page = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
                _templates(page, base)
                _chat(page, base)
                _sign_in(page, base, "suzuki@demo.kakehashi.example", "/dashboard")
                page.screenshot(path=HERE / "dashboard.png", full_page=True)
                page.goto(f"{base}/reports/monthly?month={_last_month()}")
                page.screenshot(path=HERE / "report.png", full_page=True)
                _sign_in(page, base, "tanaka@demo.kakehashi.example", "/admin/audit")
                page.screenshot(path=HERE / "audit.png", full_page=False)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
