"""Feedback and KPI routes through a running gateway: own answers only, department scoping,
and exports that open in Japanese spreadsheet software."""

from __future__ import annotations

import csv
import io

import httpx
import openpyxl

from gateway.kernel.principal import Role
from tests.fixtures.gateway import RunningGateway


def _ask(gw: RunningGateway, key: str, use_case: str = "email_draft") -> str:
    response = httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}", "x-kakehashi-use-case": use_case},
        json={"model": "mock-model", "messages": [{"role": "user", "content": "下書き"}]},
    )
    assert response.status_code == 200
    return response.headers["x-kakehashi-request-id"]


def _get(gw: RunningGateway, key: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{gw.base_url}{path}", headers={"authorization": f"Bearer {key}"}, params=params
    )


def _rate(gw: RunningGateway, key: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(
        f"{gw.base_url}/api/feedback", headers={"authorization": f"Bearer {key}"}, json=body
    )


def test_staff_rate_their_own_answers_and_the_kpis_count_it(gateway: RunningGateway) -> None:
    sato = gateway.make_key("sato@example.co.jp", "営業部")
    rid = _ask(gateway, sato)
    first = _rate(gateway, sato, {"request_id": rid, "rating": 2})
    assert first.status_code == 200
    # Changing one's mind replaces the rating (one row per answer).
    again = _rate(
        gateway, sato, {"request_id": rid, "helpful": True, "rating": 5, "minutes_saved": 20}
    )
    assert again.status_code == 200
    stored = _get(gateway, sato, f"/api/feedback/{rid}").json()
    assert (stored["rating"], stored["helpful"], stored["minutes_saved"]) == (5, True, 20.0)
    assert stored["use_case"] == "email_draft"

    manager = gateway.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    k = _get(gateway, manager, "/api/kpi").json()
    assert k["department"] == "営業部"
    assert (k["answers"], k["accepted"], k["ratings"], k["mean_rating"]) == (1, 1, 1, 5.0)
    assert k["minutes_saved"] == 20  # the reported minutes replace the 10-minute estimate


def test_nobody_rates_someone_elses_answer(gateway: RunningGateway) -> None:
    sato = gateway.make_key("sato@example.co.jp", "営業部")
    suzuki = gateway.make_key("suzuki@example.co.jp", "営業部", Role.MANAGER)
    rid = _ask(gateway, sato)
    stolen = _rate(gateway, suzuki, {"request_id": rid, "rating": 1})
    unknown = _rate(gateway, suzuki, {"request_id": "nope", "rating": 1})
    # The same answer for someone else's id and an unknown one: ids cannot be probed.
    assert stolen.status_code == unknown.status_code == 404
    assert stolen.json()["error"]["message"] == unknown.json()["error"]["message"]
    assert "自分の回答" in stolen.json()["error"]["message"]
    assert _get(gateway, suzuki, f"/api/feedback/{rid}").status_code == 404


def test_feedback_must_say_something_valid(gateway: RunningGateway) -> None:
    sato = gateway.make_key()
    rid = _ask(gateway, sato)
    for body in (
        {"request_id": rid},
        {"request_id": rid, "rating": 6},
        {"request_id": rid, "helpful": True, "minutes_saved": -1},
        {"request_id": rid, "helpful": True, "reason": "x" * 1001},
    ):
        response = _rate(gateway, sato, body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_request"
    assert "rating" in _rate(gateway, sato, {"request_id": rid}).json()["error"]["message_ja"]


def test_managers_read_only_their_department(gateway: RunningGateway) -> None:
    staff = gateway.make_key("sato@example.co.jp", "営業部")
    manager = gateway.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    admin = gateway.make_key("it@example.co.jp", "情報システム部", Role.ADMIN)
    _ask(gateway, staff)
    assert _get(gateway, staff, "/api/kpi").status_code == 403
    assert _get(gateway, manager, "/api/kpi", department="総務部").status_code == 403
    assert _get(gateway, manager, "/api/kpi.csv", department="総務部").status_code == 403
    assert _get(gateway, manager, "/api/kpi", department="営業部").status_code == 200
    everyone = _get(gateway, admin, "/api/kpi").json()
    assert everyone["department"] is None
    assert everyone["answers"] == 1
    assert _get(gateway, admin, "/api/kpi", department="総務部").json()["answers"] == 0
    refusals = list(gateway.audit_events("auth.forbidden"))
    assert {e.user_email for e in refusals} == {"sato@example.co.jp", "boss@example.co.jp"}


def test_exports_open_in_spreadsheet_software(gateway: RunningGateway) -> None:
    staff = gateway.make_key("sato@example.co.jp", "営業部")
    manager = gateway.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    _ask(gateway, staff)
    raw = _get(gateway, manager, "/api/kpi.csv").content
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert table[0][:4] == ["部署", "週の開始日", "週の終了日", "依頼数"]
    answers = table[0].index("回答数")
    assert sum(int(row[answers]) for row in table[1:]) == 1  # one answer this month
    assert {row[0] for row in table[1:]} == {"営業部"}

    book = openpyxl.load_workbook(io.BytesIO(_get(gateway, manager, "/api/kpi.xlsx").content))
    rows = list(book["KPI"].iter_rows(values_only=True))
    assert rows[0][0] == "部署"
    assert rows[1][0] == "営業部"
    assert sum(int(r[answers] or 0) for r in rows[1:]) == 1
    bad = _get(gateway, manager, "/api/kpi.csv", **{"from": "2026-12-01", "to": "2026-11-01"})
    assert bad.status_code == 400
