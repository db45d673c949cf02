"""Policy files: the shipped examples load; every kind of mistake is reported with its file,
line and a Japanese/English message; ``kakehashi policy check`` exits non-zero on problems."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import main
from policies.loader import check_folder, load_folder
from redaction.entities import EntityType
from tests.fixtures.policies import EXAMPLES, PolicyFolder


def test_shipped_examples_load_with_defaults_merged() -> None:
    policies = load_folder(EXAMPLES)
    assert set(policies.by_department) == {"営業部", "総務部", "情報システム部"}
    sales = policies.for_department("営業部")
    assert sales.allowed_models == ["gpt-4o-mini", "azure-gpt-4o"]
    assert sales.quotas.per_user.day.tokens == 200_000
    assert sales.quotas.warn_at == 0.8  # inherited from _defaults.yaml
    assert sales.redaction.block == (EntityType.CREDIT_CARD, EntityType.MY_NUMBER)
    assert sales.redaction.customers_csv == EXAMPLES / "customers" / "営業部.csv"
    assert {"chat", "email_draft", "manual_draft"} <= set(sales.use_cases)
    assert sales.trial is not None
    assert sales.trial.eligible_users == 25
    assert EntityType.ADDRESS in policies.for_department("総務部").redaction.block
    # A department without a file gets the defaults.
    assert policies.for_department("経理部") is policies.default
    assert policies.default.allowed_models == ["gpt-4o-mini"]


def test_version_is_a_content_hash_covering_the_customer_list(tmp_path: Path) -> None:
    first = load_folder(EXAMPLES)
    assert load_folder(EXAMPLES).version == first.version
    copy = tmp_path / "p"
    subprocess.run(["cp", "-r", str(EXAMPLES), str(copy)], check=True)
    (copy / "customers" / "営業部.csv").write_text(
        "name,aliases,kana\n新しい顧客株式会社,,\n", encoding="utf-8"
    )
    changed = load_folder(copy)
    assert changed.for_department("営業部").version() != first.for_department("営業部").version()
    assert changed.for_department("総務部").version() == first.for_department("総務部").version()
    assert changed.version != first.version


def test_null_drops_an_inherited_value(policy_folder: PolicyFolder) -> None:
    policy_folder.write(
        "_defaults.yaml",
        """\
        quotas:
          per_user:
            day: {tokens: 1000}
        """,
    )
    policy_folder.write("営業部.yaml", "quotas: {per_user: {day: {tokens: null}}}\n")
    policies = load_folder(policy_folder.path)
    assert policies.default.quotas.per_user.day.tokens == 1000
    assert policies.for_department("営業部").quotas.per_user.day.tokens is None


# (file name, content, line, field, a fragment of the Japanese message, of the English one)
INVALID = [
    pytest.param(
        "営業部.yaml",
        "allowed_models: [a\nquotas: {}\n",
        2,
        "",
        "YAML の書き方",
        "YAML syntax error",
        id="yaml-syntax",
    ),
    pytest.param(
        "営業部.yaml",
        "allowed_models: [a]\nretention:\n  days: 30\n  days: 40\n",
        4,
        "days",
        "2 回",
        "appears twice",
        id="duplicate-key",
    ),
    pytest.param(
        "営業部.yaml",
        "allowed_models: [a]\nquotas:\n  per_user:\n    day: {tokns: 5}\n",
        4,
        "quotas.per_user.day.tokns",
        "知らない項目",
        "unknown field",
        id="misspelt-field",
    ),
    pytest.param(
        "営業部.yaml",
        "quotas:\n  department:\n    month:\n      yen: たくさん\n",
        4,
        "quotas.department.month.yen",
        "数値で",
        "must be a number",
        id="not-a-number",
    ),
    pytest.param(
        "営業部.yaml",
        "quotas:\n  per_user:\n    day: {tokens: -1}\n",
        3,
        "quotas.per_user.day.tokens",
        "0 以上",
        "at least 0",
        id="negative-limit",
    ),
    pytest.param(
        "営業部.yaml",
        "quotas:\n  department:\n    day: {yen: 500}\n    month: {yen: 100}\n",
        2,
        "quotas.department",
        "1 日の上限",
        "larger than month.yen",
        id="day-above-month",
    ),
    pytest.param(
        "営業部.yaml",
        "redaction:\n  block: [MY_NUMBER, CREDITCARD]\n",
        2,
        "redaction.block",
        "秘匿化の種類",
        "not a valid EntityType",
        id="unknown-entity-type",
    ),
    pytest.param(
        "営業部.yaml",
        "redaction:\n  customers_csv: missing.csv\n",
        2,
        "redaction.customers_csv",
        "顧客リスト",
        "does not exist",
        id="missing-customer-list",
    ),
    pytest.param(
        "営業部.yaml",
        "use_cases:\n  chat: {label: 相談, minutes_saved: 3}\n  Email-Draft: {label: x, minutes_saved: 5}\n",
        3,
        "use_cases.Email-Draft",
        "英小文字",
        "email_draft",
        id="bad-use-case-id",
    ),
    pytest.param(
        "営業部.yaml",
        "use_cases:\n  summary: {label: 要約}\n",
        2,
        "use_cases.summary.minutes_saved",
        "必須",
        "required",
        id="missing-minutes-saved",
    ),
    pytest.param(
        "営業部.yaml",
        "trial:\n  start: 2027-03-01\n  end: 2027-01-31\n  eligible_users: 10\n",
        1,
        "trial",
        "終了日が開始日より前",
        "before start",
        id="trial-ends-before-start",
    ),
    pytest.param(
        "営業部.yaml",
        "trial:\n  start: 2027/03/01\n  end: 2027-05-31\n  eligible_users: 10\n",
        2,
        "trial.start",
        "YYYY-MM-DD",
        "YYYY-MM-DD",
        id="trial-date-format",
    ),
    pytest.param(
        "営業部.yaml",
        "retention:\n  store_redacted_prompts: maybe\n",
        2,
        "retention.store_redacted_prompts",
        "true か false",
        "true or false",
        id="not-a-boolean",
    ),
    pytest.param("営業部.yaml", "- a\n- b\n", 1, "", "最上位", "top level", id="top-level-list"),
    pytest.param("営業部.yaml", "# only a comment\n", 1, "", "空", "empty", id="empty-file"),
    pytest.param(
        "_defaults.yaml",
        "department: 営業部\n",
        1,
        "department",
        "既定値ファイル",
        "must not name a department",
        id="defaults-names-department",
    ),
]


@pytest.mark.parametrize(("name", "text", "line", "where", "ja", "en"), INVALID)
def test_each_invalid_file_is_reported_with_its_line(
    policy_folder: PolicyFolder, name: str, text: str, line: int, where: str, ja: str, en: str
) -> None:
    path = policy_folder.path / name
    path.write_text(text, encoding="utf-8")
    policies, problems = check_folder(policy_folder.path)
    assert policies is None
    assert [(p.file, p.line, p.where) for p in problems] == [(path, line, where)], problems
    assert ja in problems[0].ja
    assert en in problems[0].en


def test_an_error_in_the_defaults_is_reported_once_for_the_defaults(
    policy_folder: PolicyFolder,
) -> None:
    policy_folder.write("_defaults.yaml", "retention:\n  days: 0\n")
    policy_folder.write("営業部.yaml", "description: 営業\n")
    policy_folder.write("総務部.yaml", "description: 総務\n")
    _, problems = check_folder(policy_folder.path)
    assert [(p.file.name, p.line, p.where) for p in problems] == [
        ("_defaults.yaml", 2, "retention.days")
    ]


def test_two_files_for_one_department_are_refused(policy_folder: PolicyFolder) -> None:
    policy_folder.write("sales.yaml", "department: 営業部\n")
    policy_folder.write("営業部.yaml", "description: 営業\n")
    _, problems = check_folder(policy_folder.path)
    assert [(p.file.name, p.line) for p in problems] == [("営業部.yaml", 1)]
    assert "複数" in problems[0].ja


def test_cli_check_reports_file_line_and_exits_non_zero(policy_folder: PolicyFolder) -> None:
    policy_folder.write("営業部.yaml", "quotas:\n  per_user:\n    day: {tokens: lots}\n")
    result = CliRunner().invoke(main, ["policy", "check", str(policy_folder.path)])
    assert result.exit_code == 1
    assert f"{policy_folder.path / '営業部.yaml'}:3: quotas.per_user.day.tokens: 整数で" in (
        result.output
    )
    assert "must be a whole number" in result.output


def test_cli_check_passes_the_examples_and_warns_about_unknown_models(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("models:\n  - {alias: gpt-4o-mini, model: openai/gpt-4o-mini}\n")
    result = CliRunner().invoke(main, ["policy", "check", str(EXAMPLES), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("警告")]
    assert len(warnings) == 1
    assert "営業部: allowed_models 'azure-gpt-4o'" in warnings[0]


def test_policy_check_imports_neither_litellm_nor_the_web_stack() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from gateway.cli import main\n"
        f"r = CliRunner().invoke(main, ['policy', 'check', {str(EXAMPLES)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('litellm', 'fastapi', 'starlette')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
