"""Health endpoints are public; readiness reflects the database and Redis."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fixtures.gateway import RunningGateway
from tests.fixtures.services import RedisServer, free_port


@pytest.fixture
def gateway(gateway_factory: Callable[..., RunningGateway]) -> RunningGateway:
    return gateway_factory(in_process=True)  # no server: requests go through the app


def test_healthz_and_readyz_without_credentials(gateway: RunningGateway) -> None:
    assert gateway.http.get("/healthz").json() == {"status": "ok"}
    ready = gateway.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "audit": "ok", "policies": "ok"}


def test_readyz_checks_redis_when_configured(
    gateway_factory: Callable[..., RunningGateway], redis_server: RedisServer
) -> None:
    ok = gateway_factory(in_process=True, redis={"url": redis_server.url})
    assert ok.http.get("/readyz").json()["checks"]["redis"] == "ok"
    down = gateway_factory(in_process=True, redis={"url": f"redis://127.0.0.1:{free_port()}/0"})
    response = down.http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("unreachable")
