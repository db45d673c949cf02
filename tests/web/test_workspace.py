"""The workspace around the chat: documents read in memory within the policy's limits, task
templates on the page, HTML error pages for browsers, and Japanese on the staff pages."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable

import httpx
import pytest
from docx import Document as new_docx

from tests.fixtures.chat import signed_in
from tests.fixtures.oidc import SsoGateway
from tests.fixtures.policies import DEFAULTS, PolicyFolder


@pytest.fixture
def gw(sqlite_chat_gateway_factory: Callable[..., SsoGateway]) -> SsoGateway:
    return sqlite_chat_gateway_factory(
        default_policy={"allowed_models": ["mock-*"]},
    )


def _docx(text: str) -> bytes:
    doc = new_docx()
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _extract(gw: SsoGateway, client: httpx.Client, name: str, data: bytes) -> httpx.Response:
    return client.post(
        "/api/documents/extract",
        params={"name": name},
        content=data,
        headers={"x-csrf-token": gw.csrf(client), "content-type": "application/octet-stream"},
    )


def test_an_attached_docx_comes_back_as_text_and_a_bad_file_as_a_message(gw: SsoGateway) -> None:
    with signed_in(gw) as client:
        read = _extract(gw, client, "議事メモ.docx", _docx("株式会社ミライ精工の山田様と打合せ"))
        assert read.status_code == 200
        assert read.json() == {
            "name": "議事メモ.docx",
            "kind": "docx",
            "chars": 17,
            "text": "株式会社ミライ精工の山田様と打合せ",
        }
        refused = _extract(gw, client, "scan.exe", b"MZ")
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "document_refused"
        assert "添付できません" in refused.json()["error"]["message_ja"]
        # A cookie request that changes nothing still needs the CSRF header.
        forged = client.post("/api/documents/extract", params={"name": "a.txt"}, content=b"x")
        assert forged.status_code == 403


def test_the_policy_limits_the_size_of_an_attachment(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway], policy_folder: PolicyFolder
) -> None:
    policy_folder.write("_defaults.yaml", DEFAULTS + "documents: {max_bytes: 2048}\n")
    gw = sqlite_chat_gateway_factory(policies_dir=str(policy_folder.path), policies_reload_s=0)
    with signed_in(gw) as client:
        refused = _extract(gw, client, "big.txt", b"a" * 4096)
        assert refused.status_code == 400
        assert "大きすぎます" in refused.json()["error"]["message_ja"]
        assert _extract(gw, client, "small.txt", b"a" * 2000).status_code == 200


def test_an_attachment_has_its_departments_limit_not_the_servers(
    sqlite_chat_gateway_factory: Callable[..., SsoGateway], policy_folder: PolicyFolder
) -> None:
    policy_folder.write("_defaults.yaml", DEFAULTS + "documents: {max_chars: 1000000}\n")
    gw = sqlite_chat_gateway_factory(
        policies_dir=str(policy_folder.path), policies_reload_s=0, server={"max_body_mb": 1}
    )
    text = "議事録" * 130_000  # 1.17 MB of UTF-8: over the server's bound, under the file limit
    with signed_in(gw) as client:
        read = _extract(gw, client, "minutes.txt", text.encode())
        assert read.status_code == 200, read.text
        assert read.json()["chars"] == len(text)
        # A page's JSON body has the server's bound.
        refused = client.post(
            "/web/chat",
            json={"messages": [{"role": "user", "content": text}]},
            headers={"x-csrf-token": gw.csrf(client)},
        )
        assert refused.status_code == 413, refused.text
        assert refused.json()["error"]["code"] == "prompt_too_large"


def test_the_chat_page_carries_the_templates_of_its_use_cases(gw: SsoGateway) -> None:
    with signed_in(gw) as client:
        page = client.get("/chat").text
    offered = json.loads(re.search(r"data-templates='([^']*)'", page).group(1))  # type: ignore[union-attr]
    templates = {t["key"]: t for t in offered}
    assert set(templates) == {"email_draft", "summary", "minutes", "manual_draft"}
    assert {t["use_case"] for t in offered} == set(templates)
    assert [f["label"] for f in templates["email_draft"]["fields"]] == ["宛先", "目的", "トーン"]
    assert [f["label"] for f in templates["minutes"]["fields"]] == ["文字起こし", "形式"]
    assert 'accept=".txt,.md,.csv,.docx,.pdf,.vtt,.srt,.xlsx"' in page


def test_wrong_urls_get_a_page_in_the_browser_and_json_from_the_api(gw: SsoGateway) -> None:
    with signed_in(gw) as client:
        page = client.get("/no-such-page", headers={"accept": "text/html"})
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "ページが見つかりません" in page.text
        wrong_method = client.delete("/chat", headers={"accept": "text/html"})
        assert wrong_method.status_code == 405
        assert "この操作はできません" in wrong_method.text
        bad_query = client.get("/history", params={"page": "x"}, headers={"accept": "text/html"})
        assert bad_query.status_code in (200, 400)
        assert bad_query.headers["content-type"].startswith("text/html")
        api = client.get("/api/no-such-thing", headers={"accept": "text/html"})
        assert api.status_code == 404
        assert api.json()["error"]["code"] == "not_found"


def test_staff_pages_say_roles_in_japanese(gw: SsoGateway) -> None:
    with signed_in(gw) as client:
        home = client.get("/").text
        keys = client.get("/keys").text
    assert '<dd id="role">一般社員</dd>' in home
    assert "役割 <strong>一般社員</strong>" in keys
    assert ">staff<" not in home
