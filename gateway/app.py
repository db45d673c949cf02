"""The application factory: ``create_app(settings)`` and the lifespan that builds ``AppState``.

No work at import time. The lifespan opens the database engine, the audit writer, the
provider clients and (when configured) Redis, and closes them in reverse order.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from audit.writer import AuditWriter
from gateway.db import make_async_engine, sessionmaker
from gateway.errors import BadRequest, KakehashiError
from gateway.provider import Providers
from gateway.routes import health, openai_api
from gateway.settings import Settings, load_settings
from gateway.state import AppState
from policies.model import Policy
from policies.resolve import PolicySet

log = logging.getLogger(__name__)


def _policies(settings: Settings) -> PolicySet:
    return PolicySet(default=Policy(allowed_models=settings.default_policy.allowed_models))


async def _redis(settings: Settings) -> object | None:
    if not settings.redis.url:
        return None
    from redis.asyncio import Redis

    return Redis.from_url(settings.redis.url)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_async_engine(settings.database.url, echo=settings.database.echo)
        audit = AuditWriter(sessionmaker(engine))
        audit.start()
        providers = Providers()
        redis = await _redis(settings)
        app.state.kakehashi = AppState(
            settings=settings,
            engine=engine,
            sessions=sessionmaker(engine),
            audit=audit,
            providers=providers,
            policies=_policies(settings),
            redis=redis,
        )
        try:
            yield
        finally:
            await audit.stop()
            await providers.aclose()
            if redis is not None:
                await redis.aclose()  # type: ignore[attr-defined]
            await engine.dispose()

    app = FastAPI(title="Kakehashi", version="0.1.0", lifespan=lifespan)
    app.include_router(health.router)
    app.include_router(openai_api.router)
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KakehashiError)
    async def _kakehashi_error(_request: Request, exc: KakehashiError) -> JSONResponse:
        return JSONResponse(exc.to_openai(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}" for e in exc.errors()
        )
        error = BadRequest(
            f"リクエストの形式が正しくありません: {problems}",
            f"The request is not valid: {problems}",
        )
        return JSONResponse(error.to_openai(), status_code=400)


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (used by ``kakehashi serve`` with several workers)."""
    path = os.environ.get("KAKEHASHI_CONFIG")
    from pathlib import Path

    return create_app(load_settings(Path(path) if path else None))
