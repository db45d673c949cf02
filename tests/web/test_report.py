"""The manager's dashboard and the printable monthly report: right numbers, SVG charts, and
only for the manager's own department (IT admins: any)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from gateway.kernel.principal import Role
from tests.fixtures.gateway import RunningGateway
from tests.fixtures.policies import PolicyFolder
from tests.support.spend import priced

TODAY = datetime.now(ZoneInfo("Asia/Tokyo")).date()
COUNTS = ("評価なしも採用", "評価ありのみ")  # the KPI CSV's two time-saved columns


def _ask(gw: RunningGateway, key: str, use_case: str) -> str:
    response = httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}", "x-kakehashi-use-case": use_case},
        json={"model": "mock-model", "messages": [{"role": "user", "content": "お願いします"}]},
    )
    assert response.status_code == 200
    return response.headers["x-kakehashi-request-id"]


def _page(gw: RunningGateway, key: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{gw.base_url}{path}",
        params=params,
        headers={"authorization": f"Bearer {key}", "accept": "text/html"},
    )


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</div>', html, re.S)
    assert match, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def _md(iso: str) -> str:
    """2026-11-02 as the pages print it: 11/2."""
    return f"{int(iso[5:7])}/{int(iso[8:])}"


def _office(
    policy_gateway: Callable[..., RunningGateway], policy_folder: PolicyFolder, **settings: Any
) -> RunningGateway:
    start = TODAY - timedelta(days=9)
    policy_folder.write(
        "営業部.yaml",
        f"""\
        trial:
          start: {start.isoformat()}
          end: {(start + timedelta(days=89)).isoformat()}
          eligible_users: 4
          targets: {{hours_saved_per_week: 10, active_user_share: 0.5}}
        """,
    )
    gw = policy_gateway(**settings)
    staff = gw.make_key("sato@example.co.jp", "営業部")
    kept = _ask(gw, staff, "email_draft")
    dropped = _ask(gw, staff, "summary")
    for rid, body in ((kept, {"rating": 5, "minutes_saved": 30}), (dropped, {"rating": 1})):
        rated = httpx.post(
            f"{gw.base_url}/api/feedback",
            headers={"authorization": f"Bearer {staff}"},
            json={"request_id": rid, **body},
        )
        assert rated.status_code == 200
    return gw


def test_the_monthly_report_shows_this_months_numbers_with_charts(
    policy_gateway: Callable[..., RunningGateway], policy_folder: PolicyFolder
) -> None:
    gw = _office(policy_gateway, policy_folder)
    manager = gw.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    page = _page(gw, manager, "/reports/monthly", month=TODAY.strftime("%Y-%m"))
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") == 3
    assert "週ごとの削減時間" in html
    # One accepted answer, 30 minutes reported: 0.5 hours; the summary was rated 1.
    assert "0.5 時間" in _text(html, "kpi-total-hours")
    assert "採用 1 件 / 回答 2 件" in _text(html, "kpi-total-hours")
    assert "1 人" in _text(html, "kpi-users")
    assert "対象 4 人 (25%)" in _text(html, "kpi-users")
    assert "★ 3.0" in _text(html, "kpi-satisfaction")  # (5 + 1) / 2
    table = html[html.index('id="use-cases"') :]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", table)
    # label: (answers, accepted, minutes saved)
    assert {r[0]: r[1:] for r in rows} == {
        "メール下書き / e-mail draft": ("1", "1", "30"),
        "要約 / summary": ("1", "0", "0"),
    }
    assert "10 日目" in html  # the trial started 9 days ago


def test_the_dashboard_is_for_managers_of_the_department_and_it(
    policy_gateway: Callable[..., RunningGateway], policy_folder: PolicyFolder
) -> None:
    gw = _office(policy_gateway, policy_folder)
    staff = gw.make_key("sato@example.co.jp", "営業部")
    other = gw.make_key("ito@example.co.jp", "総務部", Role.MANAGER)
    manager = gw.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    admin = gw.make_key("it@example.co.jp", "情報システム部", Role.ADMIN)
    assert _page(gw, staff, "/dashboard").status_code == 403
    assert _page(gw, other, "/dashboard", department="営業部").status_code == 403
    assert _page(gw, other, "/reports/monthly", department="営業部").status_code == 403
    own = _page(gw, manager, "/dashboard")
    assert own.status_code == 200
    assert 'href="/api/kpi.csv?department=' in own.text
    everyone = _page(gw, admin, "/dashboard")
    assert "全部署" in everyone.text
    assert '<option value="営業部"' in everyone.text
    assert _page(gw, manager, "/reports/monthly", month="2026-13").status_code == 400
    assert "効果測定" in _page(gw, manager, "/").text  # in the manager's menu
    assert "効果測定" not in _page(gw, staff, "/").text


def test_the_dashboards_hours_per_week_is_the_csvs_figure_for_this_week(
    policy_gateway: Callable[..., RunningGateway], policy_folder: PolicyFolder
) -> None:
    gw = _office(policy_gateway, policy_folder)
    _ask(
        gw, gw.make_key("sato@example.co.jp", "営業部"), "email_draft"
    )  # unrated: the counts differ
    manager = gw.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    card = _text(_page(gw, manager, "/dashboard").text, "kpi-hours")
    csv = _page(gw, manager, "/api/kpi.csv").content.decode("utf-8-sig").splitlines()
    header, this_week = csv[0].split(","), csv[-1].split(",")
    week_start, week_last = (this_week[header.index(f"週の{e}日")] for e in ("開始", "終了"))
    per_week = float(this_week[header.index("週あたり削減時間")])
    span = f"{_md(week_start)}–{_md(week_last)}"
    assert f"週あたり削減時間 ({span} の週・7日換算)" in card  # not the bar's week total
    assert f"{per_week:.2f} 時間" in card
    total = float(this_week[header.index("削減時間 (時間)")])
    assert f"この週の合計 (換算前) {total:.2f} 時間" in card
    every, rated = (float(this_week[header.index(f"削減時間: {c} (時間)")]) for c in COUNTS)
    assert every > rated == 0.5  # the unrated e-mail draft counts only as adopted
    assert f"評価なしも採用 {every:.2f} 時間 · 評価ありのみ {rated:.2f} 時間" in card
    report = _page(gw, manager, "/reports/monthly").text
    for line in csv[1:]:  # every week the report shows is the CSV's row for that week
        row = dict(zip(header, line.split(","), strict=True))
        shown = re.search(rf'data-week="{row["週の開始日"]}">(.*?)</tr>', report, re.S)
        if shown:
            cells = re.findall(r"<td>(.*?)</td>", shown[1])
            assert cells[5:7] == [f"{float(row[f'削減時間: {c} (時間)']):.2f}" for c in COUNTS]
    assert re.search(r'data-week="[^"]+">', report)
    first = TODAY.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    assert f"({first} 〜 {last})" in report
    assert "の前日" not in report


def test_a_copied_answer_counts_as_accepted_even_when_rated_down(
    policy_gateway: Callable[..., RunningGateway], policy_folder: PolicyFolder
) -> None:
    gw = _office(policy_gateway, policy_folder)
    staff = gw.make_key("sato@example.co.jp", "営業部")
    other = gw.make_key("ito@example.co.jp", "営業部")
    dropped = gw.audit_events("chat.completion")[-1].request_id  # the summary rated 1
    url = f"{gw.base_url}/api/feedback/{dropped}/copied"
    assert httpx.post(url, headers={"authorization": f"Bearer {other}"}).status_code == 404
    assert httpx.post(url, headers={"authorization": f"Bearer {staff}"}).status_code == 204
    gw.drain_audit()
    manager = gw.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    html = _page(gw, manager, "/reports/monthly").text
    assert "採用 2 件 / 回答 2 件" in _text(html, "kpi-total-hours")
    assert gw.audit_events("answer.copied")[-1].request_id == dropped


def test_the_cost_card_shows_yen_to_the_sen_as_the_overview_and_the_api_do(
    policy_gateway: Callable[..., RunningGateway], policy_folder: PolicyFolder, upstream_url: str
) -> None:
    """Cheap models cost fractions of a yen per hour saved: rounded to whole yen the card said
    "0 円", and 25 円 where the overview said 24.93 for the same month."""
    gw = _office(policy_gateway, policy_folder, models=priced(upstream_url))
    manager = gw.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    kpis = _page(gw, manager, "/api/kpi").json()
    card = _text(_page(gw, manager, "/dashboard").text, "kpi-cost")
    cost, per_hour = kpis["cost_jpy"], kpis["cost_per_hour_saved"]
    assert cost != round(cost)  # 4.50 円: whole yen would hide the sen
    assert card == f"費用 {cost:,.2f} 円 削減 1 時間あたり {per_hour:,.2f} 円"


def _weeks(html: str) -> list[list[str]]:
    """The monthly report's weekly table, cell by cell, and its total row last."""
    rows = re.findall(r'<tr data-week="[^"]+">(.*?)</tr>', html, re.S)
    total = re.search(r'<tr id="weeks-total">(.*?)</tr>', html, re.S)
    assert total, "the weekly table has a total row"
    return [re.findall(r"<t[dh]>(.*?)</t[dh]>", row) for row in [*rows, total[1]]]


def test_the_monthly_reports_weeks_stay_in_the_month_and_add_up_to_it(
    policy_gateway: Callable[..., RunningGateway], policy_folder: PolicyFolder
) -> None:
    gw = _office(policy_gateway, policy_folder)
    staff = gw.make_key("sato@example.co.jp", "営業部")
    for use_case in ("email_draft", "summary", "email_draft"):
        _ask(gw, staff, use_case)
    manager = gw.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    # November 2026 starts on a Sunday and ends on a Monday: its first and last weeks are one
    # day each, not the whole weeks reaching into October and December.
    november = _weeks(_page(gw, manager, "/reports/monthly", month="2026-11").text)
    assert [row[0] for row in november] == [
        "11/1–11/1", "11/2–11/8", "11/9–11/15", "11/16–11/22", "11/23–11/29", "11/30–11/30",
        "2026年11月 合計",
    ]  # fmt: skip
    # This month: each additive column of the rows sums to the month's total row.
    html = _page(gw, manager, "/reports/monthly").text
    *weeks, total = _weeks(html)
    assert weeks[0][0].startswith(f"{TODAY.month}/1–")
    for column in (1, 2, 3):  # requests, answers, accepted
        assert sum(int(w[column]) for w in weeks) == int(total[column]) > 0
    for column in (4, 5, 6):  # hours saved: as counted, and both counts of unrated answers
        assert abs(sum(float(w[column]) for w in weeks) - float(total[column])) < 0.015
    # The report links the export of this very table: the same weeks, the same figures.
    link = re.search(r'id="report-export">.*?href="(/api/kpi\.csv\?[^"]+)"', html, re.S)
    assert link, "the report links its CSV"
    url = link[1].replace("&amp;", "&")
    csv = httpx.get(f"{gw.base_url}{url}", headers={"authorization": f"Bearer {manager}"})
    lines = csv.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    assert [f"{_md(r['週の開始日'])}–{_md(r['週の終了日'])}" for r in rows] == [w[0] for w in weeks]
    columns = ("依頼数", "回答数", "採用された回答", "削減時間 (時間)")
    for row, week in zip(rows, weeks, strict=True):
        assert [row[c] for c in columns[:3]] == week[1:4]
        assert f"{float(row[columns[3]]):.2f}" == week[4]
        assert f"{float(row['費用 (円)']):,.2f}" == week[9]  # to the sen, as the card


def test_the_dashboard_names_each_count_and_period(
    policy_gateway: Callable[..., RunningGateway], policy_folder: PolicyFolder
) -> None:
    gw = _office(policy_gateway, policy_folder)
    _ask(gw, gw.make_key("sato@example.co.jp", "営業部"), "email_draft")
    manager = gw.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    html = _page(gw, manager, "/dashboard").text
    total = _text(html, "kpi-total-hours")
    first = TODAY.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    # The period is named, not 今期.
    span = f"{_md(str(first))}–{_md(str(last))}"
    assert f"{TODAY.year}年{TODAY.month}月の削減時間 (合計, {span})" in total
    assert "今期" not in html
    # Star ratings and answers with any feedback are two counts with two names.
    assert re.search(r"フィードバックあり \d+ / \d+ 件", total)
    assert re.search(r"★評価 \d+ 件", _text(html, "kpi-satisfaction"))
    assert not re.search(r"(?<![★ぁ-ん])評価 \d+ 件", html)  # "評価 1〜2" is the scale
    # The bars are week totals, the headline a 7-day projection: both say so.
    assert "週ごとの削減時間 (週の合計、時間)" in html
    assert "7日換算" in _text(html, "kpi-hours")
