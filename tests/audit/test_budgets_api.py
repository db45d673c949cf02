"""Budgets and IT's overview through a running gateway: the JSON, the CSV and the quota
ledger agree on every figure; managers see their own department only, staff nothing; the
background check sends the alert to a real SMTP server and webhook once."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from typing import Any

import httpx

from gateway.kernel.principal import Role
from tests.fixtures.gateway import RunningGateway
from tests.fixtures.notify import Mailbox, Webhook
from tests.fixtures.policies import PolicyFolder
from tests.support.spend import ask, priced

SALES, GA = "営業部", "総務部"


def get(gw: RunningGateway, key: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{gw.base_url}{path}", headers={"authorization": f"Bearer {key}"}, params=params
    )


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _numbers(line: dict[str, Any]) -> dict[str, str]:
    """A JSON line as the CSV prints it."""

    def cell(v: float | None) -> str:
        return "" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))

    return {
        "今日のトークン": cell(line["today"]["tokens"]),
        "今日の円": cell(line["today"]["yen"]),
        "今月のトークン": cell(line["month"]["tokens"]),
        "今月の円": cell(line["month"]["yen"]),
        "今月の上限円": cell(line["month_limit"]["yen"]),
        "月末予測円": cell(line["forecast"]["yen"]),
    }


def test_budgets_json_csv_ledger_and_overview_agree(
    policy_gateway: Callable[..., RunningGateway],
    policy_folder: PolicyFolder,
    upstream_url: str,
    smtp_server: Mailbox,
    webhook_receiver: Webhook,
) -> None:
    policy_folder.write(
        f"{SALES}.yaml",
        """\
        allowed_models: ["mock-*", broken]
        quotas:
          department: {month: {yen: 100}}
          per_user: {month: {yen: 50}}
          reserve_output_tokens: 16
          alert_at: [0.05]
        """,
    )
    notify = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_server.port,
        "smtp_starttls": False,
        "mail_to": ["it@example.co.jp"],
        "webhook_url": webhook_receiver.url,
        "alert_check_s": 0.2,
    }
    gw = policy_gateway(models=priced(upstream_url), notify=notify)
    sato, yamada = gw.make_key("sato@example.co.jp"), gw.make_key("yamada@example.co.jp")
    takahashi = gw.make_key("takahashi@example.co.jp", GA)
    for key in (sato, sato, yamada, takahashi):
        assert ask(gw, key).status_code == 200
    assert ask(gw, sato, "secret-model").status_code == 403  # a refusal for the overview
    assert ask(gw, yamada, "broken").status_code == 502  # the upstream fails
    events = gw.wait_for_audit(6)
    admin = gw.make_key("tanaka@example.co.jp", "情報システム部", Role.ADMIN)

    report = get(gw, admin, "/api/budgets").json()
    lines = {(d["department"], d["user"]): d for d in report["departments"] + report["users"]}
    sales = lines[(SALES, None)]
    spent = sum(e.cost_jpy for e in events if e.department == SALES)
    assert spent > 0
    assert sales["month"]["yen"] == round(spent, 2)
    assert sales["month"]["tokens"] == sum(
        e.prompt_tokens + e.completion_tokens for e in events if e.department == SALES
    )
    assert sales["today"] == sales["month"]
    assert lines[(SALES, "sato@example.co.jp")]["month_limit"]["yen"] == 50

    # The quota ledger (what enforcement counts) has the same month.
    ledger = get(gw, admin, "/api/quota").json()["departments"][SALES]
    [month_yen] = [b for b in ledger if (b["window"], b["unit"]) == ("month", "yen")]
    assert round(month_yen["used"], 2) == sales["month"]["yen"]

    exported = csv_rows(get(gw, admin, "/api/budgets.csv"))
    assert len(exported) == len(lines)
    for row in exported:
        line = lines[(row["部署"], row["利用者"] or None)]
        assert {k: row[k] for k in _numbers(line)} == _numbers(line)

    overview = get(gw, admin, "/api/admin/overview").json()
    assert overview["budgets"]["departments"] == report["departments"]
    assert overview["today"] == {"requests": 6, "answers": 4, "refused": 1, "failed": 1}
    kpis = get(gw, admin, "/api/kpi").json()
    assert overview["month"]["refusals"] == kpis["refusals"] == {"model_not_allowed": 1}
    assert overview["month"]["cost_jpy"] == kpis["cost_jpy"]
    assert overview["chain"]["head_seq"] >= len(events)
    states = {p["model"]: (p["state"], p["requests"]) for p in overview["providers"]}
    assert states["mock-model"] == ("ok", 4)
    assert states["broken"] == ("down", 1)
    assert states["secret-model"] == ("idle", 0)  # refused before anything was sent

    # The background check told IT once (5 % of 100 円: 5 円; three answers cost 6.75 円).
    deadline = time.monotonic() + 15
    while not (smtp_server.messages and webhook_receiver.posts) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # a few more checks: still one
    assert [m["Subject"] for m in smtp_server.messages] == [
        f"[Kakehashi] {SALES} の今月の予算 (円) が 5% に達しました"
    ]
    assert len(webhook_receiver.posts) == 1
    [alert] = gw.audit_events("budget.alert")
    assert alert.department == SALES
    assert alert.detail["channels"] == {
        "email": "ok",
        "webhook": "ok",
    }


def test_managers_read_their_own_department_and_staff_nothing(gateway: RunningGateway) -> None:
    manager = gateway.make_key("suzuki@example.co.jp", SALES, Role.MANAGER)
    staff = gateway.make_key("sato@example.co.jp", SALES)
    for path in ("/api/budgets", "/api/budgets.csv"):
        assert get(gateway, manager, path).status_code == 200
        other = get(gateway, manager, path, department=GA)
        assert other.status_code == 403
        assert "ほかの部署" in other.json()["error"]["message"]
        assert get(gateway, staff, path).status_code == 403
    assert get(gateway, manager, "/api/admin/overview").status_code == 403
    mine = get(gateway, manager, "/api/budgets").json()
    assert [d["department"] for d in mine["departments"]] == [SALES]
