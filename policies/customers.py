"""A department's customer list uploaded as CSV in the IT console: decoded whatever the
encoding Japanese offices save in (UTF-8 with or without BOM, Shift_JIS/CP932 from Excel),
parsed with a problem per line, and stored normalised (UTF-8, header ``name,aliases,kana``)
as part of the department's policy version (``policies.edits``), so it is versioned, audited
and revertible like the rest of the policy.

Headers may be English (``name,aliases,kana``) or Japanese (``顧客名,別名,読み``); aliases are
separated by ``;``. Nothing is stored until the preview is accepted.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import yaml

from gateway.kernel.errors import BadRequest
from policies.edits import PolicyChange, save_department_policy
from policies.store import PolicyStore

MAX_BYTES = 5 * 1024 * 1024
MAX_TERM = 200
_HEADERS = {
    "name": "name", "顧客名": "name", "会社名": "name", "名前": "name", "名称": "name",
    "aliases": "aliases", "別名": "aliases", "略称": "aliases",
    "kana": "kana", "読み": "kana", "よみ": "kana", "フリガナ": "kana", "ふりがな": "kana",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Customer:
    line: int
    name: str
    aliases: tuple[str, ...]
    kana: str


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    ja: str
    en: str

    def __str__(self) -> str:
        return f"{self.line} 行目: {self.ja} / line {self.line}: {self.en}"


@dataclass(frozen=True, slots=True)
class CustomerList:
    encoding: str  # as detected: "UTF-8 (BOM 付き)", "UTF-8", "Shift_JIS (CP932)"
    rows: list[Customer] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)

    def csv(self) -> str:
        """The list as stored: UTF-8, header name,aliases,kana."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["name", "aliases", "kana"])
        for row in self.rows:
            writer.writerow([row.name, ";".join(row.aliases), row.kana])
        return out.getvalue()


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was found in; UTF-8 is tried before CP932 because a
    UTF-8 file is almost never valid CP932 by accident, while the reverse is common."""
    if len(data) > MAX_BYTES:
        raise BadRequest(
            f"ファイルが大きすぎます (上限 {MAX_BYTES // 1024 // 1024} MB)。",
            f"The file is too large (limit {MAX_BYTES // 1024 // 1024} MB).",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 (BOM 付き)"
    for codec, label in (("utf-8", "UTF-8"), ("cp932", "Shift_JIS (CP932)")):
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise BadRequest(
        "文字コードを判別できません。UTF-8 か Shift_JIS (Excel の「CSV」) で保存してください。",
        "Unknown encoding: save the file as UTF-8 or Shift_JIS (CP932).",
    )


def parse(data: bytes) -> CustomerList:
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return CustomerList(encoding, problems=[LineProblem(1, "ファイルが空です", "empty file")])
    columns = [_HEADERS.get(h.strip().lower(), _HEADERS.get(h.strip(), "")) for h in header]
    if "name" not in columns:
        return CustomerList(
            encoding,
            problems=[
                LineProblem(
                    1,
                    "1 行目に見出し name,aliases,kana (または 顧客名,別名,読み) が必要です",
                    "line 1 must be the header name,aliases,kana",
                )
            ],
        )
    rows: list[Customer] = []
    problems: list[LineProblem] = []
    seen: dict[str, int] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        row = _row(line, columns, values, problems)
        if row is None:
            continue
        if row.name in seen:
            problems.append(
                LineProblem(
                    line,
                    f"{row.name} は {seen[row.name]} 行目と重複しています",
                    f"{row.name} repeats line {seen[row.name]}",
                )
            )
            continue
        seen[row.name] = line
        rows.append(row)
    return CustomerList(encoding, rows, problems)


def _row(
    line: int, columns: list[str], values: list[str], problems: list[LineProblem]
) -> Customer | None:
    if len(values) > len(columns):
        problems.append(
            LineProblem(
                line,
                f"列が多すぎます ({len(values)} 列、見出しは {len(columns)} 列)。"
                '名前に「,」があるときは "" で囲んでください',
                f"{len(values)} columns for a {len(columns)}-column header",
            )
        )
        return None
    cells = {c: v.strip() for c, v in zip(columns, values, strict=False) if c}
    name = cells.get("name", "")
    aliases = tuple(a.strip() for a in cells.get("aliases", "").split(";") if a.strip())
    if not name:
        problems.append(LineProblem(line, "顧客名 (name) が空です", "the name is empty"))
        return None
    if any(len(t) > MAX_TERM for t in (name, *aliases, cells.get("kana", ""))):
        problems.append(
            LineProblem(line, f"{MAX_TERM} 文字を超える名前があります", "a name is too long")
        )
        return None
    return Customer(line, name, aliases, cells.get("kana", ""))


async def save_customer_list(
    *, store: PolicyStore, department: str, data: bytes, author: str, reason: str
) -> PolicyChange:
    """Store a checked list as the department's new version (``BadRequest`` listing the lines
    when the file has problems)."""
    found = parse(data)
    if found.problems:
        lines = "; ".join(str(p) for p in found.problems[:20])
        raise BadRequest(f"顧客リストに誤りがあります: {lines}", f"The list has problems: {lines}")
    stored = next((d for d in await store.documents() if d.department == department), None)
    document = _naming_the_list(stored.text if stored else "", department)
    return await save_department_policy(
        store=store,
        department=department,
        document=document,
        customers=found.csv(),
        author=author,
        reason=reason,
    )


def _naming_the_list(text: str, department: str) -> str:
    """The document, naming ``customers/<department>.csv`` when it names no list yet (kept
    as typed otherwise, comments included)."""
    loaded = yaml.safe_load(text) if text.strip() else {}
    data: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
    redaction = data.get("redaction")
    if isinstance(redaction, dict) and redaction.get("customers_csv"):
        return text
    data.setdefault("redaction", {})
    if not isinstance(data["redaction"], dict):
        data["redaction"] = {}
    data["redaction"]["customers_csv"] = f"customers/{department}.csv"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
