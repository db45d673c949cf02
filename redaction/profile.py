"""The per-department redaction profile (embedded by the policies package).

Owns what a department redacts, blocks and allows; it holds no detection logic. Relative
``customers_csv`` paths are resolved by whoever loads the profile (``resolve_paths``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from redaction.entities import EntityType

ALL_TYPES: tuple[EntityType, ...] = tuple(EntityType)


def _sorted_types(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(sorted({EntityType(v) for v in value}))
    return value


class RedactionProfile(BaseModel):
    """What one department redacts (replaced by placeholders) and blocks (request refused).

    The default profile redacts every type and blocks none. A type listed in ``block`` is
    refused even if it is also in ``redact``. ``allow`` lists terms never redacted (the
    company's own public name, product names); matching ignores width, case, kana and spacing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    redact: tuple[EntityType, ...] = Field(default=ALL_TYPES)
    block: tuple[EntityType, ...] = ()
    allow: tuple[str, ...] = ()
    customers_csv: Path | None = None
    code_names: tuple[str, ...] = ()
    # Types whose detections staff may drop in a preview (each drop is audited and proposed to
    # IT as a word to allow); blocked types never.
    overridable: tuple[EntityType, ...] = ()
    # Names IT approved from staff corrections, with their type (matched like customer names).
    terms: tuple[tuple[EntityType, str], ...] = ()
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    # Characters of text in one request, all fields together; more is refused (413) before any
    # analysis. 200,000 holds a whole-day meeting transcript (~330 spoken characters a minute,
    # about ten hours) and a 128k-token context of Japanese text, and is analysed in seconds.
    max_prompt_chars: int = Field(default=200_000, ge=1_000, le=2_000_000)
    # The small span classifier for organisation names the rules miss
    # (``redaction.company_spans``): +0.5 point of COMPANY recall on new text for about +24%
    # CPU, which the 15 ms per 1,000 characters budget cannot take (docs/benchmarks.md), so
    # off unless a profile asks for it.
    company_model: bool = False
    # Images cannot be redacted: they are refused unless the department accepts sending them.
    allow_images: bool = False

    _normalise_types = field_validator("redact", "block", "overridable", mode="before")(
        _sorted_types
    )

    @field_validator("allow", "code_names", mode="after")
    @classmethod
    def _no_blank_terms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))

    @model_validator(mode="after")
    def _customers_file_is_csv(self) -> RedactionProfile:
        if self.customers_csv is not None and self.customers_csv.suffix.lower() != ".csv":
            raise ValueError("customers_csv must be a .csv file (header: name,aliases,kana)")
        return self

    def wanted(self) -> frozenset[EntityType]:
        """Types the analyzer must look for (redacted or blocked)."""
        return frozenset(self.redact) | frozenset(self.block)

    def resolve_paths(self, base: Path) -> RedactionProfile:
        """Return a copy whose relative ``customers_csv`` is taken relative to ``base``."""
        if self.customers_csv is None or self.customers_csv.is_absolute():
            return self
        return self.model_copy(update={"customers_csv": base / self.customers_csv})


def load_department_profile(policies_dir: Path, department: str) -> RedactionProfile:
    """Read ``<policies_dir>/<department>.yaml``'s ``redaction:`` section (absent: default).

    A stop-gap for the CLI until the policies loader exposes departments; raises
    ``FileNotFoundError`` for an unknown department rather than silently redacting less.
    """
    for suffix in (".yaml", ".yml"):
        path = policies_dir / f"{department}{suffix}"
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            section = data.get("redaction") or {} if isinstance(data, dict) else {}
            return RedactionProfile.model_validate(section).resolve_paths(path.parent)
    raise FileNotFoundError(f"no policy file for department {department!r} in {policies_dir}")
