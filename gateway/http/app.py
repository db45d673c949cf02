"""The application factory: ``create_app(settings)`` and the lifespan that builds ``AppState``.

No work at import time. The lifespan opens the database engine, the audit writer, the
provider clients and (when configured) Redis, and closes them in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from audit import alerts, notify
from audit.intents import Intents
from audit.writer import AuditWriter
from gateway import process
from gateway.corrections.approved import Approved
from gateway.demo.devidp import DevIdp
from gateway.http import routing
from gateway.http.bodies import LimitBodies
from gateway.http.lane import Gateway
from gateway.identity.epoch import PeopleEpoch
from gateway.identity.keycache import KeyCache
from gateway.identity.oidc import OidcClient
from gateway.identity.sessions import OneTimeStore, SessionStore
from gateway.kernel import logs
from gateway.kernel.config import config_path
from gateway.kernel.db import is_sqlite, make_async_engine, make_sync_engine, sessionmaker
from gateway.kernel.errors import ConfigError
from gateway.kernel.settings import Settings, load_settings
from gateway.provider import Providers
from gateway.provider.transports import Transport
from gateway.state import AppState, Redaction, Sso
from gateway.workspace import expiry
from policies.loader import PolicyInvalid
from policies.model import Policy, default_policy
from policies.pending import PendingSettles
from policies.quota import Ledger
from policies.quota_memory import MemoryStore
from policies.quota_redis import RedisStore
from policies.quota_store import QuotaStore
from policies.store import PolicyDatabase, PolicyStore
from redaction.analysis import FairLimiter
from redaction.cache import AnalysisCache, RedisResults
from redaction.engine import Redactor
from redaction.vault import MemoryVault, RedisVault, Vault

log = logging.getLogger(__name__)


def _policies(settings: Settings, engine: AsyncEngine, fallback: Policy) -> PolicyStore:
    database = None
    if settings.policies_source == "database":
        database = PolicyDatabase(sessions=sessionmaker(engine), seed=settings.policies_dir)
    try:
        return PolicyStore(
            directory=settings.policies_dir,
            fallback=fallback,
            interval_s=settings.policies_reload_s,
            database=database,
        )
    except PolicyInvalid as exc:
        raise ConfigError(f"policies_dir: the policy folder is not valid:\n{exc}") from exc


def _ledger(settings: Settings, redis: object | None) -> tuple[Ledger, PendingSettles | None]:
    quota = settings.quota
    store: QuotaStore = MemoryStore()
    pending = None
    if quota.store == "redis" or (quota.store == "auto" and redis is not None):
        # The wait for a pooled connection (back-pressure) comes on top of Redis's own answer.
        store = RedisStore(redis, timeout_s=quota.store_timeout_s + settings.redis.pool_timeout_s)
        pending = PendingSettles(store, settings.spool_path(), orphans_s=settings.spool_replay_s)
    ledger = Ledger(
        store,
        timezone=settings.timezone,
        hold_ttl_s=quota.hold_ttl_s,
        on_store_error=quota.on_store_error,
        jpy_per_usd=settings.jpy_per_usd,
        pending=pending,
    )
    return ledger, pending


async def _redaction(
    settings: Settings, redis: object | None, redactor: Redactor | None
) -> Redaction:
    if redactor is None:
        redactor = await anyio.to_thread.run_sync(Redactor.build)
    ttl = settings.redaction_vault_ttl_s
    vault: Vault
    if redis is not None:
        # A key of its own for the vault, derived from the deployment secret.
        key = hashlib.sha256(b"kakehashi-vault\0" + settings.secret_key.get_secret_value().encode())
        vault = RedisVault(redis, key.digest(), ttl)
    else:
        vault = MemoryVault(ttl)
    limiter = FairLimiter(total=2, per_owner=1)
    return Redaction(redactor, vault, limiter, _analysis_cache(settings, redis, redactor))


def _analysis_cache(
    settings: Settings, redis: object | None, redactor: Redactor
) -> AnalysisCache | None:
    if settings.redaction_cache_mb == 0:
        return None
    secret = settings.secret_key.get_secret_value().encode()
    shared = None
    if redis is not None:
        key = hashlib.sha256(b"kakehashi-analysis\0" + secret).digest()
        shared = RedisResults(redis, key, settings.redaction_vault_ttl_s)
    return AnalysisCache(
        secret=secret,
        analyser=redactor.version,
        max_bytes=settings.redaction_cache_mb << 20,
        shared=shared,
    )


async def _redis(settings: Settings) -> object | None:
    if not settings.redis.url:
        return None
    from redis.asyncio import BlockingConnectionPool, Redis

    # Bounded and blocking: a burst waits for a free connection (up to pool_timeout_s) instead
    # of failing at once ("Too many connections" from the default pool: issue 17).
    pool = BlockingConnectionPool.from_url(
        settings.redis.url,
        max_connections=settings.redis.max_connections,
        timeout=settings.redis.pool_timeout_s,
    )
    return Redis.from_pool(pool)


def _announce(settings: Settings, policies: PolicyStore) -> None:
    """The start-up line: where to reach this process and what it enforces."""
    server = settings.server
    current = policies.current
    log.info(
        "Kakehashi ready on %s (policies %s, version %s)",
        server.public_url or f"http://{server.host}:{server.port}",
        policies.directory or "default_policy",
        current.version,
        extra={
            "departments": sorted(current.by_department),
            "models": [m.alias for m in settings.models],
            "mode": settings.mode,
        },
    )


def _purger(state: AppState) -> asyncio.Task[None] | None:
    """Saved conversations past retention are deleted by every serving process (issue 14)."""
    interval = state.settings.conversation_purge_s
    if not interval:
        return None
    purging = expiry.purge_every(
        sessions=state.sessions, audit=state.audit.append, interval_s=interval
    )
    return asyncio.create_task(purging)


async def _check_idp(oidc: OidcClient) -> None:
    """Say at start-up, not at the first sign-in, when the company IdP cannot be reached."""
    try:
        await oidc.metadata()
    except Exception as exc:  # reported, not fatal: API keys keep working without the IdP
        log.error(
            "the IdP %s is unreachable or answers wrongly (%s); sign-in fails until it answers",
            oidc.issuer,
            exc,
        )
    else:
        log.info("the IdP %s answers", oidc.issuer)


def _watch_budgets(state: AppState) -> asyncio.Task[None]:
    """Budget alerts to IT (audit.alerts), checked in the background on every replica."""
    watch = alerts.watch(
        source=state.kpi_source(),
        notifier=state.notifier,
        audit=state.audit.append,
        interval_s=state.settings.notify.alert_check_s,
        public_url=state.settings.server.public_url,
    )
    return asyncio.create_task(watch)


def _dev_idp(settings: Settings) -> DevIdp | None:
    """The development IdP, only in demo/test mode (settings refuse it too; this guards
    settings changed after validation)."""
    if not settings.oidc.dev_idp:
        return None
    if settings.mode not in ("demo", "test"):
        raise ConfigError("oidc.dev_idp: the development IdP is refused in production mode")
    server = settings.server
    return DevIdp(
        settings=settings, base_url=server.public_url or f"http://{server.host}:{server.port}"
    )


def _oidc_client(settings: Settings, dev_idp: DevIdp | None) -> OidcClient | None:
    oidc = settings.oidc
    if oidc.issuer is None and dev_idp is None:
        return None
    secret = oidc.client_secret.get_secret_value() if oidc.client_secret else None
    if oidc.issuer is None and dev_idp is not None:
        issuer, client_id, secret = (
            dev_idp.issuer,
            dev_idp.client.client_id,
            dev_idp.client.client_secret,
        )
    else:
        issuer, client_id = str(oidc.issuer), oidc.client_id
    return OidcClient(
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        scopes=oidc.scopes,
        timeout_s=oidc.http_timeout_s,
        cache_seconds=oidc.discovery_cache_seconds,
    )


class CountRequests:
    """Counts the HTTP requests in flight (``AppState.requests``) for the pipeline, which writes
    a lone request's audit intent on the event loop, while several share the spool thread's
    group commit (``audit.intents``). Pure ASGI: streams stay unbuffered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = getattr(scope["app"].state, "kakehashi", None)
        if scope["type"] != "http" or state is None:
            await self.app(scope, receive, send)
            return
        state.requests += 1
        try:
            await self.app(scope, receive, send)
        finally:
            state.requests -= 1


def create_app(
    settings: Settings,
    *,
    redactor: Redactor | None = None,
    started: Callable[[], None] | None = None,
    transport: Transport | None = None,
) -> FastAPI:
    """``redactor``: a prebuilt analyzer to share (tests build one per session); by default
    the lifespan builds one. ``transport``: how OpenAI-compatible providers are reached
    (pooled HTTP/1.1 by default; tests pass the mock upstream in process, an ``AsgiTransport``)."""
    dev_idp = _dev_idp(settings)
    fallback = default_policy(settings.default_policy)  # a bad one stops here, not at start-up

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_async_engine(settings.database.url, echo=settings.database.echo)
        policies = _policies(settings, engine, fallback)
        url = settings.database.url
        redis = await _redis(settings)
        ledger, pending = _ledger(settings, redis)
        audit = AuditWriter(
            sessionmaker(engine),
            sync_engine=make_sync_engine(url) if is_sqlite(url) else None,
            wait_for_commit=settings.audit_wait_for_commit,
            intents=Intents(settings.spool_path(), fsync=settings.spool_fsync),
            # A dead process's requests are charged with their replayed audit intents.
            replay_attached=ledger.settle_lost,
            recover_s=settings.spool_replay_s,
        )
        audit.start()
        try:
            await policies.start(audit.append)
        except PolicyInvalid as exc:
            raise ConfigError(f"policies (database): the stored set is not valid:\n{exc}") from exc
        providers = Providers(transport, connections=settings.provider_connections)
        await anyio.to_thread.run_sync(providers.warm, settings.models)
        replays = asyncio.create_task(pending.run()) if pending is not None else None
        people = PeopleEpoch(redis)
        lease = asyncio.create_task(people.follow())
        sso = Sso(
            sessions=SessionStore(settings=settings, db=sessionmaker(engine)),
            once=OneTimeStore(redis),
            oidc=_oidc_client(settings, dev_idp),
        )
        app.state.kakehashi = AppState(
            settings=settings,
            engine=engine,
            sessions=sessionmaker(engine),
            audit=audit,
            providers=providers,
            policies=policies,
            quota=ledger,
            approved=Approved(sessionmaker(engine), interval_s=settings.policies_reload_s),
            redis=redis,
            sso=sso,
            redaction=await _redaction(settings, redis, redactor),
            keys=KeyCache(settings.api_key_cache_s, people=people),
            notifier=notify.from_settings(settings.notify),
        )
        _announce(settings, policies)
        purger = _purger(app.state.kakehashi)
        budget_alerts = _watch_budgets(app.state.kakehashi)
        idp_check = (
            asyncio.create_task(_check_idp(sso.oidc))
            if sso.oidc is not None and dev_idp is None
            else None
        )
        if started is not None:
            started()  # the server process's switches (gateway.process); tests pass none
        try:
            yield
        finally:
            budget_alerts.cancel()
            lease.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lease
            if idp_check is not None:
                idp_check.cancel()
            if purger is not None:
                purger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await purger
            if sso.oidc is not None:
                await sso.oidc.aclose()
            await audit.stop()
            await providers.aclose()
            if replays is not None and pending is not None:
                replays.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await replays
                await pending.replay(orphans=False)  # a last try before leaving
                await pending.close()
            if redis is not None:
                await redis.aclose()  # type: ignore[attr-defined]
            await engine.dispose()

    # No /docs, /redoc or /openapi.json: they would be public, and Swagger UI loads from a CDN.
    # No OpenTelemetry either (FastAPI's own hooks, checked on every request): the gateway's
    # metrics (/metrics) and JSON log lines say what is served.
    app = Gateway(
        lanes=routing.LANES,
        title="Kakehashi",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.add_middleware(CountRequests)
    app.add_middleware(
        LimitBodies, limit=settings.server.max_body_mb << 20, exempt=routing.OWN_BODY_LIMITS
    )
    routing.include_routers(app)
    if dev_idp is not None:
        app.include_router(dev_idp.router())
        app.state.dev_idp = dev_idp
    routing.install_error_handlers(app)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (the fault tests' gateway processes; ``kakehashi serve``
    builds its app once in ``gateway.server`` instead): the entry point of a server process, so it also sets the process-wide switches and the
    process's JSON logs."""
    process.tune()
    logs.configure()
    return create_app(load_settings(config_path(None)), started=process.freeze_heap)
