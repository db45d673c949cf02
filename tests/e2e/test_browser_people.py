"""The people page in a real Chromium (issue 15): an IT admin disables a person, whose API key
and browser session stop on their next request; a manager cannot open the page (403 page)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from gateway.kernel.principal import Role
from tests.fixtures.chat import SATO
from tests.fixtures.oidc import SsoGateway

pytestmark = pytest.mark.browser

TANAKA = "tanaka@demo.kakehashi.example"  # 情報システム部, IT admin
SUZUKI = "suzuki@demo.kakehashi.example"  # 営業部 manager


def sign_in_as(page: Page, gw: SsoGateway, email: str, path: str) -> None:
    page.goto(f"{gw.base_url}{path}")
    page.click("#sso-login")
    page.check(f"input[value='{email}']")
    page.click("#dev-idp-login")


def test_an_admin_disables_a_person_and_their_key_and_session_stop(
    page: Page, sqlite_sso_gateway_factory: Callable[..., SsoGateway], tmp_path: Path
) -> None:
    gw = sqlite_sso_gateway_factory()
    # Playwright's sync API owns this thread's event loop: mint the key from another thread.
    with ThreadPoolExecutor(1) as pool:
        key = pool.submit(gw.make_key, SATO, "営業部", Role.STAFF).result()
    bearer = {"authorization": f"Bearer {key}"}
    with gw.client() as sato:
        assert gw.login(sato, SATO).status_code == 200
        assert httpx.get(f"{gw.v1}/models", headers=bearer).status_code == 200  # cached key

        sign_in_as(page, gw, TANAKA, "/admin/people")
        page.wait_for_url(f"{gw.base_url}/admin/people")
        row = page.locator(f"#people tr[data-email='{SATO}']")
        assert "営業部" in row.inner_text()
        assert "一般社員" in row.inner_text()
        assert row.get_attribute("data-status") == "active"
        row.locator("input[name=reason]").fill("退職のため")
        row.locator("form.disable button").click()
        page.wait_for_url(f"{gw.base_url}/admin/people*")
        row = page.locator(f"#people tr[data-email='{SATO}']")
        assert row.get_attribute("data-status") == "disabled"
        assert TANAKA in row.locator(".status").inner_text()
        assert row.locator(".status .reason").inner_text() == "理由 / reason: 退職のため"
        # Beside the disabler's e-mail, the department and role still read on one line each.
        for cell in (row.locator("td").nth(1), row.locator("td").nth(2)):
            lines = cell.evaluate(
                "td => { const r = document.createRange(); r.selectNodeContents(td);"
                " return r.getClientRects().length; }"
            )
            assert lines == 1, cell.inner_text()
        # ... and the table still fits the card: no button hidden behind a scroll bar.
        widths = page.locator("#people").evaluate(
            "t => [t.scrollWidth, t.parentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]
        page.screenshot(path=str(tmp_path / "people.png"), full_page=True)

        refused = httpx.get(f"{gw.v1}/models", headers=bearer)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "account_disabled"
        assert sato.get("/api/me").status_code == 403
        # Not the admin's own row: no button to lock themselves out.
        own = page.locator(f"#people tr[data-email='{TANAKA}']")
        assert own.locator("form.disable").count() == 0

        row.locator("form.enable button").click()
        page.wait_for_url(f"{gw.base_url}/admin/people*")
        assert httpx.get(f"{gw.v1}/models", headers=bearer).status_code == 200
    event = gw.last_event("user.disabled")
    assert (event.user_email, event.detail["reason"], event.detail["via"]) == (
        SATO,
        "退職のため",
        "web",
    )


def test_a_manager_and_staff_cannot_open_the_people_page(
    page: Page, sqlite_sso_gateway_factory: Callable[..., SsoGateway]
) -> None:
    gw = sqlite_sso_gateway_factory()
    sign_in_as(page, gw, SUZUKI, "/admin/people")
    page.wait_for_load_state()
    assert "/admin/people" in page.url
    assert "権限がありません" in page.inner_text("main")
    assert "利用者" not in page.inner_text("header nav")  # no menu entry either
    response = page.request.post(f"{gw.base_url}/admin/people/1/disable")
    assert response.status == 403
    with gw.client() as sato:
        gw.login(sato, SATO)
        html = sato.get("/admin/people", headers={"accept": "text/html"})
        assert html.status_code == 403
        assert "権限がありません" in html.text
    assert gw.last_event("auth.forbidden").detail["path"] == "/admin/people"
