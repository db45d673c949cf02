"""Every route refuses a caller without credentials, except the few that must be public:
health checks, sign-in and its callback, sign-out, and static files."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.routing import Route

from tests.fixtures.gateway import RunningGateway

PUBLIC = {
    "/healthz",
    "/readyz",
    "/login",
    "/auth/login",
    "/auth/logout",
    "/auth/callback",
    "/auth/logged-out",
}


@pytest.fixture
def gateway(gateway_factory: Callable[..., RunningGateway]) -> RunningGateway:
    return gateway_factory(in_process=True)  # no server: requests go through the app


def _api_routes(routes: list[Any]) -> Iterator[Route]:
    # FastAPI keeps included routers as objects of their own: walk into them. Plain Starlette
    # routes (the OpenAI API's) count too: FastAPI's APIRoute is one.
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def test_every_route_but_the_public_ones_needs_credentials(gateway: RunningGateway) -> None:
    app = gateway.app
    checked, open_routes = 0, []
    for route in _api_routes(app.routes):
        if route.path in PUBLIC:
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in sorted(route.methods - {"HEAD"}):
            response = gateway.http.request(method, path, json={})
            checked += 1
            if response.status_code != 401:
                open_routes.append(f"{method} {route.path}: {response.status_code}")
    assert open_routes == []
    assert checked >= 30
    for public in ("/docs", "/openapi.json", "/redoc"):
        assert gateway.http.get(public).status_code in (401, 404)
