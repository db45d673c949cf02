"""Every security-relevant action reaches IT's audit log (``/api/audit``): keys created (CLI)
and revoked, refusals (401, 403), a quota hit (429), a redaction block, policy sets loaded and
rejected; caller input stays text in IT's CSV. Sign-in, sign-out and keys created in the
browser: tests/gateway/test_oidc_login.py and tests/gateway/test_keys.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from gateway.cli import main
from gateway.kernel.principal import Role
from tests.fixtures.gateway import RunningGateway
from tests.fixtures.policies import PolicyFolder


def _chat(
    gw: RunningGateway, key: str, content: str, max_tokens: int = 1, model: str = "mock-model"
) -> int:
    reply = httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={
            "model": model,
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": content}],
        },
    )
    return reply.status_code


def _cli_key(gw: RunningGateway, tmp_path: Path) -> None:
    config = tmp_path / "cli.yaml"
    config.write_text(f"mode: test\ndatabase:\n  url: {gw.settings.database.url}\n", "utf-8")
    args = ["keys", "create", "--config", str(config), "--user", "ito@example.co.jp"]
    result = CliRunner().invoke(main, [*args, "--department", "総務部"])
    assert result.exit_code == 0, result.output


def test_security_events_reach_the_audit_log(
    policy_gateway: Callable[..., RunningGateway], policy_folder: PolicyFolder, tmp_path: Path
) -> None:
    policy_folder.write(
        "営業部.yaml",
        "quotas: {per_user: {day: {tokens: 100}}}\n"
        "redaction: {redact: [], block: [CONFIDENTIAL_MARKER]}\n",
    )
    gw = policy_gateway()
    staff = gw.make_key("sato@example.co.jp", "営業部")
    spare = gw.make_key("sato@example.co.jp", "営業部")
    admin = gw.make_key("it@example.co.jp", "情報システム部", Role.ADMIN)
    auth = {"authorization": f"Bearer {staff}"}
    # Creating a key needs a browser sign-in: with an API key it is an audited 403.
    created = httpx.post(f"{gw.base_url}/api/keys", headers=auth, json={"name": "VS Code"})
    assert created.status_code == 403
    spare_id = max(k["id"] for k in httpx.get(f"{gw.base_url}/api/keys", headers=auth).json())
    revoked = httpx.delete(f"{gw.base_url}/api/keys/{spare_id}", headers=auth)
    assert revoked.status_code == 200
    assert _chat(gw, spare, "こんにちは") == 401
    _cli_key(gw, tmp_path)
    assert httpx.get(f"{gw.base_url}/api/audit", headers=auth).status_code == 403
    assert _chat(gw, staff, "【社外秘】来期の価格改定案を要約して") == 400
    assert _chat(gw, staff, "来期の予定を教えて", max_tokens=200) == 429
    policy_folder.write("営業部.yaml", "quotas: 5\n")  # rejected at the next reload
    assert _chat(gw, staff, "【社外秘】もう一度") == 400  # still the last good policy set
    assert _chat(gw, staff, "hi", model='=HYPERLINK("http://evil.example")') == 404
    gw.drain_audit()

    def log(event_type: str, **filters: str) -> list[dict[str, Any]]:
        reply = httpx.get(
            f"{gw.base_url}/api/audit",
            headers={"authorization": f"Bearer {admin}"},
            params={"event_type": event_type, **filters},
        )
        assert reply.status_code == 200
        events: list[dict[str, Any]] = reply.json()["events"]
        return events

    [cli_key] = log("key.created")
    assert (cli_key["user_email"], cli_key["department"]) == ("ito@example.co.jp", "総務部")
    [revoke] = log("key.revoked")
    assert (revoke["user_email"], revoke["detail"]["key_id"]) == ("sato@example.co.jp", spare_id)
    [failed] = log("auth.failed")
    assert (failed["status_code"], failed["detail"]["path"]) == (401, "/v1/chat/completions")
    forbidden = [(e["user_email"], e["detail"]["path"]) for e in log("auth.forbidden")]
    assert forbidden == [("sato@example.co.jp", "/api/audit"), ("sato@example.co.jp", "/api/keys")]
    refused = log("chat.completion", outcome="refused")
    assert [(e["status_code"], e["error_code"]) for e in refused] == [
        (404, "model_not_found"),
        (400, "content_blocked"),
        (429, "quota_exceeded"),
        (400, "content_blocked"),
    ]
    assert refused[1]["detail"]["blocked"] == ["CONFIDENTIAL_MARKER"]
    assert len(log("policy.loaded")) == 1
    [rejected] = log("policy.rejected")
    assert rejected["outcome"] == "refused"

    # A model name is caller input: in IT's CSV it stays text, never an Excel formula.
    csv_text = httpx.get(
        f"{gw.base_url}/api/audit.csv",
        headers={"authorization": f"Bearer {admin}"},
        params={"event_type": "chat.completion"},
    ).content.decode("utf-8-sig")
    [row] = [r for r in csv.DictReader(io.StringIO(csv_text)) if "HYPERLINK" in r["model"]]
    assert row["model"] == '\'=HYPERLINK("http://evil.example")'
