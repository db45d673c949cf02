"""docs/sso.md against what it describes: every YAML example is a valid ``oidc:`` section whose
rules grant what the text says, and the Keycloak steps match the realm that docker-compose.yml
imports (client, redirect and logout URIs, PKCE, the groups mapper) and deploy/kakehashi.yaml."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.identity.oidc import assign
from gateway.kernel.settings import OidcSettings

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "sso.md").read_text(encoding="utf-8")
REALM: dict[str, Any] = json.loads(
    (ROOT / "deploy" / "keycloak" / "kakehashi-realm.json").read_text(encoding="utf-8")
)
EXAMPLES = [
    yaml.safe_load(block)["oidc"]
    for block in re.findall(r"```yaml\n(.*?)```", DOC, flags=re.S)
    if "oidc:" in block
]


def _keycloak_section() -> str:
    return DOC.split("## Keycloak", 1)[1].split("\n## ", 1)[0]


def test_every_oidc_example_is_a_valid_configuration() -> None:
    assert len(EXAMPLES) == 5  # Keycloak, Entra (A) and (B), Google, Okta
    for example in EXAMPLES:
        OidcSettings.model_validate(example)


def test_every_setting_the_doc_names_exists() -> None:
    named = set(re.findall(r"^\| `([a-z_]+)`", DOC, flags=re.M))
    assert named >= {"issuer", "groups_claim", "mapping", "allowed_email_domains"}
    assert named <= set(OidcSettings.model_fields)


def test_the_keycloak_steps_match_the_realm_and_the_compose_config() -> None:
    section = _keycloak_section()
    [client] = REALM["clients"]
    [mapper] = client["protocolMappers"]
    assert f"Client ID `{client['clientId']}`" in section
    assert f"レルム** `{REALM['realm']}`" in section
    assert client["publicClient"] is False
    assert "confidential" in section
    assert client["directAccessGrantsEnabled"] is False
    assert "Direct access grants **OFF**" in section
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    assert "**S256**" in section
    assert [u.rsplit("/", 2)[-2:] for u in client["redirectUris"]] == [["auth", "callback"]]
    assert "/auth/callback" in section
    assert client["attributes"]["post.logout.redirect.uris"].endswith("/auth/logged-out")
    assert "/auth/logged-out" in section
    assert mapper["protocolMapper"] == "oidc-group-membership-mapper"
    assert mapper["config"]["claim.name"] == "groups"
    assert mapper["config"]["full.path"] == "false"
    assert "**Full group path OFF**" in section
    assert mapper["config"]["id.token.claim"] == "true"
    for group in REALM["groups"]:
        assert f"`{group['name']}`" in section

    documented = EXAMPLES[0]
    deployed = yaml.safe_load((ROOT / "deploy" / "kakehashi.yaml").read_text("utf-8"))["oidc"]
    assert documented["mapping"] == deployed["mapping"]
    assert documented["client_id"] == deployed["client_id"] == client["clientId"]
    assert documented["groups_claim"] == deployed["groups_claim"] == mapper["config"]["claim.name"]


@pytest.mark.parametrize(
    ("example", "claims", "expected"),
    [
        (1, {"roles": ["dept.sales", "role.manager"]}, ("営業部", "manager")),
        (1, {"groups": ["dept.sales"]}, None),  # app roles arrive in `roles`, not `groups`
        (3, {"hd": "example.co.jp", "email": "sato@example.co.jp"}, ("営業部", "staff")),
        (3, {"hd": "example.co.jp", "email": "tanaka@example.co.jp"}, ("情報システム部", "admin")),
        (4, {"groups": ["kakehashi-sales", "kakehashi-managers"]}, ("営業部", "manager")),
    ],
)
def test_the_examples_grant_what_the_text_says(
    example: int, claims: dict[str, Any], expected: tuple[str, str] | None
) -> None:
    found = assign(claims, OidcSettings.model_validate(EXAMPLES[example]))
    assert (None if found is None else (found.department, found.role.value)) == expected
