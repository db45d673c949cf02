"""Read a policy folder: one YAML file per department plus ``_defaults.yaml``.

Owns file reading, the defaults merge and turning every problem into a ``Problem`` with file,
line and a plain Japanese/English message (pydantic error locations are mapped back to YAML
node marks). A folder with any problem is refused as a whole: it never half-loads.

Merge rule: a department file is laid over ``_defaults.yaml`` key by key (mappings merge,
lists and values replace); ``key: null`` drops the inherited value back to the built-in default.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gateway.kernel.errors import PolicyError
from policies.explain import explain
from policies.model import Policy
from policies.resolve import PolicySet

DEFAULTS_STEMS = ("_defaults",)
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Problem:
    file: Path
    line: int | None
    where: str  # dotted field path, or "" for the file as a whole
    ja: str
    en: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else str(self.file)
        field = f" {self.where}:" if self.where else ""
        return f"{place}:{field} {self.ja} / {self.en}"


class PolicyInvalid(PolicyError):
    """The folder cannot be used; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        text = "\n".join(str(p) for p in problems)
        super().__init__(f"ポリシーを読み込めません:\n{text}", text)
        self.problems = problems


@dataclass(frozen=True, slots=True)
class _Document:
    path: Path
    data: dict[str, Any]
    node: Node


def policy_files(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.iterdir()
        if p.suffix in SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


def load_folder(directory: Path, *, fallback: Policy | None = None) -> PolicySet:
    """The policy set in ``directory``; raises ``PolicyInvalid`` listing every problem."""
    policies, problems = check_folder(directory, fallback=fallback)
    if problems or policies is None:
        raise PolicyInvalid(problems)
    return policies


def check_folder(
    directory: Path, *, fallback: Policy | None = None
) -> tuple[PolicySet | None, list[Problem]]:
    if not directory.is_dir():
        return None, [Problem(directory, None, "", "フォルダがありません", "no such folder")]
    problems: list[Problem] = []
    documents = [d for d in (_parse(p, problems) for p in policy_files(directory)) if d]
    defaults_doc = next((d for d in documents if d.path.stem in DEFAULTS_STEMS), None)
    default = fallback or Policy()
    broken_defaults: _Document | None = None
    if defaults_doc is not None:
        if "department" in defaults_doc.data:
            problems.append(_at(defaults_doc, ("department",), *_NO_DEPARTMENT_IN_DEFAULTS))
        validated = _validate(defaults_doc, None, defaults_doc.data, problems)
        default = validated or default
        broken_defaults = None if validated else defaults_doc
    by_department: dict[str, Policy] = {}
    for doc in documents:
        if doc is defaults_doc:
            continue
        data = _merge(defaults_doc.data if defaults_doc else {}, doc.data)
        data["department"] = doc.data.get("department", doc.path.stem)
        policy = _validate(doc, broken_defaults, data, problems)
        if policy is None:
            continue
        if policy.department in by_department:
            problems.append(_at(doc, ("department",), *_duplicate(policy.department)))
        by_department[policy.department] = policy
    if problems:
        return None, sorted(problems, key=lambda p: (str(p.file), p.line or 0))
    return PolicySet(
        default=default, by_department=by_department, version=_version(default, by_department)
    ), []


def _version(default: Policy, by_department: dict[str, Policy]) -> str:
    digest = hashlib.sha256(default.version().encode())
    for name in sorted(by_department):
        digest.update(f"\0{name}\0{by_department[name].version()}".encode())
    return digest.hexdigest()[:16]


def _parse(path: Path, problems: list[Problem]) -> _Document | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(
            Problem(path, None, "", "読み込めません (UTF-8 で保存してください)", str(exc))
        )
        return None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.append(Problem(path, 1, "", "ファイルが空です", "the file is empty"))
            return None
        duplicates = _duplicate_keys(node, path)
        if duplicates:
            problems.extend(duplicates)
            return None
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = exc.problem or exc.context or "syntax error"
        problems.append(
            Problem(
                path,
                line,
                "",
                f"YAML の書き方に誤りがあります ({reason})",
                f"YAML syntax error: {reason}",
            )
        )
        return None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        problems.append(
            Problem(
                path,
                1,
                "",
                "最上位は「項目: 値」の並びにしてください",
                "the top level must be a mapping",
            )
        )
        return None
    return _Document(path, data, node)


def _duplicate_keys(node: Node, path: Path) -> list[Problem]:
    found: list[Problem] = []
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    found.append(
                        Problem(
                            path,
                            key.start_mark.line + 1,
                            str(key.value),
                            "同じ項目が 2 回書かれています (後の値だけが使われてしまいます)",
                            "this key appears twice (only the last one would count)",
                        )
                    )
                seen.add(key.value)
            found.extend(_duplicate_keys(value, path))
    elif isinstance(node, SequenceNode):
        for item in node.value:
            found.extend(_duplicate_keys(item, path))
    return found


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _validate(
    doc: _Document, broken: _Document | None, data: dict[str, Any], problems: list[Problem]
) -> Policy | None:
    """``broken``: the defaults file when it failed on its own (its errors are reported once)."""
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            line, exact = locate(doc.node, loc)
            if not exact and broken is not None and locate(broken.node, loc)[1]:
                continue  # the inherited value is wrong: already reported for the defaults file
            ja, en = explain(err)
            problems.append(Problem(doc.path, line, _dotted(loc), ja, en))
        return None
    return _with_paths(doc, policy, problems)


def _with_paths(doc: _Document, policy: Policy, problems: list[Problem]) -> Policy | None:
    profile = policy.redaction.resolve_paths(doc.path.parent)
    csv = profile.customers_csv
    if csv is not None and not csv.is_file():
        problems.append(
            _at(
                doc,
                ("redaction", "customers_csv"),
                f"顧客リストのファイル {csv} がありません",
                f"the customer list {csv} does not exist",
            )
        )
        return None
    return policy.model_copy(update={"redaction": profile})


def locate(node: Node, loc: tuple[Any, ...]) -> tuple[int, bool]:
    """The line (1-based) of ``loc`` in the YAML tree, and whether the whole path was found
    (otherwise: the line of its deepest ancestor that exists)."""
    line = node.start_mark.line + 1
    for part in loc:
        if part == "[key]":  # pydantic's marker for a bad mapping key: the key's own line
            return line, True
        if isinstance(node, MappingNode):
            match = next((kv for kv in node.value if kv[0].value == str(part)), None)
            if match is None:
                return line, False
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line, False
    return line, True


def _dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p != "[key]")


def _at(doc: _Document, loc: tuple[str, ...], ja: str, en: str) -> Problem:
    return Problem(doc.path, locate(doc.node, loc)[0], _dotted(loc), ja, en)


def _duplicate(department: str) -> tuple[str, str]:
    return (
        f"部署 {department} のポリシーが複数のファイルにあります",
        f"department {department} has more than one policy file",
    )


_NO_DEPARTMENT_IN_DEFAULTS = (
    "既定値ファイルには department を書きません (部署ごとのファイルに書きます)",
    "the defaults file must not name a department",
)
