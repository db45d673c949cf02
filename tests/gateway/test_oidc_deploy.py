"""docker-compose.yml and the Keycloak realm it imports (Docker does not run in CI): the YAML
parses, the services are wired to each other, the gateway's config file is valid in
production mode, and the realm's users, groups and client agree with that config."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.identity.oidc import assign
from gateway.kernel.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def realm() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (ROOT / "deploy/keycloak/kakehashi-realm.json").read_text("utf-8")
    )
    return data


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("KAKEHASHI_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("KAKEHASHI_OIDC__CLIENT_SECRET", "from-the-environment")
    return load_settings(ROOT / "deploy/kakehashi.yaml")


def test_compose_runs_gateway_postgres_redis_and_keycloak(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"migrate", "gateway", "nginx", "postgres", "redis", "keycloak"}
    gateway = services["gateway"]
    # PostgreSQL through the one-shot migration that waits for it (tests/deploy/test_compose.py).
    assert set(gateway["depends_on"]) == {"migrate", "redis", "keycloak"}
    assert set(services["migrate"]["depends_on"]) == {"postgres"}
    env = gateway["environment"]
    assert env["KAKEHASHI_CONFIG"] == "/etc/kakehashi/kakehashi.yaml"
    assert "./deploy/kakehashi.yaml:/etc/kakehashi/kakehashi.yaml:ro" in gateway["volumes"]
    assert "@postgres:5432/" in env["KAKEHASHI_DATABASE__URL"]
    # Secrets are required from the caller's environment, never written in the file.
    for name in ("KAKEHASHI_SECRET_KEY", "KAKEHASHI_OIDC__CLIENT_SECRET"):
        assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", env[name]), name
    keycloak = services["keycloak"]
    assert "--import-realm" in keycloak["command"]
    assert "./deploy/keycloak:/opt/keycloak/data/import:ro" in keycloak["volumes"]
    assert keycloak["environment"]["KAKEHASHI_OIDC_CLIENT_SECRET"].startswith("${")


def test_gateway_config_is_valid_for_production(
    settings: Settings, compose: dict[str, Any]
) -> None:
    assert settings.mode == "production"
    assert not settings.oidc.dev_idp
    assert settings.oidc.client_secret is not None
    assert settings.redis.url == "redis://redis:6379/0"
    hostname = next(a for a in compose["services"]["keycloak"]["command"] if "--hostname=" in a)
    assert settings.oidc.issuer == hostname.split("=", 1)[1] + "/realms/kakehashi"


def test_realm_client_matches_the_gateway(settings: Settings, realm: dict[str, Any]) -> None:
    [client] = realm["clients"]
    assert client["clientId"] == settings.oidc.client_id
    assert client["publicClient"] is False
    assert client["standardFlowEnabled"] is True
    assert client["implicitFlowEnabled"] is False
    assert client["directAccessGrantsEnabled"] is False
    assert client["secret"] == "${KAKEHASHI_OIDC_CLIENT_SECRET}"
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    assert client["redirectUris"] == [f"{settings.server.public_url}/auth/callback"]
    assert client["attributes"]["post.logout.redirect.uris"] == (
        f"{settings.server.public_url}/auth/logged-out"
    )
    [mapper] = client["protocolMappers"]
    assert mapper["protocolMapper"] == "oidc-group-membership-mapper"
    assert mapper["config"]["claim.name"] == settings.oidc.groups_claim
    assert mapper["config"]["id.token.claim"] == "true"
    assert mapper["config"]["full.path"] == "false"


def test_realm_users_map_to_departments_and_roles(
    settings: Settings, realm: dict[str, Any]
) -> None:
    groups = {g["name"] for g in realm["groups"]}
    assert {"sales", "general-affairs", "it-admins"} <= groups
    mapped = {}
    for user in realm["users"]:
        assert {g.lstrip("/") for g in user["groups"]} <= groups
        assert user["credentials"][0]["temporary"] is True
        claims = {"groups": [g.lstrip("/") for g in user["groups"]]}
        assignment = assign(claims, settings.oidc)
        mapped[user["username"]] = (
            (assignment.department, assignment.role.value) if assignment else None
        )
    assert mapped == {
        "sato": ("営業部", "staff"),
        "suzuki": ("営業部", "manager"),
        "takahashi": ("総務部", "staff"),
        "tanaka": ("情報システム部", "admin"),
        "gaibu": None,  # shows the "ask IT to add you" page
    }
    domains = {u["email"].split("@")[1] for u in realm["users"]}
    assert domains <= set(settings.oidc.allowed_email_domains)
