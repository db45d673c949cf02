"""Shared by the deployment checks: repository paths, YAML loading, the ``kakehashi`` command
(through its console-script entry point, so these tests follow the CLI wherever it lives) and
production-like secrets for configs that refuse the development defaults."""

from __future__ import annotations

import secrets
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
import yaml
from click.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_POLICIES = ROOT / "policies" / "examples"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def production_env() -> dict[str, str]:
    return {
        "KAKEHASHI_SECRET_KEY": secrets.token_urlsafe(48),
        "KAKEHASHI_OIDC__CLIENT_SECRET": secrets.token_urlsafe(32),
    }


def kakehashi(*args: str, env: dict[str, str] | None = None) -> Result:
    (script,) = entry_points(group="console_scripts", name="kakehashi")
    command: click.Command = script.load()
    return CliRunner().invoke(command, list(args), env=env, catch_exceptions=False)


def policy_check(config_text: str, tmp_path: Path, policies: Path = EXAMPLE_POLICIES) -> Result:
    """``kakehashi policy check --config`` on a config file's text: the config loads in
    production mode (secrets from the environment) and the policies name its models."""
    config = tmp_path / "kakehashi.yaml"
    config.write_text(config_text, encoding="utf-8")
    return kakehashi(
        "policy", "check", str(policies), "--config", str(config), env=production_env()
    )
