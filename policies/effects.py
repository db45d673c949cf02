"""What a policy change does, in sentences an IT admin can check before saving:
``営業部: 部署全体の月間上限 (円) 30,000円 → 40,000円``.

Compares the resolved policies (defaults merged in) of every department before and after, so
a change of ``_defaults`` lists each department it reaches. Pure: no I/O beyond counting the
lines of a customer list.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from policies.model import Limit, Policy
from policies.resolve import PolicySet
from redaction.entities import LABELS_JA, EntityType

DEFAULT_NAME = "部署ファイルのない部署 (既定値)"
_SCOPES = {"department": "部署全体", "per_user": "1 人あたり"}
_WINDOWS = {"day": "1 日", "month": "月間"}
_UNITS = {"yen": "円", "tokens": "トークン"}


def describe(before: PolicySet, after: PolicySet) -> list[str]:
    """One line per visible change, department by department (empty: no effect)."""
    names = sorted({*before.by_department, *after.by_department})
    lines = [f"{DEFAULT_NAME}: {x}" for x in _policy(before.default, after.default)]
    for name in names:
        if name not in after.by_department:
            lines.append(f"{name}: 部署のポリシーがなくなり、既定値が適用されます")
            continue
        old = before.by_department.get(name)
        if old is None:
            lines.append(f"{name}: 部署のポリシーを新しく作ります")
            old = before.default
        lines += [f"{name}: {x}" for x in _policy(old, after.by_department[name])]
    return lines


def model_warnings(policies: PolicySet, aliases: list[str]) -> list[str]:
    """Model patterns that match none of the configured aliases (``policy check`` prints
    these as warnings; the console shows them before saving)."""
    found = []
    for name, p in [("_defaults", policies.default), *sorted(policies.by_department.items())]:
        for pattern in p.allowed_models:
            if not any(
                p.model_copy(update={"allowed_models": [pattern]}).allows_model(a) for a in aliases
            ):
                found.append(
                    f"{name}: allowed_models {pattern!r}: 設定 (config) のどのモデルにも当てはまりません"
                    f" / matches no model alias in the config"
                )
    return found


def _policy(old: Policy, new: Policy) -> list[str]:
    if _same(old, new):
        return []
    found = _quotas(old, new)
    if old.allowed_models != new.allowed_models:
        found.append(f"使えるモデル {_join(old.allowed_models)} → {_join(new.allowed_models)}")
    found += _redaction(old, new)
    found += _use_cases(old, new)
    if old.retention != new.retention:
        r0, r1 = old.retention, new.retention
        if r0.days != r1.days:
            found.append(f"監査ログの保存期間 {r0.days:,} 日 → {r1.days:,} 日")
        if r0.store_conversations != r1.store_conversations:
            found.append(
                f"会話の保存 {_yes(r0.store_conversations)} → {_yes(r1.store_conversations)}"
            )
        if r0.store_redacted_prompts != r1.store_redacted_prompts:
            found.append(
                f"秘匿化後の依頼文の保存 {_yes(r0.store_redacted_prompts)}"
                f" → {_yes(r1.store_redacted_prompts)}"
            )
    if not found:
        found.append("その他の項目 (説明・トライアル・添付ファイルなど) が変わります")
    return found


def _same(old: Policy, new: Policy) -> bool:
    """Equal content; the customer lists compared by their rows, not where they were read
    (a checked set lives in a scratch folder)."""
    where = {"redaction": {"customers_csv"}}
    if old.model_dump(mode="json", exclude=where) != new.model_dump(mode="json", exclude=where):
        return False
    return _bytes(old.redaction.customers_csv) == _bytes(new.redaction.customers_csv)


def _bytes(path: Path | None) -> bytes:
    return path.read_bytes() if path is not None and path.is_file() else b""


def _quotas(old: Policy, new: Policy) -> list[str]:
    found = []
    for scope, scope_ja in _SCOPES.items():
        for window, window_ja in _WINDOWS.items():
            a: Limit = getattr(getattr(old.quotas, scope), window)
            b: Limit = getattr(getattr(new.quotas, scope), window)
            for unit, unit_ja in _UNITS.items():
                x, y = getattr(a, unit), getattr(b, unit)
                if x != y:
                    found.append(
                        f"{scope_ja}の{window_ja}上限 ({unit_ja}) "
                        f"{_amount(x, unit_ja)} → {_amount(y, unit_ja)}"
                    )
    return found


def _redaction(old: Policy, new: Policy) -> list[str]:
    a, b = old.redaction, new.redaction
    found = _sets("置き換える種類", _types(a.redact), _types(b.redact))
    found += _sets("送信を止める種類", _types(a.block), _types(b.block))
    found += _sets("置き換えない語", a.allow, b.allow)
    found += _sets("社内コード名", a.code_names, b.code_names)
    count_a, count_b = _customers(a.customers_csv), _customers(b.customers_csv)
    if count_a != count_b:
        found.append(f"顧客リスト {count_a:,} 件 → {count_b:,} 件")
    return found


def _use_cases(old: Policy, new: Policy) -> list[str]:
    found = []
    for key in sorted({*old.use_cases, *new.use_cases}):
        a, b = old.use_cases.get(key), new.use_cases.get(key)
        if a is None and b is not None:
            found.append(f"用途を追加: {b.label} ({b.minutes_saved:g} 分)")
        elif b is None and a is not None:
            found.append(f"用途を削除: {a.label}")
        elif a is not None and b is not None and a != b:
            found.append(
                f"用途 {key}: {a.label} ({a.minutes_saved:g} 分) → {b.label} ({b.minutes_saved:g} 分)"
            )
    return found


def _sets(label: str, old: Iterable[str], new: Iterable[str]) -> list[str]:
    a, b = list(old), list(new)
    added, removed = [x for x in b if x not in a], [x for x in a if x not in b]
    found = []
    if added:
        found.append(f"{label}に追加: {_join(added)}")
    if removed:
        found.append(f"{label}から削除: {_join(removed)}")
    return found


def _types(types: Iterable[EntityType]) -> list[str]:
    return [LABELS_JA.get(t, t.value) for t in types]


def _customers(path: object) -> int:
    if not isinstance(path, Path) or not path.is_file():
        return 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return max(0, sum(1 for row in csv.reader(handle) if any(c.strip() for c in row)) - 1)


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return "上限なし"
    return f"{value:,.0f}{unit}" if unit == "円" else f"{value:,} {unit}"


def _join(items: Iterable[str]) -> str:
    return "、".join(items) or "(なし)"


def _yes(flag: bool) -> str:
    return "する" if flag else "しない"
