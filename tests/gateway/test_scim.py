"""SCIM 2.0 provisioning (issue 15): ``scim2-tester`` finds no failure against the running
endpoint, and what an IdP does through it reaches people's existing keys and sessions on their
next request: group membership moves them (the sign-in mapping), ``active: false`` and DELETE
stop them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from gateway.demo.data import DEMO_OIDC_MAPPING
from gateway.kernel.principal import Role
from tests.fixtures.chat import SATO
from tests.fixtures.gateway import RunningGateway
from tests.fixtures.oidc import SsoGateway

TOKEN = "scim-test-token-0123456789abcdef"
SCIM = {"authorization": f"Bearer {TOKEN}", "content-type": "application/scim+json"}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_scim2_tester_reports_no_failure(
    gateway_factory: Callable[..., RunningGateway], request: pytest.FixtureRequest
) -> None:
    gw = gateway_factory(scim_token=TOKEN, oidc={"mapping": DEMO_OIDC_MAPPING})
    with httpx2.Client(
        base_url=f"{gw.base_url}/scim/v2", headers={"Authorization": f"Bearer {TOKEN}"}
    ) as http:
        results = check_server(SyncSCIMClient(http))
    summary = Counter(r.status.name for r in results)
    failures = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    # The summary goes to the terminal (and so to the CI log) even when the test passes.
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"scim2-tester: {len(results)} checks: {dict(sorted(summary.items()))}"]
    lines += [f"  {f.resource_type} {f.title}: {f.reason}" for f in failures]
    if terminal is not None:
        terminal.write_line("\n" + "\n".join(lines))
    assert failures == [], "\n".join(lines)
    assert summary["SUCCESS"] >= 40


def _scim(gw: RunningGateway, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(method, f"{gw.base_url}/scim/v2{path}", json=body, headers=SCIM)


def _patch(gw: RunningGateway, path: str, *operations: dict[str, Any]) -> httpx.Response:
    return _scim(gw, "PATCH", path, {"schemas": [PATCH], "Operations": list(operations)})


def _group(gw: RunningGateway, name: str, *members: str) -> str:
    body = {"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in members]}
    created = _scim(gw, "POST", "/Groups", body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _as(gw: RunningGateway, key: str, path: str) -> httpx.Response:
    return httpx.get(f"{gw.base_url}{path}", headers={"authorization": f"Bearer {key}"})


def test_the_idp_moves_disables_and_deletes_a_person_through_scim(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_sso_gateway_factory(scim_token=TOKEN, api_key_cache_s=60)
    assert _scim(gw, "GET", "/Users").status_code == 200
    refused = httpx.get(f"{gw.base_url}/scim/v2/Users", headers={"authorization": "Bearer x"})
    assert refused.status_code == 401
    assert refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]

    # Entra ID looks the person up, then creates them; groups decide department and role.
    found = _scim(gw, "GET", f'/Users?filter=userName eq "{SATO}"').json()
    assert found["totalResults"] == 0
    made = _scim(gw, "POST", "/Users", {"schemas": [USER], "userName": SATO, "active": True})
    assert made.status_code == 201, made.text
    sato = str(made.json()["id"])
    assert _scim(gw, "POST", "/Users", {"schemas": [USER], "userName": SATO}).status_code == 409
    with gw.client() as browser:
        assert gw.login(browser, SATO).status_code == 200  # the dev IdP says: sales, staff
        key = gw.make_key(SATO, "総務部", Role.STAFF)  # made while in another department
        sales, managers = _group(gw, "sales", sato), _group(gw, "managers", sato)
        assert _as(gw, key, "/api/kpi?department=営業部").status_code == 200  # cached a minute
        assert browser.get("/api/me").json()["role"] == "manager"  # SCIM's groups now

        # Moved to 総務部 and no longer a manager: the existing key and session follow.
        general = _group(gw, "general-affairs")
        remove = {"op": "remove", "path": f'members[value eq "{sato}"]'}
        assert _patch(gw, f"/Groups/{sales}", remove).status_code == 200
        assert (
            _patch(
                gw,
                f"/Groups/{general}",
                {"op": "add", "path": "members", "value": [{"value": sato}]},
            ).status_code
            == 200
        )
        assert _patch(gw, f"/Groups/{managers}", remove).status_code == 200
        assert _as(gw, key, "/api/kpi?department=営業部").status_code == 403
        me = _as(gw, key, "/api/me").json()
        assert (me["department"], me["role"]) == ("総務部", "staff")
        assert browser.get("/api/me").json()["department"] == "総務部"
        moved = [e for e in gw.audit_events("user.changed") if e.user_email == SATO]
        assert moved[-1].detail["via"] == "scim"

        # Deprovisioned: active false stops both at once; DELETE keeps them stopped.
        off = _patch(gw, f"/Users/{sato}", {"op": "replace", "path": "active", "value": False})
        assert off.json()["active"] is False
        assert _as(gw, key, "/v1/models").status_code == 403
        assert browser.get("/api/me").json()["error"]["code"] == "account_disabled"
        assert _scim(gw, "DELETE", f"/Users/{sato}").status_code == 204
        assert _scim(gw, "GET", f"/Users/{sato}").status_code == 404
        assert _as(gw, key, "/v1/models").status_code == 403
        assert gw.login(browser, SATO).status_code == 403
    assert gw.last_event("user.disabled").detail["via"] == "scim"
