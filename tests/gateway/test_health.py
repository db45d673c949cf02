"""Health endpoints are public; readiness reflects the database and Redis."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.fixtures.gateway import RunningGateway
from tests.fixtures.services import RedisServer, free_port


def test_healthz_and_readyz_without_credentials(gateway: RunningGateway) -> None:
    assert httpx.get(f"{gateway.base_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{gateway.base_url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "audit": "ok", "policies": "ok"}


def test_readyz_checks_redis_when_configured(
    gateway_factory: Callable[..., RunningGateway], redis_server: RedisServer
) -> None:
    ok = gateway_factory(redis={"url": redis_server.url})
    assert httpx.get(f"{ok.base_url}/readyz").json()["checks"]["redis"] == "ok"
    down = gateway_factory(redis={"url": f"redis://127.0.0.1:{free_port()}/0"})
    response = httpx.get(f"{down.base_url}/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("unreachable")
