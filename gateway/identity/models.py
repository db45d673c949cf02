"""Tables the gateway owns: users (as last seen from the IdP or provisioned by SCIM), their API
keys and browser sessions, and the SCIM provisioning state (groups, members, client tokens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, func, true
from sqlalchemy.orm import Mapped, mapped_column

from gateway.kernel.db import Base, UtcDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set by IT (people page, CLI) or the IdP (SCIM ``active: false``): every session and key
    # of the person is refused while set (gateway.identity.people).
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled_by: Mapped[str | None] = mapped_column(String(320))
    disabled_reason: Mapped[str | None] = mapped_column(String(500))  # as IT typed it, if at all
    # SCIM: the IdP's own id for the person, and when the IdP deleted them (kept for the audit
    # trail and to refuse their keys; hidden from SCIM afterwards).
    external_id: Mapped[str | None] = mapped_column(String(200))
    # SCIM ``active`` as the IdP last set it: False is ``disabled_at``; None once the IdP
    # removed the attribute (RFC 7644 §3.5.2.2), which leaves the person enabled.
    scim_active: Mapped[bool | None] = mapped_column(Boolean, server_default=true())
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiKey(Base):
    """A programmatic key. Only a SHA-256 of the secret is stored; it is shown once."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    department: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebSession(Base):
    """A browser sign-in (gateway.identity.sessions). Only a SHA-256 of the cookie secret is stored;
    the row is deleted at logout, and refused after the idle or absolute timeout."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    id_token: Mapped[str | None] = mapped_column(Text)


class ScimGroup(Base):
    """A group pushed by the IdP's provisioning client; its ``display_name`` or ``external_id``
    is matched against the ``oidc.mapping`` rules, as a groups claim would be at sign-in."""

    __tablename__ = "scim_groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ScimMember(Base):
    __tablename__ = "scim_members"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id", name="uq_scim_members_group_user"),
        Index("ix_scim_members_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("scim_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class ScimToken(Base):
    """A bearer token for an IdP's provisioning client; only its SHA-256 is stored."""

    __tablename__ = "scim_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
