"""API keys: create (shown once), look up by hash, revoke.

Keys are 256-bit random secrets, so a single SHA-256 is the right storage form (no slow KDF is
needed against guessing, and lookup stays one indexed query). The visible prefix lets people
tell their keys apart in lists.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import ApiKey, User
from gateway.principal import Principal, Role

TOKEN_PREFIX = "kk_"  # noqa: S105 - a visible marker, not a secret


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    token: str  # the only time the secret exists in clear


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(
    *, session: AsyncSession, user: User, name: str = "", expires_at: datetime | None = None
) -> NewKey:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        user_id=user.id,
        name=name,
        prefix=token[:10],
        secret_hash=hash_token(token),
        department=user.department,
        role=user.role,
        expires_at=expires_at,
    )
    session.add(key)
    await session.flush()
    return NewKey(key=key, token=token)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _lookup(session: AsyncSession, token: str) -> tuple[Principal, datetime | None] | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        await session.execute(
            select(ApiKey, User.email)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.secret_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    key, email = row
    expires = _aware(key.expires_at) if key.expires_at is not None else None
    if key.revoked_at is not None or (expires is not None and expires <= datetime.now(UTC)):
        return None
    principal = Principal(
        user_id=key.user_id,
        email=email,
        department=key.department,
        role=Role(key.role),
        auth_method="api_key",
        key_id=key.id,
    )
    return principal, expires


async def principal_for(
    *, session: AsyncSession, token: str, cache: KeyCache | None = None
) -> Principal | None:
    """The principal behind ``token``, or None when unknown, revoked or expired."""
    if cache is not None and (hit := cache.get(token)) is not None:
        return hit
    found = await _lookup(session, token)
    if found is None:
        return None
    if cache is not None:
        cache.put(token, *found)
    return found[0]


class KeyCache:
    """Recently seen valid keys, so the hot path skips one database round trip per request.

    Only valid keys are kept (a new key works at once; unknown tokens cannot fill memory), for
    ``ttl_s`` seconds and never past the key's own expiry. A revoke through this process drops
    the key at once (``forget``); other processes and replicas stop accepting it within
    ``ttl_s``. Keys are stored by hash, never in clear.
    """

    def __init__(self, ttl_s: float = 5.0, max_entries: int = 10_000) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._entries: dict[str, tuple[Principal, float, datetime | None]] = {}

    def get(self, token: str) -> Principal | None:
        digest = hash_token(token)
        entry = self._entries.get(digest)
        if entry is None:
            return None
        principal, until, expires = entry
        if time.monotonic() >= until or (expires is not None and expires <= datetime.now(UTC)):
            del self._entries[digest]
            return None
        return principal

    def put(self, token: str, principal: Principal, expires: datetime | None) -> None:
        if self._ttl <= 0:
            return
        if len(self._entries) >= self._max:
            self._entries.clear()  # rare: bounded memory beats an LRU's bookkeeping here
        self._entries[hash_token(token)] = (principal, time.monotonic() + self._ttl, expires)

    def forget(self, key_id: int) -> None:
        for digest in [d for d, (p, _, _) in self._entries.items() if p.key_id == key_id]:
            del self._entries[digest]


async def revoke(*, session: AsyncSession, key_id: int) -> bool:
    key = await session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = datetime.now(UTC)
    return True


async def upsert_user(
    *, session: AsyncSession, email: str, department: str, role: Role, display_name: str = ""
) -> User:
    """Create or update the user row as the IdP (or the CLI) describes them."""
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        user = User(email=email, department=department, role=role.value, display_name=display_name)
        session.add(user)
    else:
        user.department, user.role = department, role.value
        user.display_name = display_name or user.display_name
    await session.flush()
    return user
