"""The IT admin's audit page (/admin/audit): admins only, no prompt text, filters, the CSV
link, and a chain check that names the first tampered event."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import httpx
from sqlalchemy import text

from gateway.kernel.db import make_sync_engine
from gateway.kernel.principal import Role
from gateway.kernel.vocab import EventType
from tests.fixtures.gateway import RunningGateway
from tests.fixtures.oidc import SsoGateway
from tests.fixtures.policies import PolicyFolder
from web import audit_page

PROMPT = "山田太郎さん (090-1234-5678) への お礼メールを書いてください"


def _ask(gw: RunningGateway, key: str) -> None:
    reply = httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "mock-model", "messages": [{"role": "user", "content": PROMPT}]},
    )
    assert reply.status_code == 200
    gw.drain_audit()


def _get(gw: RunningGateway, key: str | None, path: str, **params: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.get(f"{gw.base_url}{path}", headers=headers, params=params)


def _verify(gw: RunningGateway, key: str) -> httpx.Response:
    return httpx.post(
        f"{gw.base_url}/admin/audit/verify",
        headers={"authorization": f"Bearer {key}"},
        timeout=30,
    )


def test_the_audit_page_is_for_it_admins_and_shows_no_prompt_text(
    policy_gateway: Callable[..., RunningGateway], policy_folder: PolicyFolder
) -> None:
    policy_folder.write(
        "営業部.yaml",
        "redaction: {redact: [PERSON, PHONE]}\nretention: {store_redacted_prompts: true}\n",
    )
    gw = policy_gateway()
    staff = gw.make_key("sato@example.co.jp", "営業部")
    manager = gw.make_key("boss@example.co.jp", "営業部", Role.MANAGER)
    admin = gw.make_key("it@example.co.jp", "情報システム部", Role.ADMIN)
    _ask(gw, staff)
    evil = httpx.post(
        f"{gw.v1}/chat/completions",
        headers={"authorization": f"Bearer {staff}"},
        json={"model": "<script>alert(1)</script>", "messages": [{"role": "user", "content": "x"}]},
    )
    assert evil.status_code == 404  # refused, and audited with the name the caller sent
    assert _get(gw, None, "/admin/audit").status_code == 401
    assert _get(gw, staff, "/admin/audit").status_code == 403
    assert _get(gw, manager, "/admin/audit").status_code == 403
    assert _verify(gw, manager).status_code == 403
    refused = [e.detail["path"] for e in gw.audit_events("auth.forbidden")]
    assert refused == ["/admin/audit", "/admin/audit", "/admin/audit/verify"]
    assert "/admin/audit" not in _get(gw, manager, "/").text  # not in the manager's menu

    page = _get(gw, admin, "/admin/audit")
    assert page.status_code == 200
    body = html.unescape(page.text)
    assert 'href="/admin/audit"' in page.text  # in the admin's menu
    assert "chat.completion" in body
    # Each row names its type and outcome in Japanese, the code under it (what the CSV holds).
    rows = re.findall(r'<tr data-seq="\d+">(.*?)</tr>', body, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    shown = {(c[2], re.sub(r"<br>.*", "", c[3], flags=re.S).strip()) for c in cells}
    assert ("チャット<br><small>chat.completion</small>", "成功 200") in shown, shown
    assert any(t.startswith("権限のないアクセス") and o == "拒否 403" for t, o in shown), shown
    assert "人名 1" in body  # the redacted kinds in Japanese, as on the dashboard
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)" in page.text
    for secret in ("山田", "090-1234-5678", "お礼メール"):  # neither raw nor redacted text
        assert secret not in body

    # Filters: empty fields mean "any"; the CSV link carries the same filters.
    filtered = _get(gw, admin, "/admin/audit", department="営業部", user="", event_type="")
    assert filtered.status_code == 200
    assert set(re.findall(r'<tr data-seq="\d+">', filtered.text)) != set()
    assert "/api/audit.csv?department=%E5%96%B6%E6%A5%AD%E9%83%A8" in filtered.text
    assert 'data-seq="' not in _get(gw, admin, "/admin/audit", department="総務部").text
    bad = _get(gw, admin, "/admin/audit", **{"from": "yesterday"})
    assert bad.status_code == 400
    assert "YYYY-MM-DD" in bad.json()["error"]["message_ja"]


def test_type_and_outcome_are_picked_from_japanese_lists_and_the_csv_link_follows(
    policy_gateway: Callable[..., RunningGateway],
) -> None:
    """Staff IT picks 「チャット」 and 「拒否」, not codes they would have to know; the options'
    values are the codes, so the page, the CSV link and /api/audit filter alike."""
    gw = policy_gateway()
    admin = gw.make_key("it@example.co.jp", "情報システム部", Role.ADMIN)
    page = _get(gw, admin, "/admin/audit", event_type="chat.completion", outcome="refused")
    assert page.status_code == 200
    form = page.text.split('id="filters"')[1].split("</form>")[0]
    types = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', form))
    for event_type in EventType:
        assert event_type.value in types, event_type
        assert re.search(r"[ぁ-んァ-ヶ一-龠]", types[event_type.value]), event_type
    assert types["chat.completion"] == "チャット (chat.completion)"
    assert types["refused"] == "拒否 (refused)"
    assert '<select name="event_type"' in form
    assert '<select name="outcome"' in form
    assert '<input name="event_type"' not in form
    selected = re.findall(r'<option value="([^"]+)" selected>', form)
    assert selected == ["chat.completion", "refused"]
    csv_link = html.unescape(page.text.split('id="csv-link" href="')[1].split('"')[0])
    assert csv_link == "/api/audit.csv?event_type=chat.completion&outcome=refused"
    # A code the lists do not have is refused plainly, in both languages, not silently applied.
    odd = _get(gw, admin, "/admin/audit", event_type="chat")
    assert odd.status_code == 400
    assert "一覧" in odd.json()["error"]["message_ja"]
    assert "listed values" in odd.json()["error"]["message_en"]


def test_the_page_verifies_the_chain_and_names_the_tampered_event(
    gateway: RunningGateway,
) -> None:
    staff = gateway.make_key("sato@example.co.jp", "営業部")
    admin = gateway.make_key("it@example.co.jp", "情報システム部", Role.ADMIN)
    _ask(gateway, staff)
    intact = _verify(gateway, admin)
    assert intact.status_code == 200
    assert "改ざんされていません" in intact.text
    assert 'class="ok"' in intact.text

    [chat] = gateway.audit_events("chat.completion")
    engine = make_sync_engine(gateway.settings.database.url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE audit_events SET user_email = 'suzuki@example.co.jp' WHERE seq = :s"),
                {"s": chat.seq},
            )
    finally:
        engine.dispose()
    tampered = _verify(gateway, admin)
    assert f"first broken event: seq {chat.seq} (edited)" in tampered.text
    assert f"最初に壊れている記録 seq {chat.seq}" in tampered.text

    checks = gateway.audit_events("audit.verified")
    assert [(c.outcome, c.user_email) for c in checks] == [
        ("ok", "it@example.co.jp"),
        ("tampered", "it@example.co.jp"),
    ]
    assert (checks[1].detail["broken_seq"], checks[1].detail["problem"]) == (chat.seq, "edited")
    last = _get(gateway, admin, "/admin/audit").text
    assert f"tampered: seq {chat.seq} (edited)" in html.unescape(last)

    # One walk at a time: a second click while one runs is told to come back.
    with audit_page._VERIFYING:
        busy = _verify(gateway, admin)
    assert (busy.status_code, busy.headers["retry-after"]) == (503, "60")
    assert _verify(gateway, admin).status_code == 200


def test_a_signed_in_admin_verifies_from_the_page_with_its_csrf_token(
    sqlite_sso_gateway_factory: Callable[..., SsoGateway],
) -> None:
    gw = sqlite_sso_gateway_factory()
    with gw.client() as admin, gw.client() as manager:
        assert gw.login(admin, "tanaka@demo.kakehashi.example").status_code == 200
        assert gw.login(manager, "suzuki@demo.kakehashi.example").status_code == 200
        html_page = {"accept": "text/html"}
        assert manager.get("/admin/audit", headers=html_page).status_code == 403
        page = admin.get("/admin/audit", headers=html_page)
        assert page.status_code == 200
        [token] = re.findall(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)[:1]
        assert admin.post("/admin/audit/verify", data={"csrf_token": "0" * 64}).status_code == 403
        checked = admin.post("/admin/audit/verify", data={"csrf_token": token})
        assert checked.status_code == 200
        assert "改ざんされていません" in checked.text
    assert [e.user_email for e in gw.audit_events("audit.verified")] == [
        "tanaka@demo.kakehashi.example"
    ]
