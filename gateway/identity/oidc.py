"""OpenID Connect relying party: discovery, authorization code + PKCE, ID-token validation,
RP-initiated logout, and the mapping from IdP claims to a department and a role.

The only module on the login path that imports authlib and joserfc (the development IdP in
``gateway.demo.devidp`` is the other). It speaks the protocol and returns small frozen results or
raises ``OidcRefused`` with a stable reason; it knows nothing about cookies, the database or
routes (``gateway.identity.sessions`` and ``gateway.http.routes.auth`` own those).
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet

from gateway.kernel.errors import LoginFailed
from gateway.kernel.principal import Role
from gateway.kernel.settings import OidcSettings

# Asymmetric algorithms only: "none" and HMAC (keyed with the client secret) are refused.
_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_CLOCK_SKEW_S = 60
_JWKS_REFRESH_MIN_S = 30.0  # a forced JWKS refresh (unknown kid) at most this often


class OidcRefused(LoginFailed):
    """The IdP's answer cannot be trusted; ``reason`` is a stable code for the audit log."""

    def __init__(self, reason: str, detail: str = "") -> None:
        en = f"{reason}: {detail}" if detail else reason
        super().__init__("社内アカウントの応答を受け付けられませんでした。", en)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class LoginStart:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str | None
    name: str
    claims: dict[str, Any] = field(repr=False)
    id_token: str = field(repr=False)


@dataclass(frozen=True)
class Assignment:
    department: str
    role: Role


class OidcClient:
    """One IdP (one issuer and client registration), with cached discovery and keys."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str | None,
        scopes: list[str],
        timeout_s: float = 10.0,
        cache_seconds: int = 3600,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._scopes = scopes
        self._cache_seconds = cache_seconds
        self._http = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._jwks: KeySet | None = None
        self._jwks_forced_at = -_JWKS_REFRESH_MIN_S

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url, headers={"accept": "application/json"})
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcRefused("idp_unreachable", f"{url}: {type(exc).__name__}") from exc
        if not isinstance(body, dict):
            raise OidcRefused("idp_bad_response", url)
        return body

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (OpenID Connect Discovery 1.0 §4), cached."""
        fresh = time.monotonic() - self._metadata_at < self._cache_seconds
        if self._metadata is not None and fresh:
            return self._metadata
        body = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        # Discovery §4.3: the issuer in the document MUST be identical to the one configured.
        if str(body.get("issuer", "")).rstrip("/") != self.issuer:
            raise OidcRefused("issuer_mismatch", str(body.get("issuer")))
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(body.get(name), str):
                raise OidcRefused("idp_bad_response", f"discovery lacks {name}")
        self._metadata, self._metadata_at = body, time.monotonic()
        return body

    async def _keys(self, *, force: bool = False) -> KeySet:
        if self._jwks is not None and not force:
            return self._jwks
        body = await self._get_json(str((await self.metadata())["jwks_uri"]))
        try:
            self._jwks = KeySet.import_key_set(body)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise OidcRefused("idp_bad_response", "jwks") from exc
        return self._jwks

    async def begin(self, *, redirect_uri: str, login_hint: str | None = None) -> LoginStart:
        """The authorization request URL with fresh ``state``, ``nonce`` and PKCE (S256)."""
        metadata = await self.metadata()
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        extra: dict[str, str] = {}
        if login_hint:
            extra["login_hint"] = login_hint
        url = prepare_grant_uri(
            metadata["authorization_endpoint"],
            client_id=self.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=" ".join(self._scopes),
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
            **extra,
        )
        return LoginStart(url=url, state=state, nonce=nonce, code_verifier=verifier)

    async def finish(
        self, *, code: str, redirect_uri: str, nonce: str, code_verifier: str
    ) -> Identity:
        """Exchange the code (with the PKCE verifier) and validate the ID token."""
        metadata = await self.metadata()
        token = await self._exchange(metadata, code, redirect_uri, code_verifier)
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcRefused("no_id_token")
        claims = await self.validate_id_token(
            id_token, nonce=nonce, access_token=token.get("access_token")
        )
        email = claims.get("email")
        return Identity(
            subject=str(claims["sub"]),
            email=str(email) if email else None,
            name=str(claims.get("name") or ""),
            claims=claims,
            id_token=id_token,
        )

    async def _exchange(
        self, metadata: dict[str, Any], code: str, redirect_uri: str, verifier: str
    ) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"accept": "application/json"}
        methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if self._secret is None:
            form["client_id"] = self.client_id
        elif "client_secret_basic" in methods:
            headers["authorization"] = encode_client_secret_basic_header(
                self.client_id, self._secret
            )
        else:
            form.update(client_id=self.client_id, client_secret=self._secret)
        try:
            response = await self._http.post(metadata["token_endpoint"], data=form, headers=headers)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcRefused("idp_unreachable", f"token endpoint: {type(exc).__name__}") from exc
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise OidcRefused("token_exchange_failed", str(error or response.status_code))
        return body

    async def validate_id_token(
        self, id_token: str, *, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        """Signature (JWKS, refreshed once on an unknown ``kid`` for key rotation), then
        ``iss``, ``aud``, ``exp``, ``iat``, ``nonce``, ``azp`` and ``at_hash`` (OIDC Core §3.1.3.7)."""
        metadata = await self.metadata()
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in offered if a in _ALGORITHMS]
        try:
            token = await self._decode(id_token, algorithms)
            claims = CodeIDToken(
                token.claims,
                token.header,
                {
                    "iss": {"essential": True, "value": self.issuer},
                    "aud": {"essential": True, "value": self.client_id},
                    "exp": {"essential": True},
                    "sub": {"essential": True},
                },
                {"nonce": nonce, "client_id": self.client_id, "access_token": access_token},
            )
            claims.validate(leeway=_CLOCK_SKEW_S)
        except ExpiredTokenError as exc:
            raise OidcRefused("token_expired") from exc
        except ClaimError as exc:
            raise OidcRefused(f"bad_claim_{exc.claim}", exc.description or "") from exc
        except BadSignatureError as exc:
            raise OidcRefused("bad_signature") from exc
        except JoseError as exc:
            raise OidcRefused("invalid_token", f"{type(exc).__name__}: {exc.description}") from exc
        return dict(claims)

    async def _decode(self, id_token: str, algorithms: list[str]) -> jwt.Token:
        keys = await self._keys()
        try:
            return jwt.decode(id_token, keys, algorithms=algorithms)
        except InvalidKeyIdError:
            # The IdP rotated its keys: fetch the set again, but not on every forged kid.
            if time.monotonic() - self._jwks_forced_at < _JWKS_REFRESH_MIN_S:
                raise
            self._jwks_forced_at = time.monotonic()
            return jwt.decode(id_token, await self._keys(force=True), algorithms=algorithms)

    async def logout_url(
        self, *, id_token_hint: str | None, post_logout_redirect_uri: str
    ) -> str | None:
        """RP-Initiated Logout 1.0: the IdP's end-session URL, or None if it offers none."""
        try:
            endpoint = (await self.metadata()).get("end_session_endpoint")
        except OidcRefused:
            return None
        if not isinstance(endpoint, str):
            return None
        params = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token_hint:
            params["id_token_hint"] = id_token_hint
        return str(add_params_to_uri(endpoint, params))


def encode_client_secret_basic_header(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: both parts are form-encoded before Base64."""
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _values(claim: object) -> set[str]:
    if isinstance(claim, str):
        return {claim}
    if isinstance(claim, list | tuple):
        return {str(v) for v in claim}
    return set()


def email_of(claims: dict[str, Any], settings: OidcSettings) -> str | None:
    value = claims.get(settings.email_claim)
    return str(value).strip().lower() if isinstance(value, str) and "@" in value else None


def admission_problem(claims: dict[str, Any], settings: OidcSettings) -> str | None:
    """Why this IdP user may not sign in at all (before any mapping), or None."""
    email = email_of(claims, settings)
    if email is None:
        return "no_email"
    if claims.get("email_verified") is False:
        return "email_unverified"
    domain = email.rsplit("@", 1)[1]
    if settings.allowed_email_domains and domain not in settings.allowed_email_domains:
        return "domain_not_allowed"
    return None


def assign(claims: dict[str, Any], settings: OidcSettings) -> Assignment | None:
    """Department and role from the configured rules, or None when no rule names a
    department (the user is not provisioned for Kakehashi)."""
    department: str | None = None
    roles: list[Role] = []
    for rule in settings.mapping:
        if rule.group not in _values(claims.get(rule.claim or settings.groups_claim)):
            continue
        if department is None and rule.department:
            department = rule.department
        if rule.role:
            roles.append(Role(rule.role))
    if department is None:
        return None
    role = Role(settings.default_role)
    for candidate in roles:
        if candidate.at_least(role):
            role = candidate
    return Assignment(department=department, role=role)
