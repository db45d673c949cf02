"""People (issue 15): an API key acts with its owner's *current* department and role, and a
disabled person's keys and sessions stop on the next request, on every replica (two gateways
sharing the database and Redis, each with a warm key cache)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.identity.epoch import PeopleEpoch
from gateway.identity.people import upsert_person
from gateway.kernel.db import make_async_engine, sessionmaker
from gateway.kernel.principal import Role
from tests.fixtures.chat import SATO
from tests.fixtures.gateway import RunningGateway
from tests.fixtures.oidc import SsoGateway
from tests.fixtures.services import RedisServer
from tests.support.spend import ask, priced

SUZUKI = "suzuki@example.co.jp"
IT = "it@example.co.jp"
DEMO_SUZUKI = "suzuki@demo.kakehashi.example"


def _get(gw: RunningGateway, key: str, path: str) -> httpx.Response:
    return httpx.get(f"{gw.base_url}{path}", headers={"authorization": f"Bearer {key}"})


def _replicas(factory: Callable[..., RunningGateway], redis: RedisServer) -> list[RunningGateway]:
    # A minute of key cache: only the people epoch can make them look the key up again.
    return [factory(redis={"url": redis.url}, api_key_cache_s=60) for _ in range(2)]


def person_id(gw: RunningGateway, admin_key: str, email: str) -> int:
    found = [p for p in _get(gw, admin_key, "/api/admin/people").json() if p["email"] == email]
    return int(found[0]["id"])


def move(gw: RunningGateway, redis_url: str | None, **change: Any) -> None:
    """What a provisioning change from outside this gateway does (SCIM on another replica,
    the CLI): the new row committed, then the people epoch bumped."""

    async def _move() -> None:
        engine = make_async_engine(gw.settings.database.url)
        try:
            async with sessionmaker(engine).begin() as session:
                await upsert_person(session=session, **change)
        finally:
            await engine.dispose()
        from redis.asyncio import Redis

        redis = Redis.from_url(redis_url) if redis_url else None
        await PeopleEpoch(redis).bump()
        if redis is not None:
            await redis.aclose()

    asyncio.run(_move())


def test_a_moved_manager_keeps_no_rights_through_an_old_key(
    gateway_factory: Callable[..., RunningGateway], redis_server: RedisServer
) -> None:
    a, b = _replicas(gateway_factory, redis_server)
    key = a.make_key(SUZUKI, "営業部", Role.MANAGER)
    for gw in (a, b):  # warm both caches
        assert _get(gw, key, "/api/kpi?department=営業部").status_code == 200
    move(a, redis_server.url, email=SUZUKI, department="総務部", role=Role.STAFF)
    for gw in (b, a):
        refused = _get(gw, key, "/api/kpi?department=営業部")
        assert refused.status_code == 403, refused.text
        me = _get(gw, key, "/api/me").json()
        assert (me["department"], me["role"]) == ("総務部", "staff")
    listed = _get(b, key, "/api/keys").json()
    assert [(k["department"], k["role"]) for k in listed] == [("総務部", "staff")]


def test_a_disabled_person_is_refused_on_every_replica_until_enabled(
    gateway_factory: Callable[..., RunningGateway], redis_server: RedisServer
) -> None:
    a, b = _replicas(gateway_factory, redis_server)
    admin = a.make_key(IT, "情報システム部", Role.ADMIN)
    staff = a.make_key()
    assert _get(b, staff, "/v1/models").status_code == 200  # cached on b
    assert _get(a, staff, "/api/admin/people").status_code == 403  # staff: not for them
    sato = person_id(a, admin, "sato@example.co.jp")
    url = f"{a.base_url}/api/admin/people/{sato}"
    done = httpx.post(
        f"{url}/disable", json={"reason": "退職"}, headers={"authorization": f"Bearer {admin}"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "disabled"
    for gw in (b, a):
        refused = _get(gw, staff, "/v1/models")
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert error["code"] == "account_disabled"
        assert "無効化" in error["message_ja"]
        assert "disabled" in error["message_en"]
    [event] = a.audit_events("user.disabled")
    assert (event.user_email, event.detail["by"], event.detail["reason"]) == (
        "sato@example.co.jp",
        IT,
        "退職",
    )
    listed = {p["email"]: p for p in _get(b, admin, "/api/admin/people").json()}
    assert listed["sato@example.co.jp"]["status"] == "disabled"
    self_disable = httpx.post(
        f"{a.base_url}/api/admin/people/{person_id(a, admin, IT)}/disable",
        json={},
        headers={"authorization": f"Bearer {admin}"},
    )
    assert self_disable.status_code == 400
    enabled = httpx.post(f"{url}/enable", json={}, headers={"authorization": f"Bearer {admin}"})
    assert enabled.status_code == 200
    assert _get(b, staff, "/v1/models").status_code == 200
    assert len(a.audit_events("user.enabled")) == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_without_redis_a_change_through_this_gateway_is_immediate(
    gateway_factory: Callable[..., RunningGateway],
) -> None:
    gw = gateway_factory(api_key_cache_s=60)
    admin = gw.make_key(IT, "情報システム部", Role.ADMIN)
    staff = gw.make_key()
    assert _get(gw, staff, "/v1/models").status_code == 200
    sato = person_id(gw, admin, "sato@example.co.jp")
    httpx.post(
        f"{gw.base_url}/api/admin/people/{sato}/disable",
        json={},
        headers={"authorization": f"Bearer {admin}"},
    )
    assert _get(gw, staff, "/v1/models").status_code == 403


def test_a_disabled_persons_session_and_sign_in_are_refused(sso_gateway: SsoGateway) -> None:
    admin = sso_gateway.make_key("tanaka@demo.kakehashi.example", "情報システム部", Role.ADMIN)
    with sso_gateway.client() as sato:
        assert sso_gateway.login(sato, SATO).status_code == 200
        sato_id = person_id(sso_gateway, admin, SATO)
        url = f"{sso_gateway.base_url}/api/admin/people/{sato_id}"
        httpx.post(f"{url}/disable", json={}, headers={"authorization": f"Bearer {admin}"})
        for _ in range(2):  # said again on each request, not once
            refused = sato.get("/api/me")
            assert refused.status_code == 403
            assert refused.json()["error"]["code"] == "account_disabled"
        page = sato.get("/", headers={"accept": "text/html"})
        assert page.status_code == 403
        assert "無効化されています" in page.text
        again = sso_gateway.login(sato, SATO)
        assert again.status_code == 403
        assert "disabled" in again.text
        assert sso_gateway.last_event("auth.login_failed").detail["reason"] == "account_disabled"
        httpx.post(f"{url}/enable", json={}, headers={"authorization": f"Bearer {admin}"})
        assert sato.get("/api/me").status_code == 401  # the old session stays ended
        assert sso_gateway.login(sato, SATO).status_code == 200


def test_sign_in_moves_the_person_and_their_existing_key_follows(sso_gateway: SsoGateway) -> None:
    # Made while 鈴木 was 総務部 staff; the IdP's groups now say 営業部 manager.
    key = sso_gateway.make_key(DEMO_SUZUKI, "総務部", Role.STAFF)
    assert _get(sso_gateway, key, "/api/kpi?department=営業部").status_code == 403  # cached
    with sso_gateway.client() as client:
        assert sso_gateway.login(client, DEMO_SUZUKI).status_code == 200
    assert _get(sso_gateway, key, "/api/kpi?department=営業部").status_code == 200
    event = sso_gateway.last_event("user.changed")
    assert event.detail["from"] == {"department": "総務部", "role": "staff"}
    assert (event.department, event.role, event.detail["via"]) == ("営業部", "manager", "sign-in")


def test_the_people_page_shows_this_months_use_as_the_api_does(
    gateway_factory: Callable[..., RunningGateway], upstream_url: str
) -> None:
    """The yen to the sen, as the other pages and the exports: a cheap model's month of use
    rounded to whole yen read as '0 円'."""
    gw = gateway_factory(models=priced(upstream_url))
    staff = gw.make_key(SATO, "営業部")
    admin = gw.make_key(IT, "情報システム部", Role.ADMIN)
    assert ask(gw, staff).status_code == 200
    gw.wait_for_audit(1)
    people = _get(gw, admin, "/api/admin/people").json()
    person = next(p for p in people if p["email"] == SATO)
    cost = person["cost_jpy_this_month"]
    assert cost != round(cost)  # a fraction of a yen to show
    page = httpx.get(
        f"{gw.base_url}/admin/people",
        headers={"authorization": f"Bearer {admin}", "accept": "text/html"},
    )
    row = re.search(
        rf'data-email="{re.escape(SATO)}".*?<td class="use">(.*?)</td>', page.text, re.S
    )
    assert row is not None
    assert row[1] == (
        f"{person['requests_this_month']:,} 件 · {person['tokens_this_month']:,} トークン · "
        f"{cost:,.2f} 円"
    )


def test_the_people_page_shows_why_someone_was_disabled_escaped(
    gateway_factory: Callable[..., RunningGateway],
) -> None:
    """IT reads why a colleague was disabled where they would re-enable them; the reason is
    typed by a person, so it is shown as text, never as markup; enabling clears it."""
    gw = gateway_factory()
    admin = gw.make_key(IT, "情報システム部", Role.ADMIN)
    gw.make_key(SATO, "営業部")
    sato = person_id(gw, admin, SATO)
    auth = {"authorization": f"Bearer {admin}"}
    reason = '退職のため <img src=x onerror="alert(1)">'
    disabled = httpx.post(
        f"{gw.base_url}/api/admin/people/{sato}/disable", json={"reason": reason}, headers=auth
    )
    assert disabled.json()["disabled_reason"] == reason

    def status_cell() -> str:
        page = httpx.get(f"{gw.base_url}/admin/people", headers=auth | {"accept": "text/html"})
        cell = re.search(
            rf'data-email="{re.escape(SATO)}".*?<td class="status">(.*?)</td>', page.text, re.S
        )
        assert cell is not None
        return cell[1]

    shown = status_cell()
    assert "理由 / reason: 退職のため &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in shown
    assert "<img" not in shown
    httpx.post(f"{gw.base_url}/api/admin/people/{sato}/enable", json={}, headers=auth)
    assert "退職のため" not in status_cell()
