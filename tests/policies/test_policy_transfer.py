"""`kakehashi policy import|export` as IT runs them: a git folder goes into the database as
checked, audited versions, and comes back out as the same files; a broken folder changes
nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import text

from gateway.kernel.db import make_sync_engine
from tests.fixtures.policies import EXAMPLES
from tests.gateway.test_cli import kakehashi, write_config


def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(query))]
    finally:
        engine.dispose()


def test_import_checks_versions_and_audits_then_export_gives_the_files_back(
    tmp_path: Path,
) -> None:
    config = str(write_config(tmp_path))
    url = f"sqlite:///{tmp_path / 'k.db'}"
    assert kakehashi("db", "upgrade", "--config", config).returncode == 0
    folder = tmp_path / "git"
    shutil.copytree(EXAMPLES, folder)
    sales = folder / "営業部.yaml"
    good = sales.read_text(encoding="utf-8")
    sales.write_text(good.replace("yen: 2000}", "yen: 99999}"), encoding="utf-8")

    refused = kakehashi("policy", "import", str(folder), "--config", config, "--reason", "初回")
    assert refused.returncode == 1
    assert "1 日の上限が 1 か月の上限より大きくなっています" in refused.stdout
    assert _rows(url, "select count(*) from policy_versions") == [(0,)]

    sales.write_text(good, encoding="utf-8")
    result = kakehashi("policy", "import", str(folder), "--config", config, "--reason", "初回")
    assert result.returncode == 0, result.stderr
    assert "4 件を保存しました" in result.stdout
    audited = _rows(url, "select count(*) from audit_events where event_type = 'policy.changed'")
    assert audited == [(4,)]

    out = tmp_path / "out"
    exported = kakehashi("policy", "export", str(out), "--config", config)
    assert exported.returncode == 0, exported.stderr
    assert (out / "営業部.yaml").read_text(encoding="utf-8") == good
    listed = (out / "customers" / "営業部.csv").read_text(encoding="utf-8")
    assert listed == (EXAMPLES / "customers" / "営業部.csv").read_text(encoding="utf-8-sig")
