"""Role and department checks for each role, signed in through the development IdP:
staff see their own things, managers their department, IT admins everything. Attempts to
reach another department's data by changing an id or a parameter are refused and audited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from gateway.migrate import upgrade
from redaction.engine import Redactor
from tests.fixtures.oidc import SsoGateway, dev_idp_values, start_sso_gateway

STAFF = "sato@demo.kakehashi.example"  # 営業部 staff
MANAGER = "suzuki@demo.kakehashi.example"  # 営業部 manager
OTHER = "takahashi@demo.kakehashi.example"  # 総務部 staff
ADMIN = "tanaka@demo.kakehashi.example"  # 情報システム部 admin


@dataclass
class Office:
    gw: SsoGateway
    clients: dict[str, httpx.Client]
    keys: dict[str, int]  # each user's own key id

    def as_(self, email: str) -> httpx.Client:
        return self.clients[email]

    def csrf(self, email: str) -> dict[str, str]:
        return {"x-csrf-token": self.gw.csrf(self.clients[email])}

    def forbidden_events(self) -> list[dict[str, object]]:
        return [e.detail for e in self.gw.audit_events("auth.forbidden")]


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, redactor: Redactor) -> Iterator[Office]:
    url = f"sqlite:///{tmp_path_factory.mktemp('roles') / 'kakehashi.db'}"
    upgrade(url)
    gw = start_sso_gateway(dev_idp_values(url), redactor)
    clients: dict[str, httpx.Client] = {}
    keys: dict[str, int] = {}
    for email in (STAFF, MANAGER, OTHER, ADMIN):
        clients[email] = gw.client()
        assert gw.login(clients[email], email).status_code == 200
        created = clients[email].post(
            "/api/keys", json={"name": "mine"}, headers={"x-csrf-token": gw.csrf(clients[email])}
        )
        assert created.status_code == 201, created.text
        keys[email] = created.json()["id"]
    yield Office(gw, clients, keys)
    for client in clients.values():
        client.close()
    gw.server.should_exit = True
    gw.thread.join(timeout=10)


@pytest.mark.parametrize(
    ("email", "department", "role"),
    [
        (STAFF, "営業部", "staff"),
        (MANAGER, "営業部", "manager"),
        (OTHER, "総務部", "staff"),
        (ADMIN, "情報システム部", "admin"),
    ],
)
def test_me_shows_department_and_role_from_the_idp(
    office: Office, email: str, department: str, role: str
) -> None:
    me = office.as_(email).get("/api/me").json()
    assert (me["email"], me["department"], me["role"]) == (email, department, role)


@pytest.mark.parametrize(
    ("email", "status"), [(STAFF, 403), (MANAGER, 403), (OTHER, 403), (ADMIN, 200)]
)
def test_admin_key_list_is_for_it_admins_only(office: Office, email: str, status: int) -> None:
    response = office.as_(email).get("/api/admin/keys")
    assert response.status_code == status
    if status == 200:
        assert {k["user_email"] for k in response.json()} >= {STAFF, MANAGER, OTHER, ADMIN}
    else:
        assert response.json()["error"]["code"] == "forbidden"
        assert office.forbidden_events()[-1] == {
            "reason": "role",
            "path": "/api/admin/keys",
            "method": "GET",
            "required": "admin",
        }


@pytest.mark.parametrize(
    ("email", "department", "status"),
    [
        (STAFF, "営業部", 403),  # staff: no department views, not even their own
        (MANAGER, "営業部", 200),
        (MANAGER, "総務部", 403),  # changing the path to another department
        (OTHER, "総務部", 403),
        (ADMIN, "営業部", 200),
        (ADMIN, "総務部", 200),
    ],
)
def test_department_views(office: Office, email: str, department: str, status: int) -> None:
    response = office.as_(email).get(f"/api/departments/{department}/keys")
    assert response.status_code == status
    if status == 200:
        assert {k["department"] for k in response.json()} == {department}
    else:
        assert office.forbidden_events()[-1]["path"] == f"/api/departments/{department}/keys"


def test_manager_changing_a_query_parameter_is_refused(office: Office) -> None:
    client = office.as_(MANAGER)
    assert client.get("/api/admin/keys", params={"department": "総務部"}).status_code == 403
    # The shared helper, through a route that takes the department from the query string.
    assert (
        client.get("/api/departments/営業部/keys", params={"department": "総務部"}).status_code
        == 200
    )
    assert {k["department"] for k in client.get("/api/departments/営業部/keys").json()} == {
        "営業部"
    }


@pytest.mark.parametrize(
    ("email", "owner", "status"),
    [
        (STAFF, STAFF, 200),
        (STAFF, MANAGER, 403),
        (STAFF, OTHER, 403),  # changing the id to another department's key
        (MANAGER, STAFF, 200),  # a manager reads their department's keys
        (MANAGER, OTHER, 403),
        (OTHER, STAFF, 403),
        (ADMIN, OTHER, 200),
    ],
)
def test_reading_a_key_by_id(office: Office, email: str, owner: str, status: int) -> None:
    response = office.as_(email).get(f"/api/keys/{office.keys[owner]}")
    assert response.status_code == status
    if status == 403:
        event = office.forbidden_events()[-1]
        assert (event["reason"], event["path"]) == ("not owner", f"/api/keys/{office.keys[owner]}")


def test_only_owners_and_admins_revoke(office: Office) -> None:
    victim = office.keys[STAFF]
    for email in (MANAGER, OTHER):
        refused = office.as_(email).delete(f"/api/keys/{victim}", headers=office.csrf(email))
        assert refused.status_code == 403
    assert office.as_(STAFF).get(f"/api/keys/{victim}").json()["status"] == "active"
    revoked = office.as_(ADMIN).delete(f"/api/keys/{victim}", headers=office.csrf(ADMIN))
    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")
    event = office.gw.last_event("key.revoked")
    assert (event.user_email, event.detail["owner"], event.detail["key_id"]) == (
        ADMIN,
        STAFF,
        victim,
    )


def test_missing_key_is_404(office: Office) -> None:
    response = office.as_(ADMIN).get("/api/keys/999999")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_staff_api_key_cannot_call_admin_apis(office: Office) -> None:
    token = office.gw.make_key(email="yoshida@demo.kakehashi.example", department="営業部")
    headers = {"authorization": f"Bearer {token}"}
    assert httpx.get(f"{office.gw.base_url}/api/me", headers=headers).json()["role"] == "staff"
    response = httpx.get(f"{office.gw.base_url}/api/admin/keys", headers=headers)
    assert response.status_code == 403
    event = office.gw.last_event("auth.forbidden")
    assert (event.user_email, event.role) == ("yoshida@demo.kakehashi.example", "staff")


def test_admin_pages_show_every_key_to_admins_only(office: Office) -> None:
    html = {"accept": "text/html"}
    assert 'id="all-keys"' in office.as_(ADMIN).get("/keys", headers=html).text
    staff_page = office.as_(STAFF).get("/keys", headers=html).text
    assert 'id="all-keys"' not in staff_page
    assert OTHER not in staff_page
