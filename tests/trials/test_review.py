"""The monthly review on a fixed synthetic trial: every figure against hand arithmetic, both
counts of time saved, and the decisions (expand adds people to the policy; stop closes the
trial's tasks after its end date), each stored with the figures it was made on."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from openpyxl import load_workbook

from gateway.kernel.vocab import EventType, TaskRefusal
from gateway.trials.company import HEADER
from tests.fixtures.chat import signed_in
from tests.fixtures.oidc import SsoGateway
from tests.trials.conftest import ADMIN, MANAGER, STAFF, approved_trial, post

TODAY = datetime.now(ZoneInfo("Asia/Tokyo")).date()
START = TODAY - timedelta(days=6)  # a 7-day-old trial: hours per week = hours


def _ask(gw: SsoGateway, key: str, use_case: str) -> str:
    response = httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}", "x-kakehashi-use-case": use_case},
        json={"model": "mock-model", "messages": [{"role": "user", "content": "お願いします"}]},
    )
    assert response.status_code == 200, response.text
    return str(response.headers["x-kakehashi-request-id"])


def _rate(gw: SsoGateway, key: str, request_id: str, **body: object) -> None:
    rated = httpx.post(
        f"{gw.base_url}/api/feedback",
        headers={"authorization": f"Bearer {key}"},
        json={"request_id": request_id, **body},
    )
    assert rated.status_code == 200, rated.text


def _cell(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, element_id
    return re.sub(r"\s+", " ", match.group(1)).strip()


def _table(html: str, element_id: str) -> str:
    match = re.search(rf'<table id="{element_id}">(.*?)</table>', html, re.S)
    assert match, element_id
    return match.group(1)


def _row(html: str, key: str) -> str:
    match = re.search(rf'data-key="{key}">(.*?)</tr>', html, re.S)
    assert match, key
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_the_review_shows_hand_computed_figures_and_decisions_change_the_policy(
    trial_gateway: SsoGateway,
) -> None:
    gw = trial_gateway
    path = approved_trial(
        gw,
        start=START.isoformat(),
        people="a@example.co.jp\nb@example.co.jp\nc@example.co.jp\nd@example.co.jp",
        target_hours="1",
        target_active_pct="50",
        target_satisfaction="4",
        target_cost_per_hour="100000",
    )
    a = gw.make_key("a@example.co.jp", "営業部")
    b = gw.make_key("b@example.co.jp", "営業部")
    # email_draft (10 min each by policy): rated 5 with 30 min reported; rated 1; unrated.
    r1, r2, _r3 = (_ask(gw, a, "email_draft") for _ in range(3))
    _rate(gw, a, r1, rating=5, minutes_saved=30)
    _rate(gw, a, r2, rating=1, reason="敬語が不自然")
    # summary (15 min each): unrated; rated 4.
    _r4, r5 = (_ask(gw, b, "summary") for _ in range(2))
    _rate(gw, b, r5, rating=4)
    cost = sum(e.cost_jpy for e in gw.wait_for_audit(5))
    # Adopted: r1 (30 reported) + r3 (10) + r4 (15) + r5 (15) = 70 min; r2 was rated down.
    # Rated only: r3 and r4 (unrated, not copied) drop out = 45 min.
    with signed_in(gw, MANAGER) as manager:
        html = manager.get(f"{path}/review").text
    assert _row(html, "hours_per_week").startswith(
        f"削減時間 (時間/週) {70 / 60:.2f} 時間 1.0 時間 達成"
    )
    assert _row(html, "active_share") == "利用した対象者の割合 50% 50% 達成"  # 2 of 4
    assert _row(html, "satisfaction") == f"満足度 (平均 1〜5) {(5 + 1 + 4) / 3:.2f} 4.0 未達"
    assert f"{cost / (70 / 60):,.0f} 円" in _row(html, "cost_per_hour")
    assert _cell(html, "hours-all") == f"{70 / 60:.2f} 時間"
    assert _cell(html, "hours-rated") == f"{45 / 60:.2f} 時間"
    assert _cell(html, "rated-share").startswith("60% (3 / 5 件)")
    assert _cell(html, "reported").startswith("30 分 (1 件)")
    assert "敬語が不自然" in html
    low_ratings = _table(html, "low-ratings")  # the use case by its label, as in the table above
    assert "敬語が不自然" in low_ratings
    assert "email_draft" not in low_ratings
    assert "対象者 4 名のうち 2 名が利用しました" in html  # the 稟議 summary
    _company_view_agrees_with_dashboard_and_csv(gw, hours=round(70 / 60, 2), cost=cost)
    refused = httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {a}"},
        json={"model": "no-such-model", "messages": [{"role": "user", "content": "お願いします"}]},
    )
    assert refused.status_code == 404
    with signed_in(gw, MANAGER) as manager:
        vague = post(gw, manager, f"{path}/decision", {"decision": "expand", "comment": "拡大"})
        assert vague.status_code == 400
        form = {"decision": "expand", "comment": "好評のため拡大", "people": "e@example.co.jp"}
        assert post(gw, manager, f"{path}/decision", form).status_code == 303
        html = manager.get(f"{path}/review").text
    assert gw.app is not None
    policies = gw.app.state.kakehashi.policies
    trial = policies.for_department("営業部").trial
    assert trial is not None
    assert trial.eligible_users == 5
    assert "e@example.co.jp" in trial.people
    assert 'data-decision="expand"' in html
    assert "存在しないモデル 1 件" in _cell(html, "refusals")  # the reason in words, not its code
    assert f"削減 {70 / 60:.2f} 時間/週" in html  # the figures the decision was made on
    with signed_in(gw, MANAGER) as manager:
        form = {"decision": "stop", "comment": "目標未達のため中止"}
        assert post(gw, manager, f"{path}/decision", form).status_code == 303
        assert 'data-stage="stopped"' in manager.get(path).text
    email = policies.for_department("営業部").use_cases["email_draft"]
    assert email.until == trial.end
    sales = policies.for_department("営業部")
    assert sales.refusal("email_draft", email="a@example.co.jp", on=trial.end) is None
    after = trial.end + timedelta(days=1)
    assert sales.refusal("email_draft", email="a@example.co.jp", on=after) is TaskRefusal.CLOSED
    decided = gw.audit_events(EventType.TRIAL_DECIDED)
    assert [e.detail["decision"] for e in decided] == ["expand", "stop"]


def _same(value: object) -> object:
    """A cell as a comparable value (Excel reads 1.0 back as 1; the CSV says "1.0")."""
    try:
        return float(str(value))
    except ValueError:
        return "" if value is None else str(value)


def _company_view_agrees_with_dashboard_and_csv(
    gw: SsoGateway, *, hours: float, cost: float
) -> None:
    """IT's company page, its .xlsx and .csv show one table; its figures equal the dashboard's
    (this month) and the KPI CSV's (the weekly series over the trial). All usage is today."""
    with signed_in(gw, STAFF) as staff:
        assert staff.get("/trials/company", headers={"accept": "text/html"}).status_code == 403
    with signed_in(gw, MANAGER) as manager:
        assert manager.get("/trials/company.xlsx").status_code == 403
    with signed_in(gw, ADMIN) as admin:
        page = admin.get("/trials/company").text
        book = load_workbook(io.BytesIO(admin.get("/trials/company.xlsx").content))
        table = list(
            csv.reader(io.StringIO(admin.get("/trials/company.csv").content.decode("utf-8-sig")))
        )
        dashboard = admin.get("/dashboard", params={"department": "営業部"}).text
        kpi_csv = admin.get("/api/kpi.csv", params={"department": "営業部"}).content
    [sheet_row] = list(book.active.iter_rows(min_row=2, values_only=True))
    header, csv_row = table[0], table[1]
    assert tuple(header) == HEADER
    by_name = dict(zip(HEADER, sheet_row, strict=True))
    assert by_name["削減時間 (開始から、時間)"] == hours
    assert by_name["今月の削減時間"] == hours
    assert by_name["費用 (開始から、円)"] == round(cost, 2)
    assert by_name["段階"] == "承認済み・実施中"
    assert by_name["未達の目標"] == "満足度 (平均 1〜5)"
    assert [_same(v) for v in sheet_row] == [_same(v) for v in csv_row]
    cells = re.findall(r"<td>(.*?)</td>", re.search(r'data-trial="1">(.*?)</tr>', page, re.S)[1])
    assert cells[8] == f"{hours:,.2f}"
    shown = re.search(r'id="kpi-total-hours".*?<strong>(.*?)</strong>', dashboard, re.S)
    assert shown
    assert shown[1] == f"{hours:.1f} 時間"
    weekly = list(csv.DictReader(io.StringIO(kpi_csv.decode("utf-8-sig"))))
    assert round(sum(float(w["削減時間 (時間)"]) for w in weekly), 2) == hours
