"""``kakehashi policy export|import``: move a policy set between files (git) and the database
(``policies_source: database``, edited in the IT console), in either direction.

They extend the ``policy`` group of ``policies.cli`` here, in the composition root, because an
import is audited like a console edit (``policy.changed``, through ``audit.writer``), which the
policies package may not import. ``export`` writes each department's current version and its
customer list; ``import`` checks the whole folder like ``policy check`` first, then saves each
changed document as a new version (unchanged ones are skipped).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from gateway.kernel.config import config_option, settings_from
from gateway.kernel.settings import Settings
from policies.cli import policy
from policies.documents import read_folder, write_folder
from policies.edits import save_department_policy
from policies.loader import check_folder
from policies.model import Policy
from policies.store import PolicyDatabase, PolicyStore

__all__ = ["policy"]


@policy.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@config_option
def export(folder: Path, config: str | None) -> None:
    """Write the database's current policies to FOLDER (one YAML per department)."""
    count = asyncio.run(_export(settings_from(config), folder))
    click.echo(f"{count} 件のポリシーを {folder} に書き出しました / exported {count} documents")


@policy.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@config_option
@click.option("--reason", required=True, help="why (kept in each version and the audit log)")
@click.option("--author", default="kakehashi policy import", help="who (an e-mail)")
def import_(folder: Path, config: str | None, reason: str, author: str) -> None:
    """Check FOLDER like `policy check`, then save each changed document as a new version."""
    _, problems = check_folder(folder)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"\n{len(problems)} 件の問題があります / {len(problems)} problem(s)", err=True)
        sys.exit(1)
    saved = asyncio.run(_import(settings_from(config), folder, author=author, reason=reason))
    for line in saved:
        click.echo(line)
    click.echo(f"{len(saved)} 件を保存しました / saved {len(saved)} new versions")


def _fallback(settings: Settings) -> Policy:
    default = settings.default_policy
    return Policy(allowed_models=default.allowed_models, redaction=default.redaction)


async def _export(settings: Settings, folder: Path) -> int:
    from gateway.kernel.db import make_async_engine, sessionmaker

    engine = make_async_engine(settings.database.url)
    try:
        store = PolicyStore(
            directory=None,
            fallback=_fallback(settings),
            database=PolicyDatabase(sessions=sessionmaker(engine)),
        )
        documents = await store.documents()
        write_folder(documents, folder)
        return len(documents)
    finally:
        await engine.dispose()


async def _import(settings: Settings, folder: Path, *, author: str, reason: str) -> list[str]:
    from audit.writer import AuditWriter
    from gateway.kernel.db import make_async_engine, sessionmaker

    engine = make_async_engine(settings.database.url)
    try:
        sessions = sessionmaker(engine)
        store = PolicyStore(
            directory=None,
            fallback=_fallback(settings),
            interval_s=0,
            database=PolicyDatabase(sessions=sessions),
        )
        await store.start(AuditWriter(sessions).append)
        current = {d.department: d for d in await store.documents()}
        saved = []
        for document in read_folder(folder):
            if current.get(document.department) == document:
                continue  # unchanged: no new version
            change = await save_department_policy(
                store=store,
                department=document.department,
                document=document.text,
                customers=document.customers,
                author=author,
                reason=reason,
            )
            saved.append(f"{change.department}: 版 {change.number} / version {change.number}")
        return saved
    finally:
        await engine.dispose()
