"""Where a command finds its config file, and how it loads settings or exits with the error.

Shared by every ``kakehashi`` subcommand (gateway, audit, policies), so a package's command
never imports another package's command module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from gateway.kernel.errors import ConfigError
from gateway.kernel.settings import Settings, load_settings

CONFIG_ENV = "KAKEHASHI_CONFIG"


def config_path(config: str | None) -> Path | None:
    """The config file named on the command line, else ``$KAKEHASHI_CONFIG``, else none."""
    value = config or os.environ.get(CONFIG_ENV)
    return Path(value) if value else None


def settings_from(config: str | None, **overrides: Any) -> Settings:
    """Load settings or exit with the config error (file: field: problem)."""
    try:
        return load_settings(config_path(config), **overrides)
    except ConfigError as exc:
        click.echo(f"設定エラー / configuration error:\n{exc}", err=True)
        sys.exit(2)


config_option = click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    default=None,
    help="YAML config file (default: $KAKEHASHI_CONFIG).",
)
