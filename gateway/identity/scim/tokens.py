"""Bearer tokens of the IdP's provisioning client: made by ``kakehashi scim token`` (shown once,
stored as a SHA-256 like API keys: 256-bit random secrets need no slow hash) or set in the
environment as ``KAKEHASHI_SCIM_TOKEN`` (compared by hash in constant time, never stored).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity.models import ScimToken
from gateway.kernel.clock import utcnow

TOKEN_PREFIX = "kks_"  # noqa: S105 - a visible marker, not a secret


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(*, session: AsyncSession, name: str) -> str:
    """A new provisioning token; the only time it exists in clear."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ScimToken(name=name, token_hash=_hash(token), created_at=utcnow()))
    await session.flush()
    return token


async def client_of(
    *, session: AsyncSession, token: str, configured: SecretStr | None
) -> str | None:
    """The name of the provisioning client behind ``token``, or None."""
    digest = _hash(token)
    if configured is not None and hmac.compare_digest(digest, _hash(configured.get_secret_value())):
        return "environment"
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = (
        await session.execute(
            select(ScimToken.name).where(
                ScimToken.token_hash == digest, ScimToken.revoked_at.is_(None)
            )
        )
    ).scalar_one_or_none()
    return None if found is None else found or "token"
