"""API keys: create (shown once), look up by hash, revoke.

Keys are 256-bit random secrets, so a single SHA-256 is the right storage form (no slow KDF is
needed against guessing, and lookup stays one indexed query). The visible prefix lets people
tell their keys apart in lists. A key acts as its owner *now*: the department and role are
read from the owner's row at each lookup (a move or a demotion applies to existing keys), and a
disabled owner's keys are refused (issue 15). The key's own ``department``/``role`` columns
only record what the owner was when the key was made.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity import people
from gateway.identity.models import ApiKey, User
from gateway.kernel.errors import account_disabled
from gateway.kernel.principal import Principal, Role

# The database's answer for a token: its principal and the key's own expiry, or None.
Found = tuple[Principal, datetime | None] | None
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


async def find(*, session: AsyncSession, token: str) -> Found:
    """The principal behind ``token`` (its owner's current department and role) and the key's
    own expiry; None when unknown, revoked or expired; ``AccountDisabled`` when the owner is
    disabled. (Requests go through ``gateway.identity.keycache`` first.)"""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        await session.execute(
            select(ApiKey, User)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.secret_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    key, user = row
    expires = key.expires_at
    if key.revoked_at is not None or (expires is not None and expires <= datetime.now(UTC)):
        return None
    if user.disabled_at is not None or user.deleted_at is not None:
        raise account_disabled()
    principal = Principal(
        user_id=key.user_id,
        email=user.email,
        department=user.department,
        role=Role(user.role),
        auth_method="api_key",
        key_id=key.id,
    )
    return principal, expires


async def revoke(*, session: AsyncSession, key_id: int) -> bool:
    key = await session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = datetime.now(UTC)
    return True


async def upsert_user(
    *, session: AsyncSession, email: str, department: str, role: Role, display_name: str = ""
) -> User:
    """Create or update the user row as the IdP (or the CLI) describes them (the caller
    announces a change: ``gateway.identity.people.announce_change``)."""
    done = await people.upsert_person(
        session=session, email=email, department=department, role=role, display_name=display_name
    )
    return done.user
