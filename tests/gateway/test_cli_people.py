"""CLI parity for people and keys (issue 15): ``kakehashi users list|disable|enable`` and
``kakehashi keys list|revoke``, run as real subprocesses against a running gateway that shares
the database and Redis; a change from the shell reaches the gateway's warm key cache on the
next request."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.fixtures.gateway import RunningGateway
from tests.fixtures.services import RedisServer
from tests.gateway.test_cli import kakehashi

SATO = "sato@example.co.jp"


def _models(gw: RunningGateway, key: str) -> int:
    return httpx.get(f"{gw.v1}/models", headers={"authorization": f"Bearer {key}"}).status_code


def _rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_users_and_keys_from_the_shell(
    gateway_factory: Callable[..., RunningGateway], redis_server: RedisServer, tmp_path: Path
) -> None:
    gw = gateway_factory(redis={"url": redis_server.url}, api_key_cache_s=60)
    config = tmp_path / "cli.yaml"
    config.write_text(
        f"mode: test\ndatabase:\n  url: {gw.settings.database.url}\n"
        f"redis:\n  url: {redis_server.url}\n",
        "utf-8",
    )
    cfg = ("--config", str(config))
    key = gw.make_key(SATO, "営業部")
    assert _models(gw, key) == 200  # cached for a minute

    listed = kakehashi("users", "list", *cfg)
    assert listed.returncode == 0, listed.stderr
    [sato] = _rows(listed.stdout)
    assert (sato["email"], sato["部署"], sato["役割"], sato["状態"]) == (
        SATO,
        "営業部",
        "一般社員",
        "有効",
    )
    assert sato["有効なキー"] == "1"

    disabled = kakehashi("users", "disable", SATO, "--reason", "退職", *cfg)
    assert disabled.returncode == 0, disabled.stderr
    assert _models(gw, key) == 403
    assert _rows(kakehashi("users", "list", *cfg).stdout)[0]["状態"] == "無効"
    assert kakehashi("users", "enable", SATO, *cfg).returncode == 0
    assert _models(gw, key) == 200

    [row] = _rows(kakehashi("keys", "list", "--user", SATO, *cfg).stdout)
    assert (row["利用者"], row["状態"]) == (SATO, "active")
    revoked = kakehashi("keys", "revoke", row["id"], *cfg)
    assert revoked.returncode == 0, revoked.stderr
    assert _models(gw, key) == 401
    assert _rows(kakehashi("keys", "list", *cfg).stdout)[0]["状態"] == "revoked"
    events = [e.event_type for e in gw.audit_events() if e.user_email == SATO]
    assert events[-3:] == ["user.disabled", "user.enabled", "key.revoked"]

    unknown = kakehashi("users", "disable", "nobody@example.co.jp", *cfg)
    assert unknown.returncode != 0
    assert "No person" in unknown.stderr

    made = kakehashi("scim", "token", "--name", "entra", *cfg)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    scim = httpx.get(f"{gw.base_url}/scim/v2/Users", headers={"authorization": f"Bearer {token}"})
    assert scim.status_code == 200
    assert SATO in {u["userName"] for u in scim.json()["Resources"]}
    assert token.startswith("kks_")
    assert "shown only once" in made.stderr
