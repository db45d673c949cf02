"""Browser sessions: the signed session cookie, its server-side row, idle and absolute timeouts;
the short-lived login-transaction cookie; and the one-time store that refuses a replayed
``state``.

The cookie carries a random 256-bit secret signed with ``secret_key`` (itsdangerous); only its
SHA-256 is stored (``web_sessions``), so logout and timeouts are enforced on the server and a
database dump holds no usable session. Knows nothing about the OIDC protocol (``gateway.identity.oidc``)
or routes.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from gateway.identity.models import User, WebSession
from gateway.kernel.principal import Principal, Role
from gateway.kernel.settings import Settings

SESSION_COOKIE = "kakehashi_session"
LOGIN_COOKIE = "kakehashi_login"
LOGIN_TTL_S = 600  # a login must come back from the IdP within ten minutes


@dataclass(frozen=True)
class Resolved:
    """A cookie's outcome: a principal, or the reason it was refused."""

    principal: Principal | None
    reason: str = ""
    disabled: bool = False  # the person was disabled (a 403 that says so, not a sign-in page)


@dataclass(frozen=True)
class Ended:
    principal: Principal
    id_token: str | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def cookie_secure(settings: Settings, request: Request) -> bool:
    """``Secure`` everywhere except plain http://127.0.0.1 in demo and test modes."""
    local = request.url.scheme == "http" and request.url.hostname == "127.0.0.1"
    return not (settings.mode in ("demo", "test") and local)


class SessionStore:
    def __init__(self, *, settings: Settings, db: async_sessionmaker[AsyncSession]) -> None:
        self._settings = settings
        self._db = db
        key = settings.secret_key.get_secret_value()
        self._signer = TimestampSigner(key, salt="kakehashi.session")
        self._login = URLSafeTimedSerializer(key, salt="kakehashi.login")
        self._idle = settings.oidc.session_idle_seconds
        self._absolute = settings.oidc.session_absolute_seconds
        # Refresh last_seen_at at most this often: one write per few requests, not per request.
        self._touch_every = min(60.0, self._idle / 4)

    async def start(self, *, session: AsyncSession, user: User, id_token: str | None) -> str:
        """Create a session for ``user`` inside the caller's transaction; return the cookie."""
        secret = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await session.execute(
            delete(WebSession).where(
                WebSession.user_id == user.id,
                WebSession.last_seen_at < datetime.fromtimestamp(time.time() - self._idle, UTC),
            )
        )
        session.add(
            WebSession(
                token_hash=_hash(secret),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                id_token=id_token,
            )
        )
        return self._signer.sign(secret).decode()

    def _secret(self, cookie: str) -> str | None:
        try:
            return self._signer.unsign(cookie, max_age=self._absolute).decode()
        except BadSignature:
            return None

    async def resolve(self, cookie: str) -> Resolved:
        secret = self._secret(cookie)
        if secret is None:
            return Resolved(None, "bad or expired session cookie")
        async with self._db.begin() as session:
            row = (
                await session.execute(
                    select(WebSession, User)
                    .join(User, User.id == WebSession.user_id)
                    .where(WebSession.token_hash == _hash(secret))
                )
            ).first()
            if row is None:
                return Resolved(None, "unknown or ended session")
            web, user = row
            if user.disabled_at is not None or user.deleted_at is not None:
                # Kept (each request says why it is refused); an enable ends these sessions.
                return Resolved(None, "account disabled", disabled=True)
            now = datetime.now(UTC)
            age = (now - web.created_at).total_seconds()
            idle = (now - web.last_seen_at).total_seconds()
            if age >= self._absolute or idle >= self._idle:
                await session.execute(delete(WebSession).where(WebSession.id == web.id))
                return Resolved(None, "session timed out")
            if idle >= self._touch_every:
                await session.execute(
                    update(WebSession).where(WebSession.id == web.id).values(last_seen_at=now)
                )
        return Resolved(
            Principal(
                user_id=web.user_id,
                email=user.email,
                department=user.department,
                role=Role(user.role),
                auth_method="session",
            )
        )

    async def end(self, cookie: str) -> Ended | None:
        """Delete the session behind ``cookie`` (logout); None if there was none."""
        resolved = await self.resolve(cookie)
        secret = self._secret(cookie)
        if resolved.principal is None or secret is None:
            return None
        async with self._db.begin() as session:
            id_token = (
                await session.execute(
                    delete(WebSession)
                    .where(WebSession.token_hash == _hash(secret))
                    .returning(WebSession.id_token)
                )
            ).scalar_one_or_none()
        return Ended(principal=resolved.principal, id_token=id_token)

    def set_cookie(self, response: Response, request: Request, value: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=self._absolute,
            path="/",
            secure=cookie_secure(self._settings, request),
            httponly=True,
            samesite="lax",
        )

    def clear_cookie(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            SESSION_COOKIE,
            path="/",
            secure=cookie_secure(self._settings, request),
            httponly=True,
            samesite="lax",
        )

    # The login transaction: state, nonce, PKCE verifier and the page to return to. Lax, so
    # that the browser sends it on the top-level redirect back from the IdP.

    def set_login(self, response: Response, request: Request, data: dict[str, Any]) -> None:
        response.set_cookie(
            LOGIN_COOKIE,
            self._login.dumps(data),
            max_age=LOGIN_TTL_S,
            path="/auth",
            secure=cookie_secure(self._settings, request),
            httponly=True,
            samesite="lax",
        )

    def load_login(self, request: Request) -> dict[str, Any] | None:
        value = request.cookies.get(LOGIN_COOKIE)
        if not value:
            return None
        try:
            data = self._login.loads(value, max_age=LOGIN_TTL_S)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None

    def clear_login(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            LOGIN_COOKIE,
            path="/auth",
            secure=cookie_secure(self._settings, request),
            httponly=True,
            samesite="lax",
        )


class OneTimeStore:
    """``consume(key)`` is true the first time only: Redis ``SET NX EX`` when configured (all
    replicas share it), else process memory (one process, e.g. the demo)."""

    def __init__(self, redis: Any | None, *, ttl_s: int = LOGIN_TTL_S) -> None:
        self._redis = redis
        self._ttl = ttl_s
        self._seen: dict[str, float] = {}

    async def consume(self, key: str) -> bool:
        digest = _hash(key)
        if self._redis is not None:
            return bool(await self._redis.set(f"kakehashi:once:{digest}", 1, nx=True, ex=self._ttl))
        now = time.monotonic()
        self._seen = {k: t for k, t in self._seen.items() if t > now}
        if digest in self._seen:
            return False
        self._seen[digest] = now + self._ttl
        return True
