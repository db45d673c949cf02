"""What an unauthenticated request leaves in the audit log: nothing when no credential was
offered (a browser before sign-in is sent to the sign-in page; a health poller is refused),
one event per client and reason per minute when a credential failed, with the repeats
counted on the next one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.identity.throttle import Throttle
from tests.fixtures.gateway import RunningGateway

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def gateway(gateway_factory: Callable[..., RunningGateway]) -> RunningGateway:
    return gateway_factory(in_process=True)  # no server: requests go through the app


@SQLITE
def test_visits_without_credentials_are_not_audited(gateway: RunningGateway) -> None:
    for _ in range(5):
        page = gateway.http.get("/", headers={"accept": "text/html"})
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login")
        api = gateway.http.get("/v1/models")
        assert api.status_code == 401
    assert gateway.audit_events("auth.failed") == []


@SQLITE
def test_a_failing_key_is_audited_once_per_window(gateway: RunningGateway) -> None:
    headers = {"authorization": "Bearer kk_not-a-real-key"}
    for _ in range(5):
        assert gateway.http.get("/v1/models", headers=headers).status_code == 401
    [event] = gateway.audit_events("auth.failed")
    assert event.detail["reason"] == "unknown, revoked or expired key"


def test_the_throttle_reports_repeats_on_the_next_window() -> None:
    now = [0.0]
    throttle = Throttle(window_s=60, clock=lambda: now[0])
    assert throttle.admit("10.0.0.1", "bad key") == 0
    assert [throttle.admit("10.0.0.1", "bad key") for _ in range(3)] == [None] * 3
    assert throttle.admit("10.0.0.2", "bad key") == 0  # another client: its own window
    now[0] = 61
    assert throttle.admit("10.0.0.1", "bad key") == 3
