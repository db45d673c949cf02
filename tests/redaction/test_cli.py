"""The ``kakehashi redact`` contract: stdin JSON, --jsonl, --customers, --department."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from redaction.cli import redact

ROOT = Path(__file__).resolve().parents[2]


def test_stdin_to_json() -> None:
    text = "株式会社カケハシの山田太郎です。メールはtaro@example.co.jpです"
    result = CliRunner().invoke(redact, [], input=text)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"text", "entities"}
    assert "taro@example.co.jp" not in out["text"]
    assert "〔メール1〕" in out["text"]
    for entity in out["entities"]:
        assert set(entity) == {"type", "start", "end", "text", "placeholder"}
        assert text[entity["start"] : entity["end"]] == entity["text"]
        assert entity["placeholder"] in out["text"]
    assert {"COMPANY", "PERSON", "EMAIL"} <= {e["type"] for e in out["entities"]}


def test_jsonl_keeps_ids(customers_csv: Path) -> None:
    lines = [
        {"id": 1, "text": "ミライセイコウの担当者へ"},
        {"id": "x-2", "text": "電話 03-1234-5678"},
        {"id": None, "text": ""},
    ]
    stdin = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    result = CliRunner().invoke(redact, ["--jsonl", "--customers", str(customers_csv)], input=stdin)
    assert result.exit_code == 0, result.output
    outs = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in outs] == [1, "x-2", None]
    assert outs[0]["entities"][0]["type"] == "CUSTOMER"
    assert outs[1]["entities"] == [
        {"type": "PHONE", "start": 3, "end": 15, "text": "03-1234-5678", "placeholder": "〔電話1〕"}
    ]
    assert outs[2] == {"id": None, "text": "", "entities": []}


def test_department_profile_from_policies_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sales.yaml").write_text(
        "redaction:\n  redact: [EMAIL]\n  block: [CONFIDENTIAL_MARKER]\n", encoding="utf-8"
    )
    monkeypatch.setenv("KAKEHASHI_POLICIES_DIR", str(tmp_path))
    result = CliRunner().invoke(
        redact, ["--department", "sales"], input="社外秘 山田太郎 a@example.com"
    )
    out = json.loads(result.output)
    assert [e["type"] for e in out["entities"]] == ["EMAIL"]
    assert out["blocked"] == [{"type": "CONFIDENTIAL_MARKER", "start": 0, "end": 3}]
    missing = CliRunner().invoke(redact, ["--department", "nobody"], input="x")
    assert missing.exit_code != 0


def test_kakehashi_redact_subprocess_without_web_stack() -> None:
    probe = (
        "import sys; from redaction.cli import redact; "
        "print(any(m.split('.')[0] in {'litellm', 'fastapi'} for m in sys.modules))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert imported.stdout.strip() == "False"
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "redact"],
        input="鈴木一郎さんの電話は090-1234-5678",
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    out = json.loads(done.stdout)
    assert out["text"] == "〔人物A〕さんの電話は〔電話1〕"
