"""A real Chromium signs in: through the built-in development IdP's user picker, and through
the independent provider's password form; then creates an API key and signs out."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from gateway.identity.sessions import SESSION_COOKIE
from tests.fixtures.oidc import InteropIdp, SsoGateway

pytestmark = pytest.mark.browser


def test_chromium_signs_in_through_the_dev_idp(
    page: Page, sqlite_sso_gateway_factory: Callable[..., SsoGateway]
) -> None:
    gw = sqlite_sso_gateway_factory()
    page.goto(f"{gw.base_url}/keys")
    assert "/login?next=%2Fkeys" in page.url
    page.click("#sso-login")
    assert "/dev-idp/authorize" in page.url
    page.check("input[value='suzuki@demo.kakehashi.example']")
    page.click("#dev-idp-login")
    page.wait_for_url(f"{gw.base_url}/keys")
    assert "部門管理者" in page.inner_text("header")

    [cookie] = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"

    page.fill("input[name=name]", "ブラウザ")
    page.click("#create-key button[type=submit]")
    assert page.inner_text("#new-key-value").startswith("kk_")
    assert "ブラウザ" in page.inner_text("#own-keys")

    page.click("header form button")
    page.wait_for_url(f"{gw.base_url}/auth/logged-out")
    assert "ログアウトしました" in page.inner_text("main")
    assert page.request.get(f"{gw.base_url}/api/me").status == 401
    assert gw.last_event("auth.logout").user_email == "suzuki@demo.kakehashi.example"


def test_chromium_signs_in_at_the_independent_provider(
    page: Page, interop_idp: InteropIdp, interop_gateway: SsoGateway
) -> None:
    page.goto(f"{interop_gateway.base_url}/login?next=/")
    page.click("#sso-login")
    page.wait_for_selector("#password")
    assert page.url.startswith(interop_idp.issuer)
    page.fill("#email", "yamada@interop.example")
    page.fill("#password", interop_idp.password)
    page.click("#submit")
    page.wait_for_url(f"{interop_gateway.base_url}/")
    assert page.inner_text("#department") == "営業部"
    assert page.inner_text("#role") == "一般社員"  # the home page names roles in Japanese
