"""Interoperability: sign in end to end against an independent, OpenID-certified provider
(node-oidc-provider, tests/e2e/oidc_provider) on the same code path as production:
discovery, code + PKCE (required by the provider), client_secret_basic, RS256 ID tokens with a
``groups`` claim, the provider's own login form, and RP-initiated logout."""

from __future__ import annotations

import httpx

from gateway.identity.sessions import SESSION_COOKIE
from tests.fixtures.oidc import InteropIdp, SsoGateway, submit_form


def _sign_in(gw: SsoGateway, client: httpx.Client, email: str, password: str) -> httpx.Response:
    form = client.get("/auth/login", params={"login_hint": email, "next": "/api/me"})
    assert form.url.host == "127.0.0.1"
    assert "/interaction/" in form.url.path
    assert f'value="{email}"' in form.text  # login_hint pre-fills the form
    authorize = next(str(r.url) for r in form.history if r.url.path == "/auth")
    assert "code_challenge_method=S256" in authorize
    assert "nonce=" in authorize
    return submit_form(client, form, email=email, password=password)


def test_sign_in_maps_groups_and_audits(
    interop_idp: InteropIdp, interop_gateway: SsoGateway
) -> None:
    with interop_gateway.client() as client:
        me = _sign_in(interop_gateway, client, "kimura@interop.example", interop_idp.password)
        assert me.status_code == 200, me.text
        assert me.json() | {"user_id": 0} == {
            "user_id": 0,
            "email": "kimura@interop.example",
            "department": "営業部",
            "role": "manager",
            "auth_method": "session",
            "key_id": None,
        }
    event = interop_gateway.last_event("auth.login")
    assert (event.user_email, event.role, event.detail["issuer"]) == (
        "kimura@interop.example",
        "manager",
        interop_idp.issuer,
    )


def test_wrong_password_stays_at_the_provider(
    interop_idp: InteropIdp, interop_gateway: SsoGateway
) -> None:
    with interop_gateway.client() as client:
        page = _sign_in(interop_gateway, client, "yamada@interop.example", "wrong")
        assert "Wrong e-mail or password" in page.text
        assert SESSION_COOKIE not in client.cookies
        assert client.get("/api/me").status_code == 401


def test_unmapped_provider_user_gets_the_ask_it_page(
    interop_idp: InteropIdp, interop_gateway: SsoGateway
) -> None:
    with interop_gateway.client() as client:
        page = _sign_in(interop_gateway, client, "nobody@interop.example", interop_idp.password)
        assert page.status_code == 403
        assert "情シス" in page.text
    assert interop_gateway.last_event("auth.login_failed").detail["groups"] == ["contractors"]


def test_rp_initiated_logout_ends_the_provider_session(
    interop_idp: InteropIdp, interop_gateway: SsoGateway
) -> None:
    with interop_gateway.client() as client:
        assert (
            _sign_in(interop_gateway, client, "admin@interop.example", interop_idp.password).json()[
                "role"
            ]
            == "admin"
        )
        client.cookies.delete(SESSION_COOKIE)
        # Still signed in at the provider: a new login completes without the form (SSO).
        silent = client.get("/auth/login", params={"next": "/api/me"})
        assert silent.url.path == "/api/me"
        assert silent.json()["role"] == "admin"
        end = client.post("/auth/logout", data={"csrf_token": interop_gateway.csrf(client)})
        # oidc-provider asks the user to confirm the end of the session at the provider.
        assert end.url.host == "127.0.0.1"
        assert str(end.url).startswith(interop_idp.issuer)
        confirmed = submit_form(client, end, **_hidden_fields(end.text), logout="yes")
        assert confirmed.url.path == "/auth/logged-out"
        again = client.get("/auth/login", params={"next": "/api/me"})
        assert "/interaction/" in again.url.path  # the password form again
    assert interop_gateway.last_event("auth.logout").user_email == "admin@interop.example"


def _hidden_fields(html: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
