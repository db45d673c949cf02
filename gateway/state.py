"""The typed application state built once by the app lifespan and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from audit.writer import AuditWriter
from gateway.provider import Providers
from gateway.settings import Settings
from policies.resolve import PolicySet


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    audit: AuditWriter
    providers: Providers
    policies: PolicySet
    redis: Any | None = None  # redis.asyncio.Redis when configured
