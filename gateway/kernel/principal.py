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


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    email: str
    department: str
    role: Role
    auth_method: str  # "api_key" or "session"
    key_id: int | None = None
