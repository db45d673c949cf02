"""Presidio is imported without spaCy (issue 18: ~55 MB and ~3 CPU s in every process)."""

from __future__ import annotations

import subprocess
import sys

# A fresh interpreter: the test process may have imported spaCy through another test.
_CHECK = """
import sys
from redaction.presidio import NlpArtifacts, PatternRecognizer, SpacyNotLoaded
from presidio_analyzer.nlp_engine import SpacyNlpEngine
assert not any(m.partition(".")[0] in ("spacy", "thinc", "numpy") for m in sys.modules), sorted(
    m for m in sys.modules if m.startswith(("spacy", "thinc", "numpy")))
try:  # Presidio's own spaCy engine says why it cannot run
    SpacyNlpEngine().load()
except SpacyNotLoaded as exc:
    assert "spaCy is not loaded" in str(exc)
else:
    raise AssertionError("SpacyNlpEngine loaded")
import spacy  # code outside Presidio still gets the real spaCy
assert spacy.blank("ja").lang == "ja"
print("ok")
"""


def test_presidio_without_spacy_and_spacy_still_importable() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHECK], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
