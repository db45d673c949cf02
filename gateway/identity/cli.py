"""``kakehashi users …`` and ``kakehashi keys list|revoke``: what the people and keys pages do,
from a shell (CLI parity, issue 15). Thin callers of ``gateway.identity.people`` and
``gateway.identity.keys``; every change is audited with ``by: cli`` and announced through the
people epoch, so gateways sharing Redis follow on their next request (without Redis, within
``api_key_cache_s``).
"""

from __future__ import annotations

import asyncio
import csv
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from gateway.kernel.config import config_option, settings_from
from gateway.kernel.principal import role_ja
from gateway.kernel.settings import Settings

T = TypeVar("T")
_PEOPLE_COLUMNS = [
    *("email", "氏名", "部署", "役割", "状態", "最終利用"),
    *("今月の件数", "今月のトークン", "今月の円", "有効なキー"),
]


@dataclass
class _Ctx:
    settings: Settings
    sessions: Any  # async_sessionmaker
    audit: Any  # AuditSink
    epoch: Any  # PeopleEpoch

    async def people_changed(self) -> None:
        await self.epoch.bump()


@asynccontextmanager
async def _context(settings: Settings) -> AsyncIterator[_Ctx]:
    from audit.writer import AuditWriter
    from gateway.identity.epoch import PeopleEpoch
    from gateway.kernel.db import make_async_engine, sessionmaker

    engine = make_async_engine(settings.database.url)
    redis: Any = None
    if settings.redis.url:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis.url)
    sessions = sessionmaker(engine)
    try:
        yield _Ctx(settings, sessions, AuditWriter(sessions).append, PeopleEpoch(redis))
    finally:
        if redis is not None:
            await redis.aclose()
        await engine.dispose()


def _run(config: str | None, work: Callable[[_Ctx], Awaitable[T]]) -> T:
    from gateway.kernel.errors import KakehashiError

    async def _go() -> T:
        async with _context(settings_from(config)) as ctx:
            return await work(ctx)

    try:
        return asyncio.run(_go())
    except KakehashiError as exc:
        raise click.ClickException(exc.message) from exc


def _local(ctx: _Ctx, value: datetime | None) -> str:
    """Japan time (the deployment's time zone), as on the pages."""
    zone = ZoneInfo(ctx.settings.timezone)
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


@click.group()
def users() -> None:
    """People: list, disable, enable (the people page's actions)."""


@users.command("list")
@config_option
@click.option("--department", default=None)
def users_list(config: str | None, department: str | None) -> None:
    """Everyone with department, role, status, last seen and use this month (CSV)."""
    from gateway.identity import people

    async def work(ctx: _Ctx) -> list[list[str]]:
        async with ctx.sessions() as session:
            found = await people.list_people(
                session=session, timezone=ctx.settings.timezone, department=department
            )
        return [
            [
                p.email,
                p.display_name,
                p.department,
                role_ja(p.role),
                "無効" if p.status == "disabled" else "有効",
                _local(ctx, p.last_seen_at),
                str(p.requests_this_month),
                str(p.tokens_this_month),
                f"{p.cost_jpy_this_month:.0f}",
                str(p.active_keys),
            ]
            for p in found
        ]

    rows = _run(config, work)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(_PEOPLE_COLUMNS)
    out.writerows(rows)


def _set(config: str | None, email: str, reason: str, *, disabled: bool) -> None:
    from gateway.identity import people

    async def work(ctx: _Ctx) -> people.PersonOut:
        async with ctx.sessions() as session:
            person = await people.find_person(session=session, email=email)
        return await people.set_disabled(
            sessions=ctx.sessions,
            audit=ctx.audit,
            cache=ctx,
            person_id=person.id,
            disabled=disabled,
            by="cli",
            via="cli",
            reason=reason,
        )

    done = _run(config, work)
    what = "無効化しました / disabled" if disabled else "有効化しました / enabled"
    click.echo(f"{done.email}: {what}")


@users.command("disable")
@config_option
@click.argument("email")
@click.option("--reason", default="", help="recorded in the audit log")
def users_disable(config: str | None, email: str, reason: str) -> None:
    """Refuse every session and API key of EMAIL from the next request on."""
    _set(config, email, reason, disabled=True)


@users.command("enable")
@config_option
@click.argument("email")
@click.option("--reason", default="")
def users_enable(config: str | None, email: str, reason: str) -> None:
    """Let EMAIL sign in and use their keys again."""
    _set(config, email, reason, disabled=False)


@click.command("list")
@config_option
@click.option("--user", "email", default=None, help="only this person's keys")
@click.option("--department", default=None)
def keys_list(config: str | None, email: str | None, department: str | None) -> None:
    """Every API key (CSV): id, owner, department and role it acts with, status, dates."""
    from gateway.identity import keys, people

    async def work(ctx: _Ctx) -> tuple[list[keys.KeyOut], _Ctx]:
        async with ctx.sessions() as session:
            owner = await people.find_person(session=session, email=email) if email else None
            found = await keys.list_keys(
                session=session, user_id=owner.id if owner else None, department=department
            )
        return found, ctx

    found, ctx = _run(config, work)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["id", "名前", "接頭辞", "利用者", "部署", "役割", "状態", "作成", "期限"])
    for k in found:
        role = role_ja(k.role)
        dates = [_local(ctx, k.created_at), _local(ctx, k.expires_at)]
        out.writerow([k.id, k.name, k.prefix, k.user_email, k.department, role, k.status, *dates])


@click.command("revoke")
@config_option
@click.argument("key_id", type=int)
def keys_revoke(config: str | None, key_id: int) -> None:
    """Revoke API key KEY_ID (see ``kakehashi keys list``) for good."""
    from gateway.identity import keys

    async def work(ctx: _Ctx) -> keys.KeyOut:
        out = await keys.revoke_for_it(
            sessions=ctx.sessions, audit=ctx.audit, key_id=key_id, by="cli"
        )
        await ctx.epoch.bump()  # running gateways drop their cached copy of the key
        return out

    done = _run(config, work)
    click.echo(f"{done.id} ({done.prefix}…, {done.user_email}): 失効しました / revoked")


@click.group()
def scim() -> None:
    """SCIM provisioning (Entra ID, Okta): the provisioning client's bearer token."""


@scim.command("token")
@config_option
@click.option("--name", default="idp", help="who uses it, e.g. entra or okta (audited)")
def scim_token(config: str | None, name: str) -> None:
    """Make a bearer token for the IdP's provisioning client and print it once (stored hashed)."""
    from gateway.identity.scim import tokens
    from gateway.kernel.events import EventIn
    from gateway.kernel.vocab import EventType, Outcome

    async def work(ctx: _Ctx) -> str:
        async with ctx.sessions.begin() as session:
            token = await tokens.create_token(session=session, name=name)
        await ctx.audit(
            EventIn(
                event_type=EventType.SCIM_TOKEN_CREATED,
                outcome=Outcome.OK,
                detail={"name": name, "via": "cli"},
            )
        )
        return token

    click.echo(_run(config, work))
    click.echo("このトークンは二度と表示されません / this token is shown only once", err=True)
