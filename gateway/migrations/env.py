"""Alembic environment: runs migrations on the sync engine for the configured URL."""

from __future__ import annotations

from alembic import context

import audit.models
import gateway.corrections.models
import gateway.identity.models
import gateway.workspace.models  # noqa: F401
from gateway.kernel.db import Base, is_sqlite, make_sync_engine

_ = audit.models
config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    raise RuntimeError("no database URL given to the migration environment")

engine = make_sync_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=is_sqlite(url),  # SQLite cannot ALTER most things in place
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
