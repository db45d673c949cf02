"""The built-in development OpenID Provider, mounted at ``/dev-idp`` in demo and test modes.

A real provider built from authlib's server components (RFC 6749 authorization code grant,
RFC 7636 PKCE, OpenID Connect Core ID tokens, Discovery, RP-Initiated Logout): RS256-signed ID
tokens, a JWKS with key rotation, a confidential client (the gateway itself). Its users are the
demo users (``gateway.demo.data``); they sign in by picking a name (no passwords: a development
tool), or at once with a ``login_hint`` naming one of them (for tests). This module is the HTTP
face; ``gateway.demo.idp`` holds the state and the authlib server.

It refuses to exist in production mode (``gateway.demo.idp.Provider``), on top of the settings check and
the app factory's check. State (codes, tokens, keys) lives in memory: one process only.
"""

from __future__ import annotations

import secrets
import time

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from gateway.demo.idp import PREFIX, DevUser, OAuthRequest, Provider
from gateway.identity.oidc import assign
from gateway.kernel.settings import Settings
from web.templating import render

__all__ = ["PREFIX", "DevIdp", "DevUser"]

_FORM_TTL_S = 600


class DevIdp(Provider):
    """The provider with its routes; ``router()`` serves it at ``/dev-idp``."""

    def __init__(self, *, settings: Settings, base_url: str) -> None:
        super().__init__(settings=settings, base_url=base_url)
        self._oidc = settings.oidc
        self._forms = URLSafeTimedSerializer(secrets.token_bytes(32), salt="dev-idp.login")

    def router(self) -> APIRouter:
        router = APIRouter(prefix=PREFIX, tags=["dev-idp"], include_in_schema=False)
        router.add_api_route("/.well-known/openid-configuration", self._discovery)
        router.add_api_route("/jwks", self._jwks_route)
        router.add_api_route("/authorize", self._authorize, methods=["GET"])
        router.add_api_route("/authorize", self._authorize_post, methods=["POST"])
        router.add_api_route("/token", self._token, methods=["POST"])
        router.add_api_route("/userinfo", self._userinfo, methods=["GET"])
        router.add_api_route("/logout", self._logout, methods=["GET"])
        return router

    async def _discovery(self) -> JSONResponse:
        return JSONResponse(self.metadata())

    async def _jwks_route(self) -> JSONResponse:
        return JSONResponse(self.jwks(), headers={"cache-control": "max-age=60"})

    def _issue(
        self, request: Request, params: list[tuple[str, str]], user: DevUser | None
    ) -> Response:
        oauth = OAuthRequest(request, params, [])
        try:
            grant = self.server.get_consent_grant(oauth)
        except OAuth2Error as error:
            return _error_page(request, error)
        response: Response = self.server.create_authorization_response(oauth, user, grant)
        return response

    async def _authorize(self, request: Request) -> Response:
        params = list(request.query_params.multi_items())
        try:
            self.server.get_consent_grant(OAuthRequest(request, params, []))
        except OAuth2Error as error:
            return _error_page(request, error)
        hint = request.query_params.get("login_hint")
        if hint in self.users:
            return self._issue(request, params, self.users[hint])
        return render(
            request,
            "devidp_login.html",
            {
                # What the gateway will make of each user's groups, by the configured mapping
                # itself (None: no rule names a department, so the user may not sign in).
                "users": [
                    (u, assign(self.user_claims(u), self._oidc)) for u in self.users.values()
                ],
                "params": params,
                "ticket": self._forms.dumps(params),
            },
        )

    async def _authorize_post(self, request: Request) -> Response:
        form = await request.form()
        try:
            params = [
                tuple(p)
                for p in self._forms.loads(str(form.get("ticket", "")), max_age=_FORM_TTL_S)
            ]
        except BadSignature:
            return HTMLResponse("sign-in form expired; start again", status_code=400)
        user = self.users.get(str(form.get("user", "")))
        if form.get("action") == "cancel":
            user = None
        elif user is None:
            return HTMLResponse("pick a user", status_code=400)
        return self._issue(request, params, user)

    async def _token(self, request: Request) -> Response:
        form = [(k, str(v)) for k, v in (await request.form()).multi_items()]
        response: Response = self.server.create_token_response(OAuthRequest(request, [], form))
        return response

    async def _userinfo(self, request: Request) -> JSONResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        found = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if found is None or found[1] < time.time():
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=401,
                headers={"www-authenticate": 'Bearer error="invalid_token"'},
            )
        return JSONResponse(self.user_claims(found[0]))

    async def _logout(self, request: Request) -> Response:
        oauth = OAuthRequest(request, list(request.query_params.multi_items()), [])
        try:
            validated = self.server.validate_endpoint_request("end_session", oauth)
        except OAuth2Error as error:
            return _error_page(request, error)
        response: Response | None = self.server.create_endpoint_response("end_session", validated)
        return response or render(request, "devidp_logged_out.html", {})


def _error_page(request: Request, error: OAuth2Error) -> Response:
    if getattr(error, "redirect_uri", None):
        _status, _body, headers = error()
        return RedirectResponse(dict(headers)["Location"], status_code=302)
    return render(
        request,
        "devidp_error.html",
        {"error": error.error, "description": error.description or ""},
        status_code=400,
    )
