"""``kakehashi redact``: redact stdin and print JSON (a contract evaluation scripts rely on).

    kakehashi redact [--department NAME] [--customers CSV] [--jsonl]

Prints ``{"text": ..., "entities": [{"type", "start", "end", "text", "placeholder"}]}``
(offsets into the original input; the placeholder that replaced the name in ``text``), plus ``"blocked"`` when the profile blocks something found. With ``--jsonl``
each input line ``{"id": ..., "text": ...}`` gives one output line with the same ``id``; the
Redactor is loaded once. Imports neither litellm nor the web stack.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from redaction.profile import RedactionProfile, load_department_profile


def _profile(department: str | None, customers: str | None) -> RedactionProfile:
    profile = RedactionProfile()
    policies_dir = os.environ.get("KAKEHASHI_POLICIES_DIR")
    if department is not None and policies_dir:
        try:
            profile = load_department_profile(Path(policies_dir), department)
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"department {department!r}: {exc}") from exc
    elif department is not None:
        click.echo(
            "KAKEHASHI_POLICIES_DIR が未設定のため既定のプロファイル（すべて伏せ字）を使います / "
            "KAKEHASHI_POLICIES_DIR is not set; using the default profile (redact everything)",
            err=True,
        )
    if customers is not None:
        profile = profile.model_copy(update={"customers_csv": Path(customers)})
    return profile


def _result(redactor: Any, text: str, profile: RedactionProfile) -> dict[str, Any]:
    from redaction.service import preview_text

    preview = preview_text(text, redactor.analyze(text, profile), profile)
    out: dict[str, Any] = {
        "text": preview.text,
        "entities": [
            {
                "type": s.type.value,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "placeholder": s.placeholder,
            }
            for s in preview.spans
        ],
    }
    if preview.blocked:
        out["blocked"] = [
            {"type": f.type.value, "start": f.start, "end": f.end} for f in preview.blocked
        ]
    return out


@click.command("redact")
@click.option("--department", default=None, help="use this department's redaction profile")
@click.option(
    "--customers",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="customers CSV (header: name,aliases,kana; aliases separated by ;)",
)
@click.option("--jsonl", is_flag=True, help='read {"id", "text"} lines, write one result per line')
def redact(department: str | None, customers: str | None, jsonl: bool) -> None:
    """Redact text from stdin and print the result as JSON."""
    from redaction.engine import Redactor

    profile = _profile(department, customers)
    redactor = Redactor.build()
    if not jsonl:
        text = sys.stdin.read()
        click.echo(json.dumps(_result(redactor, text, profile), ensure_ascii=False))
        return
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
        except (ValueError, KeyError, TypeError) as exc:
            raise click.ClickException(f"line {number}: expected {{'id', 'text'}} JSON") from exc
        result = {"id": item.get("id"), **_result(redactor, text, profile)}
        click.echo(json.dumps(result, ensure_ascii=False))
