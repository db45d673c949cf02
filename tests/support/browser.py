"""Where the tests find Chromium: the one place that knows its path and launch flags.

``KAKEHASHI_CHROMIUM`` (set by .ci/test through deploy/bootstrap.sh) wins; otherwise the usual
names on PATH. Ubuntu's apt ``chromium-browser`` is only a pointer to a snap, so a candidate
must answer ``--version`` before it is used; none found is an error naming what to do, not a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

# What a real browser answers to --version ("Chromium 130.0.6723.116 built on Debian ...").
VERSION = re.compile(r"\b(chromium|chrome)\b[^\n]*?\b\d+\.\d+\.", re.IGNORECASE)
NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _answers(path: str) -> bool:
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and VERSION.search(done.stdout) is not None


def chromium_executable() -> str:
    """The path of a Chromium or Chrome that runs, or RuntimeError saying how to get one."""
    configured = os.environ.get("KAKEHASHI_CHROMIUM")
    candidates = [configured] if configured else [shutil.which(name) for name in NAMES]
    for path in candidates:
        if path and _answers(path):
            return path
    raise RuntimeError(
        "no working Chromium found (KAKEHASHI_CHROMIUM="
        f"{configured!r}, tried {', '.join(NAMES)} on PATH): run `bash .ci/test`, which installs "
        "or finds one, or set KAKEHASHI_CHROMIUM to a Chromium or Chrome binary"
    )
