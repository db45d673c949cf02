"""The `kakehashi` command line, run as a real subprocess the way IT would."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import text

from gateway.cli import demo_user_lines
from gateway.kernel.db import make_sync_engine
from tests.fixtures.services import free_port


def kakehashi(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"mode: test\ndatabase:\n  url: sqlite:///{tmp_path / 'k.db'}\n", "utf-8")
    return path


def test_db_upgrade_then_keys_create_prints_a_key_once(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert kakehashi("db", "upgrade", "--config", str(config)).returncode == 0
    result = kakehashi(
        "keys",
        "create",
        "--config",
        str(config),
        "--user",
        "ito@example.co.jp",
        "--department",
        "総務部",
        "--role",
        "manager",
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert re.fullmatch(r"kk_[A-Za-z0-9_-]{40,}", token)
    assert "二度と表示されません" in result.stderr
    assert token not in (tmp_path / "k.db").read_bytes().decode("utf-8", "ignore")


def test_a_broken_config_exits_with_the_field_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("mode: test\nserver:\n  port: nope\n", "utf-8")
    result = kakehashi("db", "upgrade", "--config", str(path))
    assert result.returncode == 2
    assert f"{path}: server.port:" in result.stderr


def test_demo_printout_says_who_is_staff_manager_and_it_admin() -> None:
    lines = demo_user_lines().splitlines()
    assert len(lines) == 5
    assert "sato@demo.kakehashi.example" in lines[0]
    assert "営業部 · 一般社員" in lines[0]
    assert "suzuki@demo.kakehashi.example" in lines[1]
    assert "営業部 · 部門管理者" in lines[1]
    assert "tanaka@demo.kakehashi.example" in lines[4]
    assert "情報システム部 · 情シス管理者" in lines[4]


def _start_demo(port: int, data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    """``kakehashi demo`` in a process of its own; returns it with the API key it printed, once
    it answers."""
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "demo", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    token, printed = "", []
    deadline = time.monotonic() + 180  # a loaded 2-core machine: seeding 60 days takes a while
    assert process.stdout is not None
    while not token and time.monotonic() < deadline and process.poll() is None:
        printed.append(process.stdout.readline())
        match = re.search(r"(kk_[A-Za-z0-9_-]{40,})", printed[-1])
        token = match.group(1) if match else ""
    while token and time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process, token
        except httpx.TransportError:
            time.sleep(0.2)
    _stop(process)  # never leave a demo running behind a failed test
    raise AssertionError(f"the demo did not start (API key: {bool(token)}):\n{''.join(printed)}")


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


def _as_person(browser: Browser, base: str, email: str, path: str) -> Page:
    page = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(30000)
    page.goto(f"{base}{path}")
    page.click("#sso-login")
    page.check(f"input[value='{email}']")
    page.click("#dev-idp-login")
    page.wait_for_url(f"{base}{path}")
    return page


def _week_labels_apart(browser: Browser, base: str) -> None:
    """The dashboard's weekly chart, sixty days of weeks side by side: no two labels overlap
    (a week is a range, 10/26–11/1, written on two lines)."""
    page = _as_person(browser, base, "suzuki@demo.kakehashi.example", "/dashboard")
    boxes = [t.bounding_box() for t in page.locator("svg.chart").first.locator("text.tick").all()]
    assert len(boxes) >= 8
    for left, right in itertools.pairwise(boxes):
        assert left is not None
        assert right is not None
        assert left["x"] + left["width"] <= right["x"], (left, right)
    page.context.close()


def _approve_and_decide(browser: Browser, base: str, shots: Path) -> None:
    """In the demo as it starts: IT approves the submitted trial and the 営業部 manager records
    an expansion on the running one; both write a policy (database policies, no 409)."""
    page = _as_person(browser, base, "tanaka@demo.kakehashi.example", "/trials")
    page.click("tr[data-stage=submitted] a")
    page.fill("#review-comment", "承認します (デモ)")
    page.click("#approve")
    page.wait_for_selector("#stage[data-stage=approved]")
    assert "v2" in page.inner_text("#steps")  # the policy version the approval wrote
    page.screenshot(path=str(shots / "demo-approved.png"), full_page=True)
    page.context.close()
    page = _as_person(browser, base, "suzuki@demo.kakehashi.example", "/trials")
    page.click("tr[data-stage=approved] a")
    page.goto(page.url + "/review")
    assert "None" not in page.inner_text("#trial-review")
    page.check("input[name=decision][value=expand]")
    page.fill("#add-people", "sales30@demo.kakehashi.example")
    page.fill("#decision-comment", "好評のため拡大 (デモ)")
    page.click("#record-decision")
    page.wait_for_selector("tr[data-decision=expand]")
    assert "None" not in page.inner_text("#trial-review")
    page.screenshot(path=str(shots / "demo-decided.png"), full_page=True)
    page.context.close()


@pytest.mark.timeout(600)  # two starts of the demo (seeding 60 days) and a browser, on 2 cores
def test_demo_shows_the_product_with_the_labelled_offline_model(
    tmp_path: Path, browser: Browser
) -> None:
    port = free_port()
    process, token = _start_demo(port, tmp_path / "demo")
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    try:
        reply = api.post(
            "/v1/chat/completions",
            json={
                "model": "demo",
                "messages": [{"role": "user", "content": "山田太郎さんへの返信を書いて"}],
            },
        )
        assert reply.status_code == 200, reply.text
        content = reply.json()["choices"][0]["message"]["content"]
        assert "デモ出力" in content
        # The demo model shows what it received: the placeholder, not the restored name; then
        # writes the placeholder back, and staff read the name there.
        received, _, written = content.partition("元に戻して表示されます")
        assert "山田太郎" not in received
        assert re.search(r"［人物[A-Z]］さん", received)
        assert written == ": 山田太郎"
        # The example policies are in force: budgets, and My Number blocked.
        quota = api.get("/api/quota").json()
        assert {b["limit"] for b in quota["user"] if b["unit"] == "yen"} == {200, 2000}
        blocked = api.post(
            "/v1/chat/completions",
            json={
                "model": "demo",
                "messages": [{"role": "user", "content": "マイナンバー 123456789018"}],
            },
        )
        assert blocked.status_code == 400
        assert blocked.json()["error"]["code"] == "content_blocked"
        _week_labels_apart(browser, f"http://127.0.0.1:{port}")
        _approve_and_decide(browser, f"http://127.0.0.1:{port}", tmp_path)
    finally:
        api.close()
        _stop(process)
    # Sixty labelled days of trial in the audit log, written once; the same key at the next start.
    engine = make_sync_engine(f"sqlite:///{tmp_path / 'demo' / 'kakehashi.db'}")
    with engine.connect() as conn:
        synthetic = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT department) FROM audit_events WHERE detail LIKE '%synthetic%' AND event_type = 'chat.completion'"
            )
        ).one()
        keys = conn.execute(text("SELECT count(*) FROM api_keys")).scalar_one()
    engine.dispose()
    assert synthetic[0] > 500
    assert synthetic[1] == 3
    assert keys == 1
    process, again = _start_demo(port, tmp_path / "demo")
    _stop(process)
    assert again == token
