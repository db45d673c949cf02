"""Import direction: policies/, redaction/ and audit/ never reach into the web stack, litellm,
or the gateway's app, routes and pipeline; litellm is imported in one module only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = (
    "fastapi",
    "starlette",
    "litellm",
    "gateway.http.app",
    "gateway.http.routes",
    "gateway.pipeline",
)


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["policies", "redaction", "audit"])
def test_domain_packages_do_not_import_the_web_stack(package: str) -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert offenders == set()


def test_litellm_is_imported_only_by_the_provider_module() -> None:
    users = {
        str(path.relative_to(ROOT))
        for package in ("gateway", "policies", "redaction", "audit", "web")
        for path in (ROOT / package).rglob("*.py")
        if any(n == "litellm" or n.startswith("litellm.") for n in imports(path))
    }
    assert users == {"gateway/provider.py"}
