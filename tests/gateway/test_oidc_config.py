"""The ``oidc`` settings, the claim-to-department mapping, the redirect guard and cookie flags,
and the development IdP's refusal to run in production (settings, app factory, CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from gateway.demo.data import DEMO_OIDC_MAPPING, demo_settings
from gateway.demo.devidp import DevIdp
from gateway.http.app import create_app
from gateway.http.routes.auth import safe_next
from gateway.identity.oidc import Assignment, admission_problem, assign
from gateway.identity.sessions import cookie_secure
from gateway.kernel.errors import ConfigError
from gateway.kernel.principal import Role
from gateway.kernel.settings import OidcSettings, Settings, load_settings

PROD_SECRET = "a-long-production-secret-for-tests-only-0123456789"

MAPPING = OidcSettings(
    mapping=[
        {"group": "sales", "department": "営業部"},
        {"group": "general-affairs", "department": "総務部"},
        {"group": "sales-managers", "role": "manager"},
        {"group": "it-admins", "department": "情報システム部", "role": "admin"},
        {"group": "Finance", "claim": "department", "department": "経理部"},
    ],
    allowed_email_domains=["@Example.co.jp"],
)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"groups": ["sales"]}, Assignment("営業部", Role.STAFF)),
        ({"groups": ["sales", "sales-managers"]}, Assignment("営業部", Role.MANAGER)),
        ({"groups": ["sales-managers", "it-admins"]}, Assignment("情報システム部", Role.ADMIN)),
        ({"groups": "general-affairs"}, Assignment("総務部", Role.STAFF)),
        ({"groups": ["general-affairs", "sales"]}, Assignment("営業部", Role.STAFF)),  # rule order
        ({"department": "Finance"}, Assignment("経理部", Role.STAFF)),
        ({"groups": ["sales-managers"]}, None),  # a role but no department
        ({"groups": ["contractors"]}, None),
        ({"groups": None}, None),
        ({}, None),
    ],
)
def test_claims_map_to_department_and_role(
    claims: dict[str, Any], expected: Assignment | None
) -> None:
    assert assign(claims, MAPPING) == expected


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        ({"email": "Sato@Example.co.jp"}, None),
        ({"email": "sato@example.co.jp", "email_verified": True}, None),
        ({"email": "sato@example.co.jp", "email_verified": False}, "email_unverified"),
        ({"email": "sato@gmail.com"}, "domain_not_allowed"),
        ({"email": "sato@sub.example.co.jp"}, "domain_not_allowed"),
        ({"name": "no mail"}, "no_email"),
    ],
)
def test_admission(claims: dict[str, Any], problem: str | None) -> None:
    assert admission_problem(claims, MAPPING) == problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "/"),
        ("", "/"),
        ("/keys", "/keys"),
        ("/keys?tab=all#x", "/keys?tab=all#x"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("evil.example", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_redirect_after_login_is_same_origin_only(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


def _request(url: str) -> Request:
    scheme, rest = url.split("://")
    host, _, port = rest.partition(":")
    return Request(
        {
            "type": "http",
            "scheme": scheme,
            "method": "GET",
            "path": "/",
            "query_string": b"",
            "headers": [(b"host", rest.encode())],
            "server": (host, int(port or 443)),
        }
    )


@pytest.mark.parametrize(
    ("mode", "url", "secure"),
    [
        ("production", "https://ai.example.co.jp", True),
        ("production", "http://127.0.0.1:8080", True),
        ("demo", "http://127.0.0.1:8080", False),
        ("test", "http://127.0.0.1:8080", False),
        ("demo", "http://localhost:8080", True),
        ("demo", "http://192.168.0.5:8080", True),
    ],
)
def test_cookies_are_secure_except_on_local_http_in_demo_and_test(
    mode: str, url: str, secure: bool
) -> None:
    settings = Settings(mode=mode, secret_key=PROD_SECRET)
    assert cookie_secure(settings, _request(url)) is secure


def test_settings_refuse_the_dev_idp_in_production() -> None:
    with pytest.raises(ValueError, match=r"oidc\.dev_idp"):
        Settings(mode="production", secret_key=PROD_SECRET, oidc={"dev_idp": True})


def test_app_factory_refuses_the_dev_idp_in_production_even_if_settings_were_changed() -> None:
    settings = Settings(mode="test", oidc={"dev_idp": True})
    settings.mode = "production"
    with pytest.raises(ConfigError, match="development IdP"):
        create_app(settings)
    with pytest.raises(ConfigError, match="demo or test"):
        DevIdp(settings=settings, base_url="https://ai.example.co.jp")


def test_serve_refuses_a_production_config_with_the_dev_idp(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("mode: production\noidc:\n  dev_idp: true\n", "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "KAKEHASHI_SECRET_KEY": PROD_SECRET},
    )
    assert result.returncode == 2
    assert "oidc.dev_idp" in result.stderr
    assert "production" in result.stderr


def test_the_client_secret_never_comes_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("mode: test\noidc:\n  issuer: https://idp.example\n  client_secret: x\n")
    with pytest.raises(ConfigError, match="KAKEHASHI_OIDC__CLIENT_SECRET"):
        load_settings(config)
    config.write_text("mode: test\noidc:\n  issuer: https://idp.example\n  client_id: kk\n")
    monkeypatch.setenv("KAKEHASHI_OIDC__CLIENT_SECRET", "from-env")
    settings = load_settings(config)
    assert settings.oidc.client_secret is not None
    assert settings.oidc.client_secret.get_secret_value() == "from-env"
    assert "from-env" not in repr(settings)


@pytest.mark.parametrize(
    ("oidc", "message"),
    [
        ({"scopes": ["email"]}, "openid"),
        ({"mapping": [{"group": "sales"}]}, "department or a role"),
        ({"mapping": [{"group": "x", "role": "boss"}]}, "role"),
        ({"issuer": "idp.example"}, "issuer"),
    ],
)
def test_bad_oidc_settings_name_the_problem(oidc: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(mode="test", oidc=oidc)


def test_demo_signs_in_through_the_dev_idp(tmp_path: Path) -> None:
    settings = demo_settings(port=8123, data_dir=tmp_path)
    assert settings.oidc.dev_idp
    assert settings.mode == "demo"
    assert [r.model_dump(exclude_none=True) for r in settings.oidc.mapping] == DEMO_OIDC_MAPPING
    idp = DevIdp(settings=settings, base_url="http://127.0.0.1:8123")
    assert idp.issuer == "http://127.0.0.1:8123/dev-idp"
    for user in idp.users.values():
        expected = None if user.email.endswith("partner.example") else Role
        mapped = assign({"groups": list(user.groups)}, settings.oidc)
        assert (mapped is None) == (expected is None), user
