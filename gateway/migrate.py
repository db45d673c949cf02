"""Schema migrations: ``upgrade`` to head, and the drift check used by the tests."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from gateway.kernel.db import Base, make_sync_engine, sync_url


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "gateway:migrations")
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s")
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def drift(url: str) -> list[Any]:
    """Differences between the migrated database and the models (empty when in sync)."""
    import audit.models
    import gateway.corrections.models
    import gateway.identity.models
    import gateway.trials.models
    import gateway.workspace.models  # noqa: F401
    import policies.versions  # noqa: F401

    _ = audit.models
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()
