"""Who is calling: the authenticated principal that every pipeline stage receives.

Owns the role vocabulary. Built by ``gateway.auth`` only; other packages read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    STAFF = "staff"
    MANAGER = "manager"
    ADMIN = "admin"

    def at_least(self, other: Role) -> bool:
        order = [Role.STAFF, Role.MANAGER, Role.ADMIN]
        return order.index(self) >= order.index(other)

    @property
    def ja(self) -> str:
        """The role's name on pages, exports and errors (一般社員, 部門管理者, 情シス管理者)."""
        return _ROLE_JA[self]


_ROLE_JA = {Role.STAFF: "一般社員", Role.MANAGER: "部門管理者", Role.ADMIN: "情シス管理者"}


def role_ja(role: str | None) -> str:
    """``staff`` -> 一般社員; an unknown value (an old export, a typo in a file) as it is."""
    try:
        return Role(role or "").ja
    except ValueError:
        return role or ""


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    email: str
    department: str
    role: Role
    auth_method: str  # "api_key" or "session"
    key_id: int | None = None
