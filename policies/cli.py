"""``kakehashi policy``: check policy files before they reach the gateway.

``kakehashi policy check [PATH]`` validates every file of the folder and prints each problem
as ``file:line: field: 日本語 / English``; the exit code is 1 when there is any. It imports
neither litellm nor the web stack, so it runs in a second on an IT laptop or in CI.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gateway.kernel.config import config_path, settings_from
from policies.effects import model_warnings
from policies.loader import check_folder


@click.group()
def policy() -> None:
    """Department policies (one YAML file per department plus _defaults.yaml)."""


def _settings_models(config: str | None) -> tuple[Path | None, list[str] | None]:
    if config_path(config) is None:
        return None, None
    # Only the model aliases are read: no secrets are needed to check policies.
    settings = settings_from(config, mode="test")
    return settings.policies_dir, [m.alias for m in settings.models]


@policy.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--config",
    default=None,
    type=click.Path(dir_okay=False),
    help="config.yaml: also check model names against its models (default: $KAKEHASHI_CONFIG).",
)
def check(path: Path | None, config: str | None) -> None:
    """Validate every policy file in PATH (a folder or one of its files; default: the config's
    policies_dir, else ./policies)."""
    configured, aliases = _settings_models(config)
    folder = path or configured or Path("policies")
    if folder.is_file():
        folder = folder.parent
    policies, problems = check_folder(folder)
    for problem in problems:
        click.echo(str(problem))
    if problems or policies is None:
        click.echo(
            f"\n{len(problems)} 件の問題があります / {len(problems)} problem(s) found", err=True
        )
        sys.exit(1)
    for warning in model_warnings(policies, aliases) if aliases is not None else []:
        click.echo(f"警告 / warning: {warning}")
    click.echo(f"OK: {folder} (version {policies.version})")
    click.echo(f"  既定値 / defaults: {policies.default.version()}")
    for name, p in sorted(policies.by_department.items()):
        click.echo(f"  {name}: {p.version()}")
