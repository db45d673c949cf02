"""Settings: the YAML file, environment overrides, and start-up errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import main
from gateway.kernel.errors import ConfigError
from gateway.kernel.settings import load_settings
from policies.model import default_policy

ROOT = Path(__file__).resolve().parents[2]


def test_example_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAKEHASHI_SECRET_KEY", "x" * 40)
    settings = load_settings(ROOT / "config.example.yaml")
    assert settings.mode == "production"
    assert [m.alias for m in settings.models][:2] == ["gpt-4o-mini", "azure-gpt-4o"]
    assert settings.route("claude-sonnet") is not None
    assert settings.route("claude-sonnet").provider == "anthropic"  # type: ignore[union-attr]


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("mode: test\ndatabase:\n  url: sqlite:///from-file.db\n", encoding="utf-8")
    monkeypatch.setenv("KAKEHASHI_DATABASE__URL", "postgresql://db.internal/kakehashi")
    settings = load_settings(path)
    assert settings.database.url == "postgresql://db.internal/kakehashi"


def test_provider_keys_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "mode: test\nmodels:\n  - alias: a\n    model: openai/gpt-4o-mini\n"
        "    api_key_env: MY_PROVIDER_KEY\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("MY_PROVIDER_KEY", "sk-from-env")
    assert load_settings(path).models[0].api_key() == "sk-from-env"


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("mode: test\ndatabase:\n  url: 5\n  colour: blue\n", "database.colour: Extra inputs"),
        ("mode: test\nserver:\n  port: 99999\n", "server.port: Input should be less than"),
        ("mode: staging\n", "mode: Input should be 'production', 'demo' or 'test'"),
        ("mode: test\nmodels:\n  - alias: a\n", "models.0.model: Field required"),
        (
            "mode: test\nmodels:\n  - {alias: a, model: x}\n  - {alias: a, model: y}\n",
            "duplicate alias a",
        ),
        ("mode: production\n", "secret_key: set KAKEHASHI_SECRET_KEY"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("mode: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_wrong_config_names_the_file_field_and_problem(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_a_wrong_default_redaction_profile_names_the_field(tmp_path: Path) -> None:
    # The kernel keeps the section as a plain mapping; its owner (policies) validates it.
    path = tmp_path / "config.yaml"
    path.write_text(
        "mode: test\ndefault_policy:\n  redaction:\n    block: [NOT_A_TYPE]\n", encoding="utf-8"
    )
    settings = load_settings(path)
    with pytest.raises(ConfigError) as info:
        default_policy(settings.default_policy, source=str(path))
    assert f"{path}: default_policy.redaction.block: " in str(info.value)
    assert "NOT_A_TYPE" in str(info.value)
    result = CliRunner().invoke(main, ["serve", "--config", str(path)])
    assert result.exit_code == 2
    assert "default_policy.redaction.block" in result.output
