"""The development OpenID Provider's core, without HTTP: its demo users, signing keys (with
rotation), client, codes and tokens, and authlib's server components (RFC 6749 authorization
code grant, RFC 7636 PKCE, OpenID Connect Core ID tokens, RP-Initiated Logout) adapted to them.

Refuses to exist outside demo and test mode. ``gateway.demo.devidp`` puts the routes on it.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, OAuth2Payload, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from joserfc.jwk import KeySet, RSAKey

from gateway.demo.data import DEMO_USERS, demo_groups
from gateway.kernel.errors import ConfigError
from gateway.kernel.settings import Settings

PREFIX = "/dev-idp"
CLIENT_ID = "kakehashi-dev"
_CODE_TTL_S = 120


@dataclass(frozen=True)
class DevUser:
    email: str
    name: str
    groups: tuple[str, ...]

    @property
    def sub(self) -> str:
        return "dev-" + self.email.split("@")[0]


def dev_users() -> list[DevUser]:
    users = [DevUser(u.email, u.name, tuple(demo_groups(u))) for u in DEMO_USERS]
    # Someone the company IdP knows but IT has not mapped: shows the "ask IT" page.
    users.append(DevUser("guest@partner.example", "外部 協力者", ("contractors",)))
    return users


@dataclass
class _Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str

    @property
    def client_metadata(self) -> dict[str, Any]:
        return {"post_logout_redirect_uris": [self.post_logout_redirect_uri]}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = {"openid", "email", "profile", "groups"}
        return " ".join(s for s in (scope or "openid").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:  # noqa: ARG002
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class _Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: DevUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def is_expired(self) -> bool:
        return time.time() > self.auth_time + _CODE_TTL_S


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, datalist: dict[str, list[str]]) -> None:
        self._datalist = datalist

    @property
    def data(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._datalist.items() if v}

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class OAuthRequest(OAuth2Request):  # type: ignore[misc]
    """authlib's request, built from a Starlette request whose form was read beforehand
    (authlib's server is synchronous; the route awaits the body first)."""

    def __init__(
        self, request: Request, query: list[tuple[str, str]], form: list[tuple[str, str]]
    ) -> None:
        super().__init__(method=request.method, uri=str(request.url), headers=request.headers)
        merged: dict[str, list[str]] = defaultdict(list)
        for key, value in [*query, *form]:
            merged[key].append(value)
        self._args = dict(query)
        self._form = dict(form)
        self.payload = _Payload(dict(merged))

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _RequiredPkce(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 for every client, confidential ones included (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - authlib's class attribute

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        if not grant.request.payload.data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256)")
        if grant.request.payload.data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class _Server(AuthorizationServer):  # type: ignore[misc]
    """authlib's authorization server, answering with Starlette responses."""

    def __init__(self, provider: Provider) -> None:
        super().__init__(scopes_supported=["openid", "email", "profile", "groups"])
        self.provider = provider

    def query_client(self, client_id: str) -> _Client | None:
        client = self.provider.client
        return client if client_id == client.client_id else None

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        expires = time.time() + int(token.get("expires_in", 3600))
        self.provider.tokens[token["access_token"]] = (request.user, expires)

    def create_oauth2_request(self, request: OAuthRequest) -> OAuthRequest:
        return request  # routes build it (with the awaited form) before calling the server

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:  # noqa: ARG002
        return None

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=dict(headers))
        return Response(body, status_code=status, headers=dict(headers))


class _CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    @property
    def provider(self) -> Provider:
        provider: Provider = self.server.provider
        return provider

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        self.provider.codes[code] = _Code(
            code=code,
            client_id=request.client.client_id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            user=request.user,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
        )
        if data.get("nonce"):
            self.provider.nonces.add(data["nonce"])

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        found = self.provider.codes.get(code)
        if found and found.client_id == client.client_id and not found.is_expired():
            return found
        return None

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        self.provider.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: _Code) -> DevUser:
        return authorization_code.user


class _IdToken(OpenIDCode):  # type: ignore[misc]
    """RS256 ID tokens signed with the provider's current key; a nonce is required and may
    not repeat."""

    def __init__(self, provider: Provider) -> None:
        super().__init__(require_nonce=True)
        self.provider = provider

    def exists_nonce(self, nonce: str, request: Any) -> bool:  # noqa: ARG002
        return nonce in self.provider.nonces

    def resolve_client_private_key(self, client: _Client) -> RSAKey:  # noqa: ARG002
        return self.provider.signing_key

    def get_client_algorithm(self, client: _Client) -> str:  # noqa: ARG002
        return "RS256"

    def get_encode_header(self, client: _Client) -> dict[str, str]:  # noqa: ARG002
        return {"alg": "RS256", "kid": str(self.provider.signing_key.kid), "typ": "JWT"}

    def get_client_claims(self, client: _Client) -> dict[str, Any]:
        return {"iss": self.provider.issuer, "aud": client.client_id}

    def generate_user_info(self, user: DevUser, scope: str) -> UserInfo:  # noqa: ARG002
        return UserInfo(self.provider.user_claims(user))


class _EndSession(EndSessionEndpoint):  # type: ignore[misc]
    def get_server_jwks(self) -> dict[str, Any]:
        return self.server.provider.jwks()  # type: ignore[no-any-return]

    def end_session(self, end_session_request: EndSessionRequest) -> None:  # noqa: ARG002
        return None  # no provider-side session to end: every sign-in picks a user


class Provider:
    """The provider's state (keys, client, users, codes, tokens) and its authlib server;
    ``gateway.demo.devidp.Provider`` serves it over HTTP."""

    def __init__(self, *, settings: Settings, base_url: str) -> None:
        if settings.mode not in ("demo", "test"):
            raise ConfigError(
                "oidc.dev_idp: the built-in development IdP runs only in demo or test mode"
            )
        base = base_url.rstrip("/")
        self.issuer = base + PREFIX
        self.client = _Client(
            client_id=CLIENT_ID,
            client_secret=secrets.token_urlsafe(32),
            redirect_uri=base + "/auth/callback",
            post_logout_redirect_uri=base + "/auth/logged-out",
        )
        self.users = {u.email: u for u in dev_users()}
        self._keys: list[RSAKey] = []
        self.rotate_keys()
        self.codes: dict[str, _Code] = {}
        self.tokens: dict[str, tuple[DevUser, float]] = {}
        self.nonces: set[str] = set()
        self.server = self._build_server()

    def rotate_keys(self) -> str:
        """Sign with a new key from now on; the old one stays in the JWKS. Returns its kid."""
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
        key.ensure_kid()
        self._keys.append(key)
        return str(key.kid)

    @property
    def signing_key(self) -> RSAKey:
        return self._keys[-1]

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet(list(self._keys)).as_dict(private=False))

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "userinfo_endpoint": self.issuer + "/userinfo",
            "jwks_uri": self.issuer + "/jwks",
            "end_session_endpoint": self.issuer + "/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                *("sub", "iss", "aud", "exp", "iat", "nonce"),
                *("email", "email_verified", "name", "groups"),
            ],
        }

    def user_claims(self, user: DevUser) -> dict[str, Any]:
        return {
            "sub": user.sub,
            "email": user.email,
            "email_verified": True,
            "name": user.name,
            "groups": list(user.groups),
        }

    def _build_server(self) -> _Server:
        server = _Server(self)
        server.register_token_generator(
            "default", BearerTokenGenerator(lambda *_a, **_k: generate_token(42))
        )
        server.register_grant(_CodeGrant, [_RequiredPkce(required=True), _IdToken(self)])
        server.register_endpoint(_EndSession)
        return server
