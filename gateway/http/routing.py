"""What the application answers: every router in the order it is matched, the static files,
and the one error convention (a page for browsers, OpenAI-style JSON for the API, never a
plain-text 500). Kept apart from the factory (``gateway.http.app``), which builds the state.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.http.routes import audit as audit_log
from gateway.http.routes import (
    auth,
    budgets,
    conversations,
    corrections,
    documents,
    feedback,
    health,
    keys,
    kpi,
    me,
    metrics,
    openai_api,
    people,
    quota,
    redaction,
    scim,
    templates,
)
from gateway.http.routes import trials as trials_api
from gateway.kernel.errors import BadRequest, KakehashiError, Unavailable
from web import (
    audit_page,
    chat,
    dictionaries,
    history,
    pages,
    report,
    task_templates,
    trial_company,
    trial_review,
    trials,
)
from web import budgets as budget_pages
from web import console as policy_pages
from web import people as people_page
from web.errors import from_status, render_error, wants_html
from web.templating import STATIC

log = logging.getLogger(__name__)

# The API first, then the pages. Order matters where paths overlap: /trials/company before
# /trials/{id}. The OpenAI API's plain routes come before all of these (include_routers).
ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    redaction.router,
    corrections.router,
    auth.router,
    me.router,
    keys.router,
    people.router,
    scim.router,
    quota.router,
    feedback.router,
    documents.router,
    conversations.router,
    templates.router,
    kpi.router,
    trials_api.router,
    budgets.router,
    metrics.router,
    audit_log.router,
    pages.router,
    report.router,
    audit_page.router,
    policy_pages.router,
    dictionaries.router,
    people_page.router,
    chat.router,
    history.router,
    budget_pages.router,
    task_templates.router,
    trial_company.router,
    trials.router,
    trial_review.router,
)


LANES = openai_api.LANES  # served before the middleware stack (gateway.http.lane)


# Paths that read their body against a limit of their own (attached files: the department's),
# which gateway.http.bodies.LimitBodies leaves to them.
OWN_BODY_LIMITS = (documents.router.prefix + "/",)


def include_routers(app: FastAPI) -> None:
    app.router.routes.extend(openai_api.ROUTES)  # first: the hot path matches at once
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KakehashiError)
    async def _kakehashi_error(request: Request, exc: KakehashiError) -> Response:
        if wants_html(request):
            return render_error(request, exc)
        return JSONResponse(exc.to_openai(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}" for e in exc.errors()
        )
        error = BadRequest(
            f"リクエストの形式が正しくありません: {problems}",
            f"The request is not valid: {problems}",
        )
        return await _kakehashi_error(request, error)

    # The database cannot be reached (stopped, restarting, failing over): a clear 503 in the
    # caller's form, never a plain-text 500. Chat requests read it before the provider call
    # (API key, session, approved names), so such a request was not sent.
    async def _database_down(request: Request, exc: Exception) -> Response:
        log.error("database unreachable: %s: %s", type(exc).__name__, exc)
        error = Unavailable(
            "データベースに接続できません。しばらくしてからやり直してください。",
            "The database cannot be reached; please try again shortly.",
        )
        return await _kakehashi_error(request, error)

    app.add_exception_handler(DBAPIError, _database_down)
    app.add_exception_handler(ConnectionError, _database_down)  # asyncpg: refused, reset

    # Anything else is a bug: the caller still gets the one convention (JSON in Japanese and
    # English, or the error page), never Starlette's plain-text 500. Starlette's server-error
    # middleware calls this and re-raises, so the server logs the traceback.
    async def _internal_error(request: Request, _exc: Exception) -> Response:
        error = KakehashiError(
            "内部エラーが発生しました。IT 管理者に連絡してください。",
            "An internal error occurred; please tell your IT administrator.",
        )
        return await _kakehashi_error(request, error)

    app.add_exception_handler(Exception, _internal_error)

    # Routing refusals (no such URL, wrong method): a page for browsers, JSON for the API.
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return await _kakehashi_error(request, from_status(exc.status_code))
