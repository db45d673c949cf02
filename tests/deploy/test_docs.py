"""docs/deploy.md and deploy/kubernetes/README.md name files and commands that exist: a renamed
manifest or CLI command fails here instead of in an operator's terminal."""

from __future__ import annotations

import re

import pytest

from tests.deploy.support import ROOT, kakehashi

DOCS = [ROOT / "docs" / "deploy.md", ROOT / "deploy" / "kubernetes" / "README.md"]
PATH = re.compile(
    r"`((?:deploy|docs|policies|bench|tests)/[\w./-]*|Dockerfile|docker-compose\.yml)`"
)
COMMAND = re.compile(r"kakehashi ((?:audit|db|policy|keys) [a-z]+)")


def _text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in DOCS)


@pytest.mark.parametrize("name", sorted(set(PATH.findall(_text()))))
def test_named_paths_exist(name: str) -> None:
    assert (ROOT / name).exists(), name


@pytest.mark.parametrize("command", sorted(set(COMMAND.findall(_text()))))
def test_named_commands_exist(command: str) -> None:
    result = kakehashi(*command.split(), "--help")
    assert result.exit_code == 0, result.output
