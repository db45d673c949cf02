"""The package graph is written down as import-linter contracts in pyproject.toml (layers,
forbidden imports, one home per heavy library, no cycles); ``.ci/run`` runs ``lint-imports``.
This test runs the same check, so ``pytest`` alone also notices a backward import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
