"""API keys for programmatic use: created by signed-in users (JSON API and page), stored
hashed, shown once, carrying department and role; revoked and expired keys are refused and
audited; every cookie-authenticated change needs the CSRF token."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from gateway.identity.models import ApiKey
from gateway.kernel.db import make_sync_engine
from tests.fixtures.oidc import SsoGateway

SATO = "sato@demo.kakehashi.example"


def bearer(gw: SsoGateway, token: str, path: str = "/api/me") -> httpx.Response:
    return httpx.get(f"{gw.base_url}{path}", headers={"authorization": f"Bearer {token}"})


def test_key_lifecycle(sso_gateway: SsoGateway) -> None:
    gw = sso_gateway
    with gw.client() as client:
        gw.login(client, SATO)
        created = client.post(
            "/api/keys",
            json={"name": "VS Code", "expires_in_days": 30},
            headers={"x-csrf-token": gw.csrf(client)},
        )
        assert created.status_code == 201
        new = created.json()
        token = new["key"]
        assert token.startswith("kk_")
        assert new["prefix"] == token[:10]
        assert (new["department"], new["role"], new["status"]) == ("営業部", "staff", "active")
        expires = datetime.fromisoformat(new["expires_at"])
        assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
        listed = client.get("/api/keys").json()
        assert [k["id"] for k in listed] == [new["id"]]
        assert "key" not in listed[0]

        me = bearer(gw, token).json()
        assert (me["auth_method"], me["department"], me["key_id"]) == (
            "api_key",
            "営業部",
            new["id"],
        )
        assert bearer(gw, token, "/v1/models").status_code == 200

        engine = make_sync_engine(gw.settings.database.url)
        with engine.connect() as conn:
            row = conn.execute(select(ApiKey.secret_hash, ApiKey.name)).one()
        engine.dispose()
        assert row == (hashlib.sha256(token.encode()).hexdigest(), "VS Code")

        revoked = client.delete(f"/api/keys/{new['id']}", headers={"x-csrf-token": gw.csrf(client)})
        assert revoked.json()["status"] == "revoked"
    refused = bearer(gw, token)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"
    assert gw.last_event("auth.failed").detail["reason"] == "unknown, revoked or expired key"
    assert gw.last_event("key.created").detail["key_id"] == new["id"]
    assert gw.last_event("key.revoked").user_email == SATO


def test_expired_key_is_refused_and_audited(sso_gateway: SsoGateway) -> None:
    token = sso_gateway.make_key(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    response = bearer(sso_gateway, token)
    assert response.status_code == 401
    event = sso_gateway.last_event("auth.failed")
    assert (event.outcome, event.status_code, event.detail["path"]) == ("refused", 401, "/api/me")


def test_an_api_key_cannot_mint_more_keys(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_sso_gateway_factory()
    token = gw.make_key()
    response = httpx.post(
        f"{gw.base_url}/api/keys", json={"name": "x"}, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert (
        gw.last_event("auth.forbidden").detail["reason"] == "key creation needs a browser sign-in"
    )


def test_keys_page_creates_shows_once_and_revokes(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_sso_gateway_factory()
    with gw.client() as client:
        page = gw.login(client, SATO, "/keys")
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert token is not None
        assert token.group(1) == gw.csrf(client)
        created = client.post(
            "/keys", data={"csrf_token": token.group(1), "name": "Excel", "expires_in_days": ""}
        )
        assert created.status_code == 201
        secret = re.search(r'id="new-key-value">(kk_[^<]+)<', created.text)
        assert secret is not None
        assert bearer(gw, secret.group(1)).status_code == 200
        again = client.get("/keys")
        assert secret.group(1) not in again.text  # shown once
        key_id = re.search(r'data-key-id="(\d+)"', again.text)
        assert key_id is not None
        after = client.post(f"/keys/{key_id.group(1)}/revoke", data={"csrf_token": token.group(1)})
        assert after.url.path == "/keys"
        assert "失効" in after.text
    assert bearer(gw, secret.group(1)).status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/keys", {"data": {"name": "no token"}}),
        ("POST", "/keys", {"data": {"name": "wrong", "csrf_token": "0" * 64}}),
        ("POST", "/api/keys", {"json": {"name": "no header"}}),
        ("DELETE", "/api/keys/1", {}),
    ],
)
def test_cookie_requests_that_change_state_need_the_csrf_token(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
    method: str,
    path: str,
    kwargs: dict[str, object],
) -> None:
    gw = sqlite_sso_gateway_factory()
    with gw.client() as client:
        gw.login(client, SATO)
        response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 403
        assert client.get("/api/keys").json() == []
    event = gw.last_event("auth.forbidden")
    assert str(event.detail["reason"]).startswith("csrf: ")


# "null" is what a sandboxed iframe, a data: URL or a cross-origin redirect sends: never ours.
@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_cross_origin_post_is_refused_even_with_a_token(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway], origin: str
) -> None:
    gw = sqlite_sso_gateway_factory()
    with gw.client() as client:
        gw.login(client, SATO)
        response = client.post(
            "/api/keys",
            json={"name": "x"},
            headers={"x-csrf-token": gw.csrf(client), "origin": origin},
        )
        assert response.status_code == 403
        assert client.get("/api/keys").json() == []
    assert gw.last_event("auth.forbidden").detail["reason"] == "csrf: cross-origin request"


@pytest.mark.parametrize("days", ["0", "400", "abc"])
def test_bad_expiry_is_a_clear_error(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway], days: str
) -> None:
    gw = sqlite_sso_gateway_factory()
    with gw.client() as client:
        gw.login(client, SATO)
        form = client.post("/keys", data={"csrf_token": gw.csrf(client), "expires_in_days": days})
        assert form.status_code == 400
        api = client.post(
            "/api/keys", json={"expires_in_days": days}, headers={"x-csrf-token": gw.csrf(client)}
        )
        assert api.status_code == 400
        assert "expires_in_days" in api.json()["error"]["message"]
        assert client.get("/api/keys").json() == []
