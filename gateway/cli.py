"""The ``kakehashi`` command line.

Subcommands owned by other packages (``redact``, ``policy``, ``audit``) are imported only when
invoked, so ``kakehashi redact`` never pays for litellm or the web stack.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from gateway.identity import cli as identity_cli
from gateway.kernel.config import CONFIG_ENV, config_option, config_path, settings_from
from gateway.kernel.errors import ConfigError
from gateway.kernel.settings import Settings
from gateway.kernel.vocab import EventType, Outcome

_LAZY = {
    "redact": "redaction.cli:redact",
    "policy": "gateway.policy_commands:policy",
    "audit": "audit.cli:audit",
    "users": "gateway.identity.cli:users",
    "scim": "gateway.identity.cli:scim",
}


class _Commands(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._available()])

    @staticmethod
    def _available() -> list[str]:
        names = []
        for name, target in _LAZY.items():
            module = target.split(":")[0]
            if importlib.util.find_spec(module) is not None:
                names.append(name)
        return names

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LAZY and cmd_name in self._available():
            module, attr = _LAZY[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands)
def main() -> None:
    """Kakehashi (架け橋): a generative-AI governance gateway."""


@main.command()
@config_option
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--workers", type=int, default=None)
def serve(config: str | None, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the gateway."""
    settings = settings_from(config)
    path = config_path(config)
    from policies.model import default_policy

    try:  # the default policy's profile is checked by its owner (the kernel knows no policies)
        default_policy(settings.default_policy, source=str(path or "environment"))
    except ConfigError as exc:
        click.echo(f"設定エラー / configuration error:\n{exc}", err=True)
        sys.exit(2)
    if path is not None:
        os.environ[CONFIG_ENV] = str(path.resolve())
    from gateway import server
    from gateway.kernel import logs

    logs.configure()
    # The command line's host and port win over the file's (the start-up line names them).
    where = {"host": host or settings.server.host, "port": port or settings.server.port}
    settings = settings.model_copy(update={"server": settings.server.model_copy(update=where)})
    try:
        server.run(settings, workers=workers or settings.server.workers)
    except ConfigError as exc:  # the port is taken (``server.claim``)
        click.echo(f"起動できません / cannot start:\n{exc}", err=True)
        sys.exit(2)


@main.command()
@click.option("--port", type=int, default=8080)
@click.option("--data-dir", type=click.Path(file_okay=False), default=".kakehashi-demo")
@click.option("--fresh", is_flag=True, help="start over (the previous demo is moved aside)")
def demo(port: int, data_dir: str, fresh: bool) -> None:
    """Run the whole product on embedded defaults with demo data."""
    _run_demo(port=port, data_dir=Path(data_dir), fresh=fresh)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@config_option
def db_upgrade(config: str | None) -> None:
    """Create or migrate the database schema to the latest version."""
    from gateway.migrate import upgrade

    settings = settings_from(config)
    upgrade(settings.database.url)
    click.echo("database is at the latest schema / スキーマを最新にしました")


@main.group()
def keys() -> None:
    """API keys."""


keys.add_command(identity_cli.keys_list)
keys.add_command(identity_cli.keys_revoke)


@keys.command("create")
@config_option
@click.option("--user", "email", required=True, help="the user's e-mail")
@click.option("--department", required=True)
@click.option("--role", type=click.Choice(["staff", "manager", "admin"]), default="staff")
@click.option("--name", default="cli", help="a label to recognise the key by")
@click.option("--expires-days", type=int, default=None)
def keys_create(
    config: str | None,
    email: str,
    department: str,
    role: str,
    name: str,
    expires_days: int | None,
) -> None:
    """Create an API key and print it once."""
    settings = settings_from(config)
    expires = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    token = asyncio.run(_create_key(settings, email, department, role, name, expires))
    click.echo(token)
    click.echo("この鍵は二度と表示されません / this key is shown only once", err=True)


async def _create_key(
    settings: Settings,
    email: str,
    department: str,
    role: str,
    name: str,
    expires: datetime | None,
) -> str:
    from audit.chain import EventIn
    from audit.writer import AuditWriter
    from gateway.identity import apikeys
    from gateway.kernel.db import make_async_engine, sessionmaker
    from gateway.kernel.principal import Role

    engine = make_async_engine(settings.database.url)
    sessions = sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            user = await apikeys.upsert_user(
                session=session, email=email, department=department, role=Role(role)
            )
            new = await apikeys.create(session=session, user=user, name=name, expires_at=expires)
        await AuditWriter(sessions).append(
            EventIn(
                event_type=EventType.KEY_CREATED,
                outcome=Outcome.OK,
                user_email=email,
                department=department,
                role=role,
                detail={"key_id": new.key.id, "prefix": new.key.prefix, "via": "cli"},
            )
        )
        return new.token
    finally:
        await engine.dispose()


@main.group()
def conversations() -> None:
    """Saved conversations (保存された会話)."""


@conversations.command("purge")
@config_option
def conversations_purge(config: str | None) -> None:
    """Delete saved conversations past their department's retention (audited); for cron when
    the serving processes do not purge (conversation_purge_s: 0)."""
    purged = asyncio.run(_purge_conversations(settings_from(config)))
    click.echo(
        f"保存期間を過ぎた会話を {purged:,} 件削除しました / "
        f"deleted {purged:,} conversations past retention"
    )


async def _purge_conversations(settings: Settings) -> int:
    from audit.writer import AuditWriter
    from gateway.kernel.db import make_async_engine, sessionmaker
    from gateway.workspace.expiry import purge

    engine = make_async_engine(settings.database.url)
    try:
        sessions = sessionmaker(engine)
        return await purge(sessions=sessions, audit=AuditWriter(sessions).append)
    finally:
        await engine.dispose()


KEY_FILE = "demo-api-key.txt"


async def _seed_demo(settings: Settings, *, data_dir: Path, today: date) -> str:
    """Demo users, one demo API key (kept in the demo folder and reused at the next start, not
    one more key per start) and the synthetic trial history (written once)."""
    from gateway.demo.data import DEMO_USERS
    from gateway.demo.trial import seed_history
    from gateway.demo.trials import seed_trials
    from gateway.identity import apikeys
    from gateway.kernel.db import make_async_engine, sessionmaker

    saved = data_dir / KEY_FILE
    engine = make_async_engine(settings.database.url)
    try:
        async with sessionmaker(engine).begin() as session:
            users = [
                await apikeys.upsert_user(
                    session=session,
                    email=u.email,
                    department=u.department,
                    role=u.role,
                    display_name=u.name,
                )
                for u in DEMO_USERS
            ]
            token = saved.read_text().strip() if saved.exists() else ""
            if not token or await apikeys.find(session=session, token=token) is None:
                token = (await apikeys.create(session=session, user=users[0], name="demo")).token
                saved.write_text(token + "\n")
                saved.chmod(0o600)
            await seed_history(session=session, today=today, timezone=settings.timezone)
            await seed_trials(session=session, today=today)
        return token
    finally:
        await engine.dispose()


def demo_user_lines() -> str:
    """Who is who among the demo users, so the first sign-in picks the role one came to see."""
    from gateway.demo.data import DEMO_USERS
    from gateway.kernel.principal import role_ja

    width = max(len(u.email) for u in DEMO_USERS)
    return "\n".join(
        f"    {u.email:<{width}}  {u.name}  {u.department} · {role_ja(u.role)}" for u in DEMO_USERS
    )


def _run_demo(*, port: int, data_dir: Path, fresh: bool = False) -> None:
    import uvicorn

    from gateway import process
    from gateway.demo.data import DEMO_USERS, demo_models, demo_settings
    from gateway.demo.folder import demo_day, mark_seeded
    from gateway.demo.trial import prepare_policies
    from gateway.http.app import create_app
    from gateway.migrate import upgrade

    data_dir.mkdir(parents=True, exist_ok=True)
    model = demo_models()[0].alias
    # Every demo date is relative to the seed day, kept for a week of restarts (gateway.demo.folder).
    day = demo_day(
        data_dir=data_dir, today=datetime.now(ZoneInfo("Asia/Tokyo")).date(), fresh=fresh
    )
    if day.moved_to is not None:
        click.echo(
            f"前回のデモを {day.moved_to} に移し、今日から始め直します / previous demo moved aside"
        )
    # The seed of the policies in the database (read on the first start only).
    folder = prepare_policies(data_dir=data_dir, today=day.day, model_alias=model)
    settings = demo_settings(port=port, data_dir=data_dir, policies_dir=folder)
    upgrade(settings.database.url)
    token = asyncio.run(_seed_demo(settings, data_dir=data_dir, today=day.day))
    mark_seeded(data_dir=data_dir, day=day.day)
    click.echo(f"""
Kakehashi デモ / demo — http://127.0.0.1:{port}
  sign in / ログイン: http://127.0.0.1:{port}/login  (development IdP: pick a demo user)
{demo_user_lines()}
  model: {model} ({settings.models[0].description})
  demo API key for {DEMO_USERS[0].email} ({DEMO_USERS[0].department}):
    {token}
  try:
    curl -s http://127.0.0.1:{port}/v1/chat/completions -H "Authorization: Bearer {token}" \\
      -H 'content-type: application/json' \\
      -d '{{"model": "{model}", "messages": [{{"role": "user", "content": "こんにちは"}}]}}'
""")
    process.tune()
    app = create_app(settings, started=process.freeze_heap)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
