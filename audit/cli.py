"""``kakehashi audit``: check the audit log's hash chain and purge events past retention.

``verify`` exits 0 with a one-line summary (note the head hash it prints outside the
database), or 1 naming the first broken event. ``purge`` deletes only a verifiable prefix and
leaves a signed checkpoint (``audit.retention``). Neither imports litellm or the web stack.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

import click

from audit.retention import Purge, purge
from audit.verify import Verification, checkpoint_key, verify
from gateway.kernel.config import config_option, settings_from
from gateway.kernel.db import make_async_engine, make_sync_engine, sessionmaker
from gateway.kernel.settings import Settings
from policies.loader import PolicyInvalid, load_folder
from policies.model import Policy
from policies.resolve import PolicySet


@click.group()
def audit() -> None:
    """The audit log (監査ログ): verify and retention."""


def _key(settings: Settings) -> bytes:
    return checkpoint_key(settings.secret_key.get_secret_value())


def run_verify(settings: Settings) -> Verification:
    engine = make_sync_engine(settings.database.url)
    try:
        with engine.connect() as conn:
            return verify(conn, key=_key(settings))
    finally:
        engine.dispose()


@audit.command("verify")
@config_option
def verify_command(config: str | None) -> None:
    """Check every event's hash and link; report the first broken one."""
    result = run_verify(settings_from(config))
    ja, en = result.summary()
    click.echo(f"{ja}\n{en}", err=not result.ok)
    sys.exit(0 if result.ok else 1)


def _policies(settings: Settings) -> PolicySet:
    fallback = Policy(allowed_models=settings.default_policy.allowed_models)
    if settings.policies_dir is None:
        return PolicySet(default=fallback)
    try:
        return load_folder(settings.policies_dir, fallback=fallback)
    except PolicyInvalid as exc:
        click.echo(f"ポリシーの誤り / policy error:\n{exc}", err=True)
        sys.exit(2)


def retention_days(policies: PolicySet) -> dict[str | None, int]:
    days: dict[str | None, int] = {
        name: p.retention.days for name, p in policies.by_department.items()
    }
    # Events of unknown departments use the default; events without one, the longest of all.
    days[None] = max([policies.default.retention.days, *days.values()])
    return days


async def _purge(settings: Settings, *, dry_run: bool, now: datetime) -> Purge:
    policies = _policies(settings)
    days = retention_days(policies)
    engine = make_async_engine(settings.database.url)
    try:
        async with sessionmaker(engine).begin() as session:
            return await purge(
                session=session,
                days_for=lambda d: days.get(d, policies.default.retention.days),
                key=_key(settings),
                now=now,
                dry_run=dry_run,
            )
    finally:
        await engine.dispose()


@audit.command("purge")
@config_option
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge_command(config: str | None, dry_run: bool) -> None:
    """Delete events older than their department's retention.days, with a signed checkpoint."""
    result = asyncio.run(_purge(settings_from(config), dry_run=dry_run, now=datetime.now(UTC)))
    verb = ("削除対象", "would delete") if dry_run else ("削除しました", "deleted")
    kept = result.oldest_kept.isoformat() if result.oldest_kept else "-"
    click.echo(
        f"{verb[0]}: {result.events:,} 件 (seq {result.through_seq or '-'} まで)。"
        f"残る最古の記録: {kept}\n"
        f"{verb[1]} {result.events:,} events (through seq {result.through_seq or '-'}); "
        f"oldest kept: {kept}"
    )
