"""A real Chromium on the budgets page and IT's overview: every figure equals the CSV export
and the JSON API; a manager sees their own department only, and neither a manager nor staff
opens another department's budgets or the overview (an HTML 403 page)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.fixtures.browser import sign_in
from tests.fixtures.oidc import SsoGateway
from tests.fixtures.policies import PolicyFolder
from tests.support.spend import ask, priced

pytestmark = pytest.mark.browser

SALES, GA = "営業部", "総務部"
TANAKA = "tanaka@demo.kakehashi.example"  # 情報システム部, admin
SUZUKI = "suzuki@demo.kakehashi.example"  # 営業部, manager
TAKAHASHI = "takahashi@demo.kakehashi.example"  # 総務部, staff


@pytest.fixture
def busy_gateway(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway],
    policy_folder: PolicyFolder,
    upstream_url: str,
) -> SsoGateway:
    """Priced mock model, a 営業部 budget, and a few answers and one refusal already spent."""
    quotas = """\
        quotas:
          department: {month: {yen: 100, tokens: 5000}, day: {yen: 20}}
          per_user: {month: {yen: 50}}
          reserve_output_tokens: 16
        """
    return _spent(sqlite_chat_gateway_factory, policy_folder, upstream_url, quotas)


@pytest.fixture
def company_sized_gateway(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway],
    policy_folder: PolicyFolder,
    upstream_url: str,
) -> SsoGateway:
    """The same spending under limits as wide as the demo's (2,000,000 tokens, 30,000 yen)."""
    quotas = """\
        quotas:
          department:
            month: {yen: 30000, tokens: 20000000}
            day: {yen: 2000, tokens: 2000000}
          per_user:
            month: {yen: 2000, tokens: 2000000}
            day: {yen: 200, tokens: 200000}
          reserve_output_tokens: 16
        """
    return _spent(sqlite_chat_gateway_factory, policy_folder, upstream_url, quotas)


def _spent(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway],
    policy_folder: PolicyFolder,
    upstream_url: str,
    quotas: str,
) -> SsoGateway:
    policy_folder.write(f"{SALES}.yaml", quotas)
    gw = sqlite_chat_gateway_factory(
        policies_dir=str(policy_folder.path), policies_reload_s=0, models=priced(upstream_url)
    )

    def spend() -> None:
        sato = gw.make_key("sato@demo.kakehashi.example", SALES)
        takahashi = gw.make_key(TAKAHASHI, GA)
        for key in (sato, sato, takahashi):
            assert ask(gw, key).status_code == 200
        assert ask(gw, sato, "secret-model").status_code == 403
        gw.wait_for_audit(4)

    # Playwright's sync API runs an event loop in this thread; make_key runs one of its own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(spend).result()
    return gw


def _number(text: str) -> str:
    """A page cell as the CSV writes it: no separators, "—" for no limit."""
    return "" if text.strip() == "—" else text.strip().replace(",", "")


def _export(page: Page, url: str) -> list[dict[str, str]]:
    response = page.request.get(url)
    assert response.status == 200
    return list(csv.DictReader(io.StringIO(response.body().decode("utf-8-sig"))))


def _row_cells(page: Page, selector: str) -> dict[str, str]:
    cells = page.locator(f"{selector} [data-col]")
    return {
        cells.nth(i).get_attribute("data-col") or "": _number(cells.nth(i).inner_text())
        for i in range(cells.count())
    }


def test_admin_sees_budgets_and_overview_equal_to_the_exports(
    page: Page, busy_gateway: SsoGateway, tmp_path: Any
) -> None:
    gw = busy_gateway
    sign_in(page, gw, TANAKA, "/budgets")
    assert "予算" in page.inner_text("h1")
    assert "営業日" in page.inner_text("#as-of")
    assert "祝日を除く" in page.inner_text("#method")
    exported = _export(page, f"{gw.base_url}/api/budgets.csv")
    page_rows = page.locator("#budget-departments tbody tr, #budget-users tbody tr")
    assert page_rows.count() == len(exported) >= 4  # 営業部, 総務部, two people
    for row in exported:
        selector = f"tr[data-department='{row['部署']}']"
        selector += f"[data-user='{row['利用者']}']" if row["利用者"] else ":not([data-user])"
        shown = _row_cells(page, f"#budgets {selector}")
        assert shown == {k: row[k] for k in shown}, row
    sales = next(r for r in exported if r["区分"] == "部署" and r["部署"] == SALES)
    assert float(sales["今月の円"]) > 0
    assert sales["今月の上限円"] == "100.00"
    titles = page.locator("svg.burndown title").all_text_contents()
    assert f"{SALES} の今月の予算 (円)" in titles
    page.screenshot(path=str(tmp_path / "budgets.png"), full_page=True)

    page.goto(f"{gw.base_url}/admin/overview")
    api = page.request.get(f"{gw.base_url}/api/admin/overview").json()
    today = page.locator("#ov-today")
    assert today.locator("[data-key=requests]").inner_text() == str(api["today"]["requests"])
    assert today.locator("[data-key=refused]").inner_text() == "1"
    # The two figures sit side by side as cards, each number on one line with its unit.
    month = page.locator("#ov-month")
    assert today.locator("strong").inner_text() == f"{api['today']['requests']} 件"
    assert month.locator("strong").inner_text().endswith(" 円")
    today_box, month_box = today.bounding_box(), month.bounding_box()
    assert today_box is not None
    assert month_box is not None
    assert today_box["y"] == month_box["y"]
    assert today_box["x"] < month_box["x"]
    for row in (r for r in exported if r["区分"] == "部署"):
        shown = _row_cells(page, f"#ov-budgets tr[data-department='{row['部署']}']")
        assert shown == {k: row[k] for k in shown}
    refusals = page.locator("#ov-refusals tr[data-code=model_not_allowed]").inner_text()
    assert "許可されていないモデル" in refusals
    assert refusals.split()[-1] == str(api["month"]["refusals"]["model_not_allowed"])
    assert page.locator("#ov-chain [data-key=head_seq]").inner_text() == str(
        api["chain"]["head_seq"]
    )
    assert (
        page.locator("#ov-providers tr[data-model=mock-model]").get_attribute("data-state") == "ok"
    )
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)


def test_others_cannot_open_them(browser: Browser, busy_gateway: SsoGateway) -> None:
    gw = busy_gateway
    refused = [
        (SUZUKI, f"/budgets?department={GA}"),  # a manager, another department
        (SUZUKI, "/admin/overview"),
        (TAKAHASHI, "/budgets"),  # staff
        (TAKAHASHI, "/admin/overview"),
    ]
    for email, path in refused:
        context = browser.new_context(locale="ja-JP")
        page = context.new_page()
        sign_in(page, gw, email, "/")
        response = page.goto(f"{gw.base_url}{path}")
        assert response is not None
        assert (email, path, response.status) == (email, path, 403)
        assert response.headers["content-type"].startswith("text/html")
        assert "権限" in page.inner_text("main") or "ほかの部署" in page.inner_text("main")
        if email == SUZUKI:  # their own department opens, and only it
            page.goto(f"{gw.base_url}/budgets")
            shown = page.locator("#budget-departments tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.department)"
            )
            assert shown == [SALES]
        context.close()


def test_the_month_end_forecast_is_seen_on_a_laptop_without_scrolling_sideways(
    browser: Browser, company_sized_gateway: SsoGateway, tmp_path: Any
) -> None:
    """At 1366 px (a common laptop) both tables fit their box: the 月末予測 columns, the last
    at the right, are on screen, not behind a horizontal scroll at the bottom of a long list."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    sign_in(page, company_sized_gateway, TANAKA, "/budgets")
    for table in ("#budget-departments", "#budget-users"):
        box = page.locator(f"{table}").evaluate(
            "t => { const s = t.parentElement;"
            " return {scroll: s.scrollWidth, client: s.clientWidth}; }"
        )
        assert box["scroll"] <= box["client"], (table, box)
        forecast = page.locator(f"{table} tbody tr [data-col=月末予測円]").first.bounding_box()
        assert forecast is not None
        assert forecast["x"] + forecast["width"] <= 1366, table
    user = page.locator("#budget-users tbody tr").first
    assert user.locator("td.person small").inner_text() in (SALES, GA)
    page.screenshot(path=str(tmp_path / "budgets-1366.png"), full_page=True)
    context.close()
