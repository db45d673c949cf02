"""ID-token validation against a programmable IdP that runs the real protocol but signs what
each test asks for: forged signature, wrong audience or issuer, expired, replayed nonce,
alg=none; plus key rotation and PKCE enforcement at the built-in development IdP."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from tests.fixtures.oidc import RogueIdp, SsoGateway, query_of

SATO = "sato@demo.kakehashi.example"


@pytest.fixture
def rogue_gateway(
    rogue_idp: RogueIdp, sqlite_sso_gateway_factory: Callable[..., SsoGateway]
) -> SsoGateway:
    return sqlite_sso_gateway_factory(oidc={"dev_idp": False, **rogue_idp.oidc_settings()})


def _login(gw: SsoGateway) -> tuple[int, str]:
    with gw.client() as client:
        response = client.get("/auth/login", params={"next": "/api/me"})
        reason = ""
        if response.status_code != 200:
            reason = gw.last_event("auth.login_failed").detail["reason"]
        return response.status_code, reason


def test_a_well_formed_token_signs_in(rogue_idp: RogueIdp, rogue_gateway: SsoGateway) -> None:
    rogue_idp.mint = lambda claims, _nonce: rogue_idp.sign(claims)
    assert _login(rogue_gateway) == (200, "")


def at_hash(access_token: str) -> str:
    """OIDC Core §3.2.2.9: the left half of the SHA-256 of the token, base64url without padding."""
    half = hashlib.sha256(access_token.encode()).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()


def test_a_matching_at_hash_signs_in(rogue_idp: RogueIdp, rogue_gateway: SsoGateway) -> None:
    rogue_idp.mint = lambda claims, _nonce: rogue_idp.sign({**claims, "at_hash": at_hash("at")})
    assert _login(rogue_gateway) == (200, "")


def _unix(offset: int) -> int:
    return int(time.time()) + offset


ATTACKER = RSAKey.generate_key(2048, {"kid": "good"})  # same kid as the IdP's real key

FORGERIES: dict[str, tuple[Callable[[RogueIdp, dict[str, Any], str], str], str]] = {
    "forged signature": (lambda idp, c, _n: idp.sign(c, key=ATTACKER), "bad_signature"),
    "wrong audience": (lambda idp, c, _n: idp.sign({**c, "aud": "another-app"}), "bad_claim_aud"),
    "wrong issuer": (
        lambda idp, c, _n: idp.sign({**c, "iss": "https://evil.example"}),
        "bad_claim_iss",
    ),
    "expired": (
        lambda idp, c, _n: idp.sign({**c, "iat": _unix(-7200), "exp": _unix(-3600)}),
        "token_expired",
    ),
    "missing nonce": (
        lambda idp, c, _n: idp.sign({k: v for k, v in c.items() if k != "nonce"}),
        "bad_claim_nonce",
    ),
    # The rogue IdP's access token is "at"; this at_hash belongs to another one (OIDC Core
    # §3.1.3.8: a token substituted in the exchange).
    "wrong at_hash": (
        lambda idp, c, _n: idp.sign({**c, "at_hash": at_hash("another-access-token")}),
        "bad_claim_at_hash",
    ),
    "unknown key id": (
        lambda idp, c, _n: idp.sign(c, key=RSAKey.generate_key(2048, {"kid": "other"})),
        "invalid_token",
    ),
}


@pytest.mark.parametrize("case", list(FORGERIES))
def test_untrustworthy_id_tokens_are_refused_and_audited(
    rogue_idp: RogueIdp, rogue_gateway: SsoGateway, case: str
) -> None:
    forge, reason = FORGERIES[case]
    rogue_idp.mint = lambda claims, nonce: forge(rogue_idp, claims, nonce)
    assert _login(rogue_gateway) == (401, reason)
    event = rogue_gateway.last_event("auth.login_failed")
    assert (event.outcome, event.status_code, event.error_code) == ("refused", 401, "login_failed")
    with rogue_gateway.client() as client:
        assert client.get("/api/me").status_code == 401


def test_unsigned_token_is_refused(rogue_idp: RogueIdp, rogue_gateway: SsoGateway) -> None:
    import json

    def unsigned(claims: dict[str, Any], _nonce: str) -> str:
        part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
        return f"{part({'alg': 'none'})}.{part(claims)}."

    rogue_idp.mint = unsigned
    assert _login(rogue_gateway) == (401, "invalid_token")


def test_replayed_nonce_is_refused(rogue_idp: RogueIdp, rogue_gateway: SsoGateway) -> None:
    """A valid, signed ID token captured from an earlier login is presented again."""
    captured: list[str] = []

    def honest(claims: dict[str, Any], _nonce: str) -> str:
        captured.append(rogue_idp.sign(claims))
        return captured[-1]

    rogue_idp.mint = honest
    assert _login(rogue_gateway) == (200, "")
    rogue_idp.mint = lambda _claims, _nonce: captured[0]
    assert _login(rogue_gateway) == (401, "bad_claim_nonce")


def test_key_rotation_at_the_idp_is_followed(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_sso_gateway_factory()
    assert gw.app is not None
    dev_idp = gw.app.state.dev_idp
    with gw.client() as client:
        assert gw.login(client, SATO).status_code == 200
    old_kid = dev_idp.signing_key.kid
    new_kid = dev_idp.rotate_keys()
    assert new_kid != old_kid
    with gw.client() as client:
        me = gw.login(client, SATO)
        assert me.status_code == 200, me.text
        jwks = client.get("/dev-idp/jwks").json()
    assert {k["kid"] for k in jwks["keys"]} == {old_kid, new_kid}


def test_dev_idp_requires_pkce(sqlite_sso_gateway_factory: Callable[..., SsoGateway]) -> None:
    gw = sqlite_sso_gateway_factory()
    with gw.client() as client:
        start = client.get("/auth/login", params={"login_hint": SATO}, follow_redirects=False)
        params = query_of(start.headers["location"])
        del params["code_challenge"], params["code_challenge_method"]
        refused = client.get("/dev-idp/authorize", params=params, follow_redirects=False)
        assert refused.status_code == 302
        error = query_of(refused.headers["location"])
        assert (error["error"], error["state"]) == ("invalid_request", params["state"])


def test_dev_idp_codes_work_once_and_only_with_the_verifier(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_sso_gateway_factory()
    assert gw.app is not None
    dev_idp = gw.app.state.dev_idp
    auth = (dev_idp.client.client_id, dev_idp.client.client_secret)
    with gw.client() as client:
        start = client.get("/auth/login", params={"login_hint": SATO}, follow_redirects=False)
        back = client.get(start.headers["location"], follow_redirects=False)
        code = query_of(back.headers["location"])["code"]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"{gw.base_url}/auth/callback",
            "code_verifier": "x" * 64,
        }
        wrong = client.post("/dev-idp/token", data=form, auth=auth)
        assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
        assert client.get(back.headers["location"]).status_code == 200  # the real exchange
        again = client.post("/dev-idp/token", data=form, auth=auth)
        assert again.json()["error"] == "invalid_grant"
