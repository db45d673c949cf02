"""The IT console in a real Chromium: an admin changes 営業部's policy in the form, sees the
effect before saving, and a staff request is then refused at the new limit; an invalid edit
shows `kakehashi policy check`'s message and changes nothing; a revert restores the limit.
Managers and staff cannot open any console page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import sign_in
from tests.fixtures.chat import SATO, ask, signed_in
from tests.fixtures.oidc import SsoGateway
from tests.fixtures.policies import EXAMPLES

pytestmark = pytest.mark.browser

ADMIN = "tanaka@demo.kakehashi.example"
MANAGER = "suzuki@demo.kakehashi.example"
SALES = quote("営業部")
CONSOLE_PAGES = (
    "/admin/policies",
    f"/admin/policies/{SALES}",
    f"/admin/customers/{SALES}",
    "/admin/proposals",
)


@pytest.fixture
def console_gateway(sqlite_chat_gateway_factory: Callable[..., SsoGateway]) -> SsoGateway:
    """Policies in the database, seeded from the examples on first start."""
    return sqlite_chat_gateway_factory(
        policies_source="database", policies_dir=str(EXAMPLES), policies_reload_s=0
    )


def _staff_asks(gw: SsoGateway) -> int:
    with signed_in(gw, SATO) as client:
        return ask(gw, client, [{"role": "user", "content": "こんにちは"}]).status_code


def _save(page: Page, reason: str) -> None:
    page.fill("#policy-form #reason", reason)
    page.click("#save")


def test_admin_edits_previews_saves_is_refused_when_invalid_and_reverts(
    page: Page, console_gateway: SsoGateway
) -> None:
    gw = console_gateway
    sign_in(page, gw, ADMIN, "/admin/policies")
    page.get_by_role("link", name="営業部").click()
    assert _staff_asks(gw) == 403  # the examples allow gpt-4o models only

    page.get_by_label("使えるモデル").fill("mock-*")
    _save(page, "試験用モデルを許可")
    expect(page.locator("#saved")).to_contain_text("版 2 を保存しました")
    assert _staff_asks(gw) == 200

    per_user_day = page.get_by_label("1 人あたりの1 日上限 (トークン)")
    per_user_day.fill("10")
    page.get_by_role("button", name="影響を確認 / Preview").first.click()
    expect(page.locator("#effects li")).to_have_text(
        ["営業部: 1 人あたりの1 日上限 (トークン) 200,000 トークン → 10 トークン"]
    )
    _save(page, "使いすぎ防止")
    expect(page.locator("#saved")).to_contain_text("版 3 を保存しました")
    assert _staff_asks(gw) == 429

    page.get_by_label("部署全体の1 日上限 (円)").fill("99,999")  # above the month's 30,000
    _save(page, "誤った変更")
    expect(page.locator("#problems")).to_contain_text(
        "1 日の上限が 1 か月の上限より大きくなっています"
    )
    expect(page.locator("#problems")).to_contain_text("営業部.yaml")
    page.goto(f"{gw.base_url}/admin/policies/{SALES}")
    assert page.locator("#history tbody tr").first.get_attribute("data-number") == "3"
    assert page.get_by_label("部署全体の1 日上限 (円)").input_value() == "2000"

    row = page.locator("#history tr[data-number='2']")
    row.get_by_placeholder("理由 / reason").fill("上限を戻す")
    row.get_by_role("button", name="この版に戻す / revert").click()
    expect(page.locator("#saved")).to_contain_text("版 4 を保存しました")
    expect(page.locator("#history tr[data-number='4']")).to_contain_text("版 2 に戻した")
    assert page.get_by_label("1 人あたりの1 日上限 (トークン)").input_value() == "200000"
    assert _staff_asks(gw) == 200
    changed = gw.audit_events("policy.changed")
    assert [e.detail["number"] for e in changed] == [2, 3, 4]
    assert {e.user_email for e in changed} == {ADMIN}


def test_console_pages_run_under_the_content_security_policy(
    page: Page, console_gateway: SsoGateway
) -> None:
    """The pages' script is the static file only: an inline handler would be blocked by the
    CSP and logged in the browser console, and whatever it was meant to do would not happen."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, console_gateway, ADMIN, "/admin/policies")
    for path in CONSOLE_PAGES:
        page.goto(f"{console_gateway.base_url}{path}")
        page.wait_for_load_state("networkidle")
        assert problems == [], path


def test_the_audit_table_stays_inside_its_card(page: Page, console_gateway: SsoGateway) -> None:
    """A wide table scrolls inside the page's card instead of running past its edge."""
    gw = console_gateway
    assert _staff_asks(gw) == 403  # a refused request: a row with a user, a department, a code
    sign_in(page, gw, ADMIN, "/admin/audit")
    assert page.locator("#audit-events tbody tr").count() >= 2
    card = page.locator("section.card:has(#audit-events)").bounding_box()
    shown = page.locator("#audit-events").evaluate(
        "t => (t.closest('.table-scroll') || t).getBoundingClientRect().right"
    )
    assert card is not None
    assert shown <= card["x"] + card["width"]


def test_the_audit_filters_are_japanese_lists_and_the_csv_follows_them(
    page: Page, console_gateway: SsoGateway, tmp_path: Path
) -> None:
    """IT picks 「拒否」 from a list; the table, the address and the CSV link all filter alike."""
    gw = console_gateway
    assert _staff_asks(gw) == 403  # one refused chat among the sign-ins
    sign_in(page, gw, ADMIN, "/admin/audit")
    page.select_option("#filter-outcome", label="拒否 (refused)")
    page.click("#filters button[type=submit]")
    expect(page.locator("#filter-outcome")).to_have_value("refused")
    assert "outcome=refused" in page.url
    outcomes = page.locator("#audit-events tbody tr td:nth-child(4)").all_inner_texts()
    assert outcomes
    assert all(o.startswith("拒否") for o in outcomes), outcomes  # the code stays in the CSV
    href = page.locator("#csv-link").get_attribute("href")
    assert href == "/api/audit.csv?outcome=refused"
    exported = page.request.get(f"{gw.base_url}{href}")
    assert exported.status == 200
    lines = exported.body().decode("utf-8-sig").splitlines()[1:]
    assert len(lines) == len(outcomes)
    assert all(",refused," in line for line in lines), lines
    page.screenshot(path=str(tmp_path / "audit-filters.png"), full_page=True)


@pytest.mark.parametrize("email", [MANAGER, SATO])
def test_managers_and_staff_cannot_open_the_console(
    console_gateway: SsoGateway, email: str
) -> None:
    gw = console_gateway
    with signed_in(gw, email) as client:
        for path in CONSOLE_PAGES:
            response = client.get(path, headers={"accept": "text/html"})
            assert response.status_code == 403, path
            assert response.headers["content-type"].startswith("text/html")
        posted = client.post(
            f"/admin/policies/{SALES}",
            data={"csrf_token": gw.csrf(client), "action": "save", "document": "{}", "reason": "x"},
        )
        assert posted.status_code == 403
    assert not gw.audit_events("policy.changed")


NEW_CUSTOMER = "ソラマメ工房"


def _customer_spans(gw: SsoGateway, text: str) -> list[str]:
    with signed_in(gw, SATO) as client:
        response = client.post(
            "/api/redaction/preview",
            headers={"x-csrf-token": gw.csrf(client)},
            json={"text": text},
        )
    assert response.status_code == 200, response.text
    return [e["text"] for e in response.json()["entities"] if e["type"] == "CUSTOMER"]


def test_a_shift_jis_customer_list_is_previewed_by_line_then_accepted(
    page: Page, console_gateway: SsoGateway
) -> None:
    gw = console_gateway
    ask_text = f"{NEW_CUSTOMER}さんへの見積りの件"
    assert NEW_CUSTOMER not in _customer_spans(gw, ask_text)
    sign_in(page, gw, ADMIN, f"/admin/customers/{SALES}")
    expect(page.locator("#current-rows")).to_contain_text("株式会社ミライ精工")

    broken = "顧客名,別名,読み\n株式会社ミライ精工,ミライ精工,ミライセイコウ\n,名前なし,\n"
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "顧客.csv", "mimeType": "text/csv", "buffer": broken.encode("cp932")}],
    )
    page.get_by_role("button", name="読み込んで確認 / Preview").click()
    expect(page.locator("#preview")).to_contain_text("Shift_JIS (CP932)")
    expect(page.locator("#line-problems")).to_contain_text("3 行目: 顧客名 (name) が空です")
    expect(page.locator("#accept")).to_have_count(0)

    good = f"顧客名,別名,読み\n株式会社ミライ精工,ミライ精工,ミライセイコウ\n{NEW_CUSTOMER},ソラマメ,ソラマメコウボウ\n"
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "顧客.csv", "mimeType": "text/csv", "buffer": good.encode("cp932")}],
    )
    page.get_by_role("button", name="読み込んで確認 / Preview").click()
    expect(page.locator("#preview-rows")).to_contain_text(NEW_CUSTOMER)
    page.fill("#reason", "12 月の顧客一覧")
    page.click("#accept-button")
    expect(page.locator("#saved")).to_contain_text("版 2")
    expect(page.locator("#current-rows")).to_contain_text(NEW_CUSTOMER)
    assert NEW_CUSTOMER in _customer_spans(gw, ask_text)
    changed = gw.last_event("policy.changed")
    assert changed.detail["reason"] == "12 月の顧客一覧"
    assert changed.detail["effects"] == ["営業部: 顧客リスト 3 件 → 2 件"]
    assert f"+{NEW_CUSTOMER},ソラマメ,ソラマメコウボウ" in changed.detail["diff"]


def test_admin_approves_a_staff_word_proposal_on_the_page(console_gateway: SsoGateway) -> None:
    gw = console_gateway
    text = "来週はカワセミ案件の定例です"
    start = text.index("カワセミ")
    with signed_in(gw, SATO) as staff:
        corrected = staff.post(
            "/api/redaction/preview",
            headers={"x-csrf-token": gw.csrf(staff)},
            json={
                "text": text,
                "corrections": [
                    {"action": "add", "start": start, "end": start + 4, "type": "CODENAME"}
                ],
            },
        )
        assert corrected.status_code == 200, corrected.text
    with signed_in(gw, ADMIN) as admin:
        listing = admin.get("/admin/proposals")
        assert "カワセミ" in listing.text
        proposal = listing.text.split('<tr data-id="')[1].split('"')[0]
        decided = admin.post(
            f"/admin/proposals/{proposal}",
            data={"csrf_token": gw.csrf(admin), "decision": "approve"},
        )
        assert decided.status_code == 200  # back on the list
        assert "未決の提案はありません" in decided.text
    with signed_in(gw, SATO) as staff:
        again = staff.post(
            "/api/redaction/preview",
            headers={"x-csrf-token": gw.csrf(staff)},
            json={"text": text},
        )
    assert "カワセミ" in [e["text"] for e in again.json()["entities"]]
    assert gw.last_event("redaction.proposal_decided").user_email == ADMIN


def test_policies_kept_in_files_are_read_only_in_the_console(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_chat_gateway_factory(policies_dir=str(EXAMPLES))
    with signed_in(gw, ADMIN) as admin:
        shown = admin.get(f"/admin/policies/{SALES}")
        assert shown.status_code == 200
        assert f"{EXAMPLES}/営業部.yaml" in shown.text
        assert "<fieldset disabled>" in shown.text
        refused = admin.post(
            f"/admin/policies/{SALES}",
            headers={"accept": "text/html"},
            data={"csrf_token": gw.csrf(admin), "action": "save", "document": "{}", "reason": "x"},
        )
        assert refused.status_code == 409
        assert "で管理されています" in refused.text
    assert not gw.audit_events("policy.changed")
