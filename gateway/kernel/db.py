"""Database plumbing: the declarative base, the one datetime column type, engines and sessions.

Owns URL handling (one URL in config; async driver for the server, sync driver for CLIs and
migrations) and SQLite tuning. Table definitions live with the package that owns them
(``gateway.identity.models``, ``audit.models``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.orm import DeclarativeBase
from typing_extensions import override

from gateway.kernel.clock import UTC, aware

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """Every timestamp column: timezone-aware UTC in, timezone-aware UTC out.

    SQLite has no time zone type and hands back naive values; they were written as UTC, so they
    are read back as UTC here, once, instead of in every module that reads a timestamp. Japan
    time belongs to the edges (pages, reports, quota windows).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @override
    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return aware(value).astimezone(UTC) if value is not None else None

    @override
    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return aware(value).astimezone(UTC) if value is not None else None


def async_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def sync_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+asyncpg"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (KPI pages) run beside the audit writer; busy_timeout makes a second
    # process wait for the write lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_async_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    engine = create_async_engine(async_url(url), echo=echo, pool_pre_ping=not is_sqlite(url))
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
    return engine


def make_sync_engine(url: str, *, echo: bool = False) -> Engine:
    engine = create_engine(sync_url(url), echo=echo)
    if is_sqlite(url):
        event.listen(engine, "connect", _tune_sqlite)
    return engine


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
