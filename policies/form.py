"""The IT console's policy form: the values it shows for a department and the YAML document
a submitted form becomes.

Only what the form changed is written into the department's document (an untouched budget
keeps inheriting ``_defaults``). Values are put in as typed, after width and thousands
separators are normalised ("４０,０００" -> 40000); anything still not a number is left as text,
so the loader refuses it with the same message ``kakehashi policy check`` prints.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from policies.documents import DEFAULTS
from policies.model import Policy
from redaction.entities import LABELS_JA, EntityType

SCOPES = (("department", "部署全体"), ("per_user", "1 人あたり"))
WINDOWS = (("month", "月間"), ("day", "1 日"))
UNITS = (("yen", "円"), ("tokens", "トークン"))
TYPE_CHOICES = (("redact", "置き換える"), ("block", "送信を止める"), ("none", "何もしない"))

Form = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class TypeRow:
    name: str
    label: str
    choice: str  # redact | block | none


def budget_field(scope: str, window: str, unit: str) -> str:
    return f"q.{scope}.{window}.{unit}"


def shown(policy: Policy) -> dict[str, str]:
    """The form's text values for ``policy`` (the department's resolved policy)."""
    values = {
        "allowed_models": "\n".join(policy.allowed_models),
        "allow": "\n".join(policy.redaction.allow),
        "code_names": "\n".join(policy.redaction.code_names),
        "retention.days": str(policy.retention.days),
        "description": policy.description,
    }
    for scope, _ in SCOPES:
        for window, _ in WINDOWS:
            limit = getattr(getattr(policy.quotas, scope), window)
            for unit, _ in UNITS:
                value = getattr(limit, unit)
                values[budget_field(scope, window, unit)] = _text(value)
    for key, case in policy.use_cases.items():
        values[f"uc.{key}.label"] = case.label
        values[f"uc.{key}.minutes"] = _text(case.minutes_saved)
    return values


def type_rows(policy: Policy) -> list[TypeRow]:
    profile = policy.redaction
    rows = []
    for kind in EntityType:
        choice = (
            "block" if kind in profile.block else "redact" if kind in profile.redact else "none"
        )
        rows.append(TypeRow(kind.value, LABELS_JA.get(kind, kind.value), choice))
    return rows


def apply(*, department: str, text: str, current: Policy, form: Form) -> str:
    """The department's YAML after the form: ``text`` with what the form changed."""
    loaded = yaml.safe_load(text) if text.strip() else {}
    data: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
    before = shown(current)
    lines = _lines
    if form.get("description", before["description"]) != before["description"]:
        data["description"] = form["description"]
    if lines(form.get("allowed_models", "")) != list(current.allowed_models):
        data["allowed_models"] = lines(form.get("allowed_models", ""))
    for scope, _ in SCOPES:
        for window, _ in WINDOWS:
            for unit, _ in UNITS:
                name = budget_field(scope, window, unit)
                if _clean(form.get(name, "")) != _clean(before[name]):
                    _set(data, ("quotas", scope, window, unit), _number(form.get(name, "")))
    _apply_redaction(data, current, form)
    _apply_use_cases(data, department, current, form)
    if _clean(form.get("retention.days", "")) != before["retention.days"]:
        _set(data, ("retention", "days"), _number(form.get("retention.days", "")))
    for flag in ("store_conversations", "store_redacted_prompts"):
        wanted = form.get(f"retention.{flag}") == "on"
        if wanted != getattr(current.retention, flag):
            _set(data, ("retention", flag), wanted)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _apply_redaction(data: dict[str, Any], current: Policy, form: Form) -> None:
    profile = current.redaction
    rows = type_rows(current)
    choice = {r.name: form.get(f"type.{r.name}", r.choice) for r in rows}
    redact = [name for name, c in choice.items() if c == "redact"]
    block = [name for name, c in choice.items() if c == "block"]
    was_redacted = {t.value for t in profile.redact if t not in profile.block}
    if set(redact) != was_redacted or set(block) != {t.value for t in profile.block}:
        _set(data, ("redaction", "redact"), redact)
        _set(data, ("redaction", "block"), block)
    for key in ("allow", "code_names"):
        if key in form and _lines(form[key]) != list(getattr(profile, key)):
            _set(data, ("redaction", key), _lines(form[key]))


def _apply_use_cases(data: dict[str, Any], department: str, current: Policy, form: Form) -> None:
    cases = data.get("use_cases") if isinstance(data.get("use_cases"), dict) else None
    changes: dict[str, Any] = {}
    for key, case in current.use_cases.items():
        if form.get(f"uc.{key}.delete") == "on":
            changes[key] = None
            continue
        label = form.get(f"uc.{key}.label", case.label).strip()
        minutes = _clean(form.get(f"uc.{key}.minutes", _text(case.minutes_saved)))
        if label != case.label or minutes != _text(case.minutes_saved):
            own = (cases or {}).get(key)
            changes[key] = {**(own if isinstance(own, dict) else {}), "label": label}
            changes[key]["minutes_saved"] = _number(minutes)
    new_id = form.get("uc.new.id", "").strip()
    if new_id:
        changes[new_id] = {
            "label": form.get("uc.new.label", "").strip(),
            "minutes_saved": _number(form.get("uc.new.minutes", "")),
        }
    if not changes:
        return
    merged = dict(cases or {})
    for key, value in changes.items():
        if value is None and department == DEFAULTS:
            merged.pop(key, None)  # the defaults have nothing below them to fall back to
        else:
            merged[key] = value
    data["use_cases"] = merged


def _set(data: dict[str, Any], path: Sequence[str], value: Any) -> None:
    node = data
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = value


def _text(value: float | None) -> str:
    """A number as typed in the form: 40000, not 4e+04; empty for no limit."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _clean(value: str) -> str:
    return unicodedata.normalize("NFKC", value).replace(",", "").replace("_", "").strip()


def _number(value: str) -> int | float | str | None:
    """``""`` -> None (no limit); a number when it reads as one; else the text as typed."""
    text = _clean(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return value.strip()
    return int(number) if number.is_integer() else number
