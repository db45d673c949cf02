"""Browserless sign-in through the built-in development IdP (httpx following redirects):
sessions, logout, the unmapped-user page, open redirects, state handling and timeouts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from gateway.identity.models import User, WebSession
from gateway.identity.sessions import LOGIN_COOKIE, SESSION_COOKIE
from gateway.kernel.db import make_sync_engine
from tests.fixtures.oidc import SsoGateway, query_of, submit_form

SATO = "sato@demo.kakehashi.example"
SUZUKI = "suzuki@demo.kakehashi.example"
GUEST = "guest@partner.example"


def users(gw: SsoGateway) -> dict[str, tuple[str, str]]:
    engine = make_sync_engine(gw.settings.database.url)
    with engine.connect() as conn:
        rows = conn.execute(select(User.email, User.department, User.role)).all()
    engine.dispose()
    return {email: (dept, role) for email, dept, role in rows}


def test_login_upserts_the_user_and_starts_a_session(sso_gateway: SsoGateway) -> None:
    with sso_gateway.client() as client:
        response = sso_gateway.login(client, SUZUKI, "/api/me")
        assert response.status_code == 200
        assert response.url.path == "/api/me"
        assert response.json() == {
            "user_id": response.json()["user_id"],
            "email": SUZUKI,
            "department": "営業部",
            "role": "manager",
            "auth_method": "session",
            "key_id": None,
        }
        hops = [str(r.url) for r in response.history]
        assert any("/dev-idp/authorize" in h and "code_challenge_method=S256" in h for h in hops)
        set_cookie = next(
            h
            for r in response.history
            for h in r.headers.get_list("set-cookie")
            if h.startswith(SESSION_COOKIE + "=")
        )
        assert "HttpOnly" in set_cookie
        assert "SameSite=lax" in set_cookie
        # Relaxed only because this is test mode on http://127.0.0.1.
        assert "Secure" not in set_cookie
    assert users(sso_gateway)[SUZUKI] == ("営業部", "manager")
    event = sso_gateway.last_event("auth.login")
    assert (event.outcome, event.user_email, event.department, event.role) == (
        "ok",
        SUZUKI,
        "営業部",
        "manager",
    )


def test_user_picker_form_post_signs_in_without_login_hint(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_sso_gateway_factory()
    with gw.client() as client:
        page = client.get("/auth/login", params={"next": "/"})
        assert page.url.path == "/dev-idp/authorize"
        assert "田中 美咲" in page.text
        ticket = page.text.split('name="ticket" value="')[1].split('"')[0]
        home = submit_form(
            client, page, ticket=ticket, user="tanaka@demo.kakehashi.example", action="login"
        )
        assert home.status_code == 200
        assert home.url.path == "/"
        assert 'id="department">情報システム部<' in home.text
        assert "ログアウト" in home.text


def test_user_picker_shows_each_users_department_and_role_in_japanese(
    sso_gateway: SsoGateway,
) -> None:
    """A first-time visitor picks the role they came to see: the picker names what the
    configured group mapping makes of each user, not only the raw IdP groups."""
    with sso_gateway.client() as client:
        page = client.get("/auth/login", params={"next": "/"})
    rows = {line.split('value="')[1].split('"')[0]: line for line in page.text.split("<li>")[1:]}
    assert "営業部 · 一般社員" in rows[SATO]
    assert "営業部 · 部門管理者" in rows[SUZUKI]
    assert "情報システム部 · 情シス管理者" in rows["tanaka@demo.kakehashi.example"]
    assert "利用対象外" in rows[GUEST]
    assert "営業部" not in rows[GUEST]


def test_logout_ends_the_session_locally_and_at_the_idp(sso_gateway: SsoGateway) -> None:
    with sso_gateway.client() as client:
        sso_gateway.login(client, SATO)
        stolen = client.cookies.get(SESSION_COOKIE)
        out = client.post("/auth/logout", data={"csrf_token": sso_gateway.csrf(client)})
        assert out.url.path == "/auth/logged-out"
        idp_hop = next(r for r in out.history if "/dev-idp/logout" in str(r.url))
        params = query_of(idp_hop.url)
        assert params["post_logout_redirect_uri"].endswith("/auth/logged-out")
        assert params["id_token_hint"].count(".") == 2
        assert client.get("/api/me").status_code == 401
    # The server forgot the session: a copied cookie is worthless after logout.
    replay = httpx.get(f"{sso_gateway.base_url}/api/me", cookies={SESSION_COOKIE: stolen})
    assert replay.status_code == 401
    assert sso_gateway.last_event("auth.logout").user_email == SATO


def test_logout_without_csrf_token_is_refused(sso_gateway: SsoGateway) -> None:
    with sso_gateway.client() as client:
        sso_gateway.login(client, SATO)
        assert client.post("/auth/logout", data={}).status_code == 403
        assert client.get("/api/me").status_code == 200


def test_unmapped_user_gets_the_ask_it_page_and_no_access(sso_gateway: SsoGateway) -> None:
    with sso_gateway.client() as client:
        page = sso_gateway.login(client, GUEST, "/")
        assert page.status_code == 403
        assert "情シス" in page.text
        assert "Please ask IT to add you" in page.text
        assert "contractors" in page.text
        assert SESSION_COOKIE not in client.cookies
        assert client.get("/api/me").status_code == 401
    assert GUEST not in users(sso_gateway)
    event = sso_gateway.last_event("auth.login_failed")
    assert (event.status_code, event.user_email, event.detail["reason"]) == (403, GUEST, "unmapped")


def test_email_domain_allow_list(sqlite_sso_gateway_factory: Callable[..., SsoGateway]) -> None:
    gw = sqlite_sso_gateway_factory(
        oidc={
            "allowed_email_domains": ["example.co.jp"],
        }
    )
    with gw.client() as client:
        page = gw.login(client, SATO)
        assert page.status_code == 403
        assert "domain" in page.text
    assert gw.last_event("auth.login_failed").detail["reason"] == "domain_not_allowed"


@pytest.mark.parametrize(
    ("next_path", "lands_on"),
    [
        ("/keys?x=1", "/keys"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_after_login_only_same_origin_relative_paths(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway], next_path: str, lands_on: str
) -> None:
    gw = sqlite_sso_gateway_factory()
    with gw.client() as client:
        response = gw.login(client, SATO, next_path)
        assert response.url.host == "127.0.0.1"
        assert response.url.path == lands_on


def _to_callback(gw: SsoGateway, client: httpx.Client, email: str = SATO) -> httpx.URL:
    """Walk the flow up to (not into) the gateway's callback; return the callback URL."""
    response = client.get("/auth/login", params={"login_hint": email}, follow_redirects=False)
    idp = client.get(response.headers["location"], follow_redirects=False)
    return httpx.URL(idp.headers["location"])


def test_replayed_state_is_refused(sqlite_sso_gateway_factory: Callable[..., SsoGateway]) -> None:
    gw = sqlite_sso_gateway_factory()
    with gw.client() as client:
        callback = _to_callback(gw, client)
        login_cookie = client.cookies.get(LOGIN_COOKIE)
        assert client.get(str(callback)).status_code == 200
        # An attacker who captured the callback URL and the login cookie replays both.
        client.cookies.set(LOGIN_COOKIE, login_cookie, path="/auth")
        replay = client.get(str(callback))
        assert replay.status_code == 401
        assert replay.json()["error"]["code"] == "login_failed"
    assert gw.last_event("auth.login_failed").detail["reason"] == "state_replayed"


def test_state_must_match_the_browser_that_started_the_login(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_sso_gateway_factory()
    with gw.client() as victim, gw.client() as attacker:
        callback = _to_callback(gw, attacker)  # login CSRF: the attacker's code and state
        _to_callback(gw, victim)
        assert victim.get(str(callback)).status_code == 401
        assert gw.last_event("auth.login_failed").detail["reason"] == "state_mismatch"
        fresh = httpx.get(str(callback))  # no login cookie at all
        assert fresh.status_code == 401
    assert gw.last_event("auth.login_failed").detail["reason"] == "no_login_in_progress"


def test_idp_error_is_a_clear_refusal(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_sso_gateway_factory()
    with gw.client() as client:
        page = client.get("/auth/login")
        ticket = page.text.split('name="ticket" value="')[1].split('"')[0]
        denied = submit_form(client, page, ticket=ticket, action="cancel", user=SATO)
        assert denied.status_code == 401
    event = gw.last_event("auth.login_failed")
    assert (event.detail["reason"], event.detail["error"]) == ("idp_error", "access_denied")


def _age_session(gw: SsoGateway, *, created: timedelta, seen: timedelta) -> None:
    now = datetime.now(UTC)
    engine = make_sync_engine(gw.settings.database.url)
    with engine.begin() as conn:
        conn.execute(update(WebSession).values(created_at=now - created, last_seen_at=now - seen))
    engine.dispose()


@pytest.mark.parametrize(
    ("created", "seen", "alive"),
    [
        (timedelta(minutes=5), timedelta(minutes=5), True),
        (timedelta(minutes=50), timedelta(minutes=31), False),  # idle timeout: 30 min
        (timedelta(hours=9), timedelta(minutes=1), False),  # absolute timeout: 8 h
    ],
)
def test_idle_and_absolute_timeouts(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
    created: timedelta,
    seen: timedelta,
    alive: bool,
) -> None:
    gw = sqlite_sso_gateway_factory(
        oidc={"session_idle_seconds": 1800, "session_absolute_seconds": 8 * 3600}
    )
    with gw.client() as client:
        gw.login(client, SATO)
        _age_session(gw, created=created, seen=seen)
        assert (client.get("/api/me").status_code == 200) is alive
    if not alive:
        assert gw.last_event("auth.failed").detail["reason"] == "session timed out"


def test_activity_extends_the_idle_window(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_sso_gateway_factory(oidc={"session_idle_seconds": 1800})
    with gw.client() as client:
        gw.login(client, SATO)
        _age_session(gw, created=timedelta(minutes=40), seen=timedelta(minutes=20))
        assert client.get("/api/me").status_code == 200
        engine = make_sync_engine(gw.settings.database.url)
        with engine.connect() as conn:
            seen = conn.execute(select(WebSession.last_seen_at)).scalar_one()
        engine.dispose()
    seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
    assert datetime.now(UTC) - seen < timedelta(minutes=1)


def test_forged_session_cookie_is_refused(sso_gateway: SsoGateway) -> None:
    forged = httpx.get(f"{sso_gateway.base_url}/api/me", cookies={SESSION_COOKIE: "abc.def.ghi"})
    assert forged.status_code == 401
    assert sso_gateway.last_event("auth.failed").detail["reason"] == "bad or expired session cookie"


def test_pages_send_browsers_to_sign_in_and_back(sso_gateway: SsoGateway) -> None:
    with sso_gateway.client() as client:
        login = client.get("/keys", headers={"accept": "text/html"})
        assert login.url.path == "/login"
        assert query_of(login.url)["next"] == "/keys"
        assert 'href="/auth/login?next=/keys"' in login.text
        keys = client.get("/auth/login", params={"next": "/keys", "login_hint": SATO})
        assert keys.url.path == "/keys"
        assert "API キー" in keys.text
        assert keys.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in keys.headers["content-security-policy"]
