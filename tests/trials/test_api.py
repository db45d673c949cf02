"""The trials as JSON (/api/trials): who sees what (IT all, a manager their department, staff
refused and audited), and the review's figures equal to the review page's and the company
export's — including a trial nobody rated yet (null in JSON, "—（未評価）" on pages and files)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from gateway.kernel.principal import Role
from gateway.kernel.vocab import EventType
from gateway.trials.company import HEADER, UNRATED
from tests.fixtures.chat import signed_in
from tests.fixtures.oidc import SsoGateway
from tests.trials.conftest import ADMIN, MANAGER, STAFF, approved_trial, post, proposal_form

START = datetime.now(ZoneInfo("Asia/Tokyo")).date() - timedelta(days=6)


def _api(gw: SsoGateway, key: str, path: str) -> httpx.Response:
    return httpx.get(f"{gw.base_url}{path}", headers={"authorization": f"Bearer {key}"})


def _cell(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, element_id
    return re.sub(r"\s+", " ", match.group(1)).strip()


def test_trials_api_scopes_by_role_and_agrees_with_the_review_page_and_export(
    trial_gateway: SsoGateway,
) -> None:
    gw = trial_gateway
    path = approved_trial(gw, start=START.isoformat(), target_satisfaction="4")
    trial_id = int(path.rsplit("/", 1)[1])
    with signed_in(gw, MANAGER) as manager:  # a second one, still a draft
        assert post(gw, manager, "/trials", proposal_form(action="draft")).status_code == 303
    user = gw.make_key("a@example.co.jp", "営業部")
    answered = httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {user}", "x-kakehashi-use-case": "email_draft"},
        json={"model": "mock-model", "messages": [{"role": "user", "content": "お願いします"}]},
    )
    assert answered.status_code == 200  # one answer, not rated
    gw.wait_for_audit(1)

    staff = _api(gw, gw.make_key(STAFF, "営業部"), "/api/trials")
    assert staff.status_code == 403
    assert staff.json()["error"]["message_ja"]
    assert staff.json()["error"]["message_en"]
    refused = gw.audit_events(EventType.AUTH_FORBIDDEN)
    assert refused[-1].detail["reason"] == "trial: staff"
    other = gw.make_key("ito@example.co.jp", "総務部", Role.MANAGER)
    assert _api(gw, other, "/api/trials").json() == []  # another department's manager
    assert _api(gw, other, f"/api/trials/{trial_id}").status_code == 403
    assert _api(gw, other, f"/api/trials/{trial_id}/review").status_code == 403
    missing = _api(gw, other, "/api/trials/9999")
    assert missing.status_code == 404
    assert missing.json()["error"]["message_ja"] == "トライアルが見つかりません。"

    admin = gw.make_key(ADMIN, "情報システム部", Role.ADMIN)
    listed = {t["id"]: t for t in _api(gw, admin, "/api/trials").json()}
    running, draft = listed[trial_id], listed[trial_id + 1]
    assert (running["stage"], draft["stage"]) == ("approved", "draft")
    assert running["next_review"] == (START + timedelta(days=30)).isoformat()
    assert draft["next_review"] is None
    assert draft["checks"] == []
    assert running["mean_rating"] is None
    assert "satisfaction" not in running["targets_met"] + running["targets_missed"]
    assert running["targets_missed"] == ["hours_per_week"]  # 5 hours a week wanted
    detail = _api(gw, admin, f"/api/trials/{trial_id}").json()
    assert [s["action"] for s in detail["steps"]] == ["submitted", "approved"]
    assert _api(gw, admin, f"/api/trials/{trial_id + 1}/review").status_code == 409

    review = _api(gw, admin, f"/api/trials/{trial_id}/review").json()
    with signed_in(gw, MANAGER) as manager:
        own = {t["id"] for t in manager.get("/api/trials").json()}
        html = manager.get(f"{path}/review").text
    assert own == {trial_id, trial_id + 1}
    assert _cell(html, "hours-all") == f"{review['hours_saved_all']:.2f} 時間"
    assert _cell(html, "hours-rated") == f"{review['hours_saved_rated']:.2f} 時間"
    assert _cell(html, "rated-share").startswith("0% (0 / 1 件)")
    assert (review["rated"], review["answers"], review["mean_rating"]) == (0, 1, None)
    assert "None" not in html
    assert "—（未評価）" in re.search(r'data-key="satisfaction">(.*?)</tr>', html, re.S)[1]
    assert review["summary"] in html.replace("&#39;", "'")
    with signed_in(gw, ADMIN) as it:
        exported = it.get("/trials/company.csv").content.decode("utf-8-sig")
        page = it.get("/trials/company").text
    row = {r["ID"]: r for r in csv.DictReader(io.StringIO(exported))}[str(trial_id)]
    assert (
        float(row["削減時間 (開始から、時間)"]) == review["hours_saved"] == running["hours_saved"]
    )
    assert float(row["費用 (開始から、円)"]) == review["cost_jpy"] == running["cost_jpy"]
    assert row["平均評価"] == UNRATED
    assert UNRATED in page
    assert "None" not in page
    assert list(row) == list(HEADER)
