"""``GET /metrics`` for Prometheus: the scraper's bearer token (``KAKEHASHI_METRICS_TOKEN``)
or a signed-in IT admin; anyone else is refused like every other protected route."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.auth import app_state, authenticate, require_role
from gateway.kernel.principal import Role
from gateway.metrics import CONTENT_TYPE

router = APIRouter(tags=["metrics"])

_admin = require_role(Role.ADMIN)


def _scraper(request: Request) -> bool:
    token = app_state(request).settings.metrics_token
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    return (
        token is not None
        and scheme.lower() == "bearer"
        and hmac.compare_digest(presented.strip().encode(), token.get_secret_value().encode())
    )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    if not _scraper(request):
        await _admin(request, await authenticate(request))
    body = app_state(request).metrics.exposition()
    return Response(body, media_type=CONTENT_TYPE)
