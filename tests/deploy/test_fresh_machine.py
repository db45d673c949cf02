"""The fresh-machine path of the README's two commands, checked here without a fresh machine
(bench/fresh/ runs them in a debootstrapped Debian): deploy/bootstrap.sh compares versions as
numbers and refuses a too-old tool by name, the tests find Chromium instead of assuming a path,
and a test OIDC provider that cannot start says why."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.support import ROOT
from tests.fixtures.oidc import start_failure
from tests.support.browser import chromium_executable

BOOTSTRAP = ROOT / "deploy" / "bootstrap.sh"


def _bash(script: str, path: str = "/usr/bin:/bin") -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": "/nonexistent", "KAKEHASHI_TOOLS": "/nonexistent/tools"}
    return subprocess.run(
        ["bash", "-c", f"source {BOOTSTRAP}; set -euo pipefail; {script}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("have", "need", "enough"),
    [
        ("20.12.0", "20.12.0", True),
        ("20.9.0", "20.12.0", False),  # a string comparison would call 20.9 newer
        ("24.1.0", "20.12.0", True),
        ("18.19.1", "20.12.0", False),
        ("0.13.8", "0.7.0", True),
        ("0.6.14", "0.7.0", False),
        ("3.11", "3.11", True),
        ("3.10", "3.11", False),
    ],
)
def test_versions_compare_as_numbers(have: str, need: str, enough: bool) -> None:
    done = _bash(f"kk_version_ge {have} {need}")
    assert (done.returncode == 0) is enough


def _fake(tmp_path: Path, name: str, output: str) -> None:
    tool = tmp_path / name
    tool.write_text(f"#!/bin/sh\necho '{output}'\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


def test_a_new_enough_node_with_npm_is_used_as_it_is(tmp_path: Path) -> None:
    _fake(tmp_path, "node", "v22.3.0")
    _fake(tmp_path, "npm", "10.8.1")
    done = _bash("kk_node && command -v node", path=f"{tmp_path}:/usr/bin:/bin")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "node")


def test_nginx_older_than_required_is_refused_by_name(tmp_path: Path) -> None:
    _fake(tmp_path, "nginx", "nginx version: nginx/1.14.2")
    done = _bash("kk_nginx", path=f"{tmp_path}:/usr/bin:/bin")
    assert done.returncode == 1
    assert "nginx 1.18.0 or newer is needed (the two-replica tests); nginx here is 1.14.2" in (
        done.stderr
    )
    _fake(tmp_path, "nginx", "nginx version: nginx/1.22.1")
    assert _bash("kk_nginx", path=f"{tmp_path}:/usr/bin:/bin").returncode == 0


def test_python_older_than_required_is_refused_by_name(tmp_path: Path) -> None:
    _fake(tmp_path, "python3", "3.9")
    done = _bash("kk_python", path=f"{tmp_path}:/usr/bin:/bin")
    assert done.returncode == 1
    assert "Python 3.11 or newer is needed; python3 here is 3.9" in done.stderr


def test_chromium_is_found_from_the_environment_or_refused_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake(tmp_path, "chrome", "Chromium 130.0.6723.116")
    monkeypatch.setenv("KAKEHASHI_CHROMIUM", str(tmp_path / "chrome"))
    assert chromium_executable() == str(tmp_path / "chrome")
    # Ubuntu's apt "chromium-browser" only points at a snap: it runs, but is no browser.
    _fake(tmp_path, "snap-stub", "Command requires the chromium snap to be installed.")
    monkeypatch.setenv("KAKEHASHI_CHROMIUM", str(tmp_path / "snap-stub"))
    with pytest.raises(RuntimeError, match="no working Chromium found"):
        chromium_executable()


def test_a_test_idp_that_cannot_start_quotes_its_output(tmp_path: Path) -> None:
    log = tmp_path / "idp.log"
    script = "import sys; print('TypeError: crypto.hash is not a function', file=sys.stderr); sys.exit(1)"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", script], stdout=out, stderr=out)
        process.wait(timeout=30)
    error = start_failure(process, log, node=sys.executable)
    assert "crypto.hash is not a function" in str(error)
    assert "exit code 1" in str(error)
    assert "Node >= 20.12" in str(error)


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    block = readme[readme.index("```bash") + 1 : readme.index("```bash") + 3]
    assert block[0].startswith("bash deploy/bootstrap.sh uv run kakehashi demo ")
    assert block[1].startswith("bash .ci/test ")
    assert "bash .ci/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert os.access(BOOTSTRAP, os.X_OK)


@pytest.mark.parametrize(
    "script", ["deploy/bootstrap.sh", "bench/fresh/run.sh", ".ci/run", ".ci/test"]
)
def test_shell_scripts_pass_shellcheck(script: str) -> None:
    done = subprocess.run(
        ["shellcheck", "--external-sources", script], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
