"""A policy set held as documents (one YAML text per department, ``_defaults`` included, and
each one's customer list as CSV text) instead of a folder: what the database keeps.

The documents are checked by writing them as the folder ``kakehashi policy check`` reads and
running the same loader, so the browser, the CLI and the running gateway give the same answer
with the same messages (file names are shown relative: ``営業部.yaml:12: …``). A department's
customer list is written where its document's ``redaction.customers_csv`` points, which must
stay inside the folder.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import yaml

from policies.effects import describe, model_warnings
from policies.loader import Problem, check_folder, load_folder, policy_files
from policies.model import Policy
from policies.resolve import PolicySet

DEFAULTS = "_defaults"


@dataclass(frozen=True, slots=True)
class Document:
    department: str  # ``_defaults`` for the defaults
    text: str  # YAML
    customers: str | None = None  # CSV, UTF-8, header name,aliases,kana

    @property
    def file_name(self) -> str:
        return f"{self.department}.yaml"


def customers_path(text: str) -> str | None:
    """The ``redaction.customers_csv`` a YAML text names, if it parses and names one."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    redaction = data.get("redaction") if isinstance(data, dict) else None
    value = redaction.get("customers_csv") if isinstance(redaction, dict) else None
    return value if isinstance(value, str) else None


def write_folder(documents: Iterable[Document], directory: Path) -> list[Problem]:
    """Write ``documents`` as a policy folder; problems for customer lists it cannot place."""
    problems: list[Problem] = []
    directory.mkdir(parents=True, exist_ok=True)
    for doc in documents:
        (directory / doc.file_name).write_text(doc.text, encoding="utf-8")
        if doc.customers is None:
            continue
        named = customers_path(doc.text)
        if named is None:
            continue  # a list no document uses (the upload names it; a revert may drop it)
        relative = PurePosixPath(named)
        if relative.is_absolute() or ".." in relative.parts:
            problems.append(
                Problem(
                    Path(doc.file_name),
                    None,
                    "redaction.customers_csv",
                    "顧客リストはポリシーと同じ場所 (例: customers/営業部.csv) に置いてください",
                    "the customer list must be a relative path inside the policy set",
                )
            )
            continue
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(doc.customers, encoding="utf-8")
    return problems


@dataclass(frozen=True, slots=True)
class Checked:
    policies: PolicySet | None  # None when there are problems
    problems: list[Problem]
    effects: list[str]  # against ``before`` (``policies.effects``), while the lists exist
    warnings: list[str]  # model patterns matching no configured model (as ``policy check``)


def check_documents(
    documents: Iterable[Document],
    *,
    fallback: Policy,
    before: PolicySet | None = None,
    aliases: list[str] | None = None,
) -> Checked:
    """Validate a whole set exactly as ``kakehashi policy check`` would (file names shown
    relative) and, when it is valid, describe its effect against ``before``."""
    documents = list(documents)
    with tempfile.TemporaryDirectory(prefix="kakehashi-check-") as tmp:
        folder = Path(tmp)
        problems = write_folder(documents, folder)
        problems += _named_departments(documents)
        policies, found = check_folder(folder, fallback=fallback)
        problems += [_relative(p, folder) for p in found]
        if problems or policies is None:
            return Checked(None, problems, [], [])
        # Inside the folder's lifetime: the effect counts the customer lists' rows.
        effects = describe(before, policies) if before is not None else []
    warnings = model_warnings(policies, aliases) if aliases is not None else []
    return Checked(policies, [], effects, warnings)


def load_documents(documents: Iterable[Document], *, fallback: Policy, root: Path) -> PolicySet:
    """Materialise a checked set under ``root`` (one folder per content, kept: the redaction
    engine reads each customer list when it first needs it) and load it."""
    documents = sorted(documents, key=lambda d: d.department)
    digest = hashlib.sha256()
    for doc in documents:
        digest.update(f"{doc.department}\0{doc.text}\0{doc.customers or ''}\0".encode())
    folder = root / digest.hexdigest()[:20]
    if not folder.is_dir():
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
        write_folder(documents, staging)
        staging.rename(folder)
    return load_folder(folder, fallback=fallback)


def read_folder(directory: Path) -> list[Document]:
    """The documents of a policy folder (for ``policy import`` and the first start)."""
    documents = []
    for path in policy_files(directory):
        text = path.read_text(encoding="utf-8")
        named = customers_path(text)
        csv = directory / named if named else None
        customers = csv.read_text(encoding="utf-8-sig") if csv and csv.is_file() else None
        documents.append(Document(path.stem, text, customers))
    return documents


def _named_departments(documents: list[Document]) -> list[Problem]:
    """A document saved as one department must not call itself another."""
    problems = []
    for doc in documents:
        if doc.department == DEFAULTS:
            continue
        try:
            data = yaml.safe_load(doc.text)
        except yaml.YAMLError:
            continue  # the loader reports it with its line
        named = data.get("department") if isinstance(data, dict) else None
        if named is not None and named != doc.department:
            problems.append(
                Problem(
                    Path(doc.file_name),
                    None,
                    "department",
                    f"department は {doc.department} にしてください (ファイル名と同じ部署)",
                    f"department must be {doc.department} (the department being edited)",
                )
            )
    return problems


def _relative(problem: Problem, folder: Path) -> Problem:
    try:
        return replace(problem, file=problem.file.relative_to(folder))
    except ValueError:
        return problem
