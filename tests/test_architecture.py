"""The package graph is written down as import-linter contracts in pyproject.toml (layers,
forbidden imports, one home per heavy library, no cycles); ``.ci/run`` runs ``lint-imports``.
This test runs the same check, so ``pytest`` alone also notices a backward import."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_every_part_of_gateway_has_a_layer() -> None:
    """A new module or package under gateway/ must be placed in the layers contract, or the
    contract would not constrain it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [layers] = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    named = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    parts = {
        f"gateway.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "gateway").iterdir()
        if (path.suffix == ".py" and path.stem not in ("__init__", "__main__"))
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert parts - named == set()
