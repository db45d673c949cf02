"""The placeholder grammar — the only module that formats or parses placeholders.

A placeholder is ``〔`` + a Japanese label for the type + an index + ``〕``: ``〔会社A〕``,
``〔人物B〕``, ``〔電話1〕``. Names get letters (A … Z, AA …), numbers and other identifiers get
digits, which reads naturally to a model and to staff. The brackets (U+3014/U+3015) are rare in
business text, so an occurrence in the model's answer is almost surely ours.

A lettered placeholder may carry a *form* after ``・`` for another way the same person or company
was written: ``〔人物A・姓〕`` (the surname alone), ``〔人物A・名〕`` (the given name alone),
``〔人物A・2〕`` (another spelling). The model reads one identity (人物A); restore still gives back
each occurrence exactly as it was typed (see ``redaction.mapping``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from redaction.entities import EntityType

_LABELS: dict[EntityType, str] = {
    EntityType.PERSON: "人物",
    EntityType.COMPANY: "会社",
    EntityType.CUSTOMER: "顧客",
    EntityType.LOCATION: "地名",
    EntityType.ADDRESS: "住所",
    EntityType.PHONE: "電話",
    EntityType.EMAIL: "メール",
    EntityType.POSTAL_CODE: "郵便番号",
    EntityType.MY_NUMBER: "個人番号",
    EntityType.CORPORATE_NUMBER: "法人番号",
    EntityType.CREDIT_CARD: "カード",
    EntityType.BANK_ACCOUNT: "口座",
    EntityType.CODENAME: "コード名",
    EntityType.CONFIDENTIAL_MARKER: "機密表示",
}
_LETTERED = frozenset(
    {
        EntityType.PERSON,
        EntityType.COMPANY,
        EntityType.CUSTOMER,
        EntityType.LOCATION,
        EntityType.CODENAME,
    }
)
_TYPE_OF_LABEL = {label: entity_type for entity_type, label in _LABELS.items()}

OPEN = "〔"
CLOSE = "〕"
FORM_MARK = "・"
SURNAME = "姓"
GIVEN_NAME = "名"
_MAX_INDEX_CHARS = 6
_MAX_FORM_CHARS = 2  # 姓, 名, or a spelling number 2-99
# The longest string that can still be a placeholder (for the streaming restorer's buffer).
MAX_LENGTH = (
    2 + max(len(label) for label in _LABELS.values()) + _MAX_INDEX_CHARS + 1 + _MAX_FORM_CHARS
)
_PATTERN = re.compile(
    OPEN
    + "(?P<label>"
    + "|".join(sorted(map(re.escape, _TYPE_OF_LABEL), key=len, reverse=True))
    + f")(?P<index>[A-Z]{{1,{_MAX_INDEX_CHARS}}}|[1-9][0-9]{{0,{_MAX_INDEX_CHARS - 1}}})"
    + f"(?:{FORM_MARK}(?P<form>{SURNAME}|{GIVEN_NAME}|[2-9]|[1-9][0-9]))?"
    + CLOSE
)


@dataclass(frozen=True, slots=True)
class Placeholder:
    type: EntityType
    index: int  # 1-based
    form: str = ""  # "" (as first written), SURNAME, GIVEN_NAME or a spelling number "2".."99"

    def __str__(self) -> str:
        return format_placeholder(self.type, self.index, self.form)

    @property
    def base(self) -> Placeholder:
        """The identity without its form: 〔人物A・姓〕 -> 〔人物A〕."""
        return Placeholder(self.type, self.index)


def _letters(index: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA (bijective base 26)."""
    out = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def _from_letters(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - ord("A") + 1)
    return index


def format_placeholder(entity_type: EntityType, index: int, form: str = "") -> str:
    if index < 1:
        raise ValueError("placeholder indexes start at 1")
    if form and (entity_type not in _LETTERED or not _valid_form(form)):
        raise ValueError(f"no form {form!r} for {entity_type}")
    number = _letters(index) if entity_type in _LETTERED else str(index)
    suffix = f"{FORM_MARK}{form}" if form else ""
    return f"{OPEN}{_LABELS[entity_type]}{number}{suffix}{CLOSE}"


def _valid_form(form: str) -> bool:
    return form in (SURNAME, GIVEN_NAME) or (form.isdigit() and 2 <= int(form) <= 99)


def _parse_match(match: re.Match[str]) -> Placeholder | None:
    entity_type = _TYPE_OF_LABEL[match["label"]]
    index = match["index"]
    if index.isdigit() == (entity_type in _LETTERED):
        return None  # right label, wrong kind of index: not one of ours
    if match["form"] and entity_type not in _LETTERED:
        return None  # numbered identifiers have no forms
    number = int(index) if index.isdigit() else _from_letters(index)
    return Placeholder(entity_type, number, match["form"] or "")


def parse_placeholder(text: str) -> Placeholder | None:
    """The placeholder ``text`` is exactly, or None."""
    match = _PATTERN.fullmatch(text)
    return _parse_match(match) if match else None


def find_placeholders(text: str) -> Iterator[tuple[int, int, Placeholder]]:
    """Every well-formed placeholder in ``text`` with its offsets."""
    for match in _PATTERN.finditer(text):
        placeholder = _parse_match(match)
        if placeholder is not None:
            yield match.start(), match.end(), placeholder


def could_be_prefix(tail: str) -> bool:
    """True if ``tail`` (starting with the opening bracket) may grow into a placeholder."""
    if not tail.startswith(OPEN) or len(tail) >= MAX_LENGTH or CLOSE in tail:
        return False
    body = tail[1:]
    for label in _TYPE_OF_LABEL:
        if label.startswith(body):
            return True
        if body.startswith(label):
            index, mark, form = body[len(label) :].partition(FORM_MARK)
            if _could_be_index(index) and (not mark or _could_be_form(index, form)):
                return True
    return False


def _could_be_index(index: str) -> bool:
    if len(index) >= _MAX_INDEX_CHARS + 1:
        return False
    return index == "" or (
        index.isascii() and ((index.isalpha() and index.isupper()) or index.isdigit())
    )


def _could_be_form(index: str, form: str) -> bool:
    """A form may follow only a lettered index (〔人物A・, 〔人物A・1 on its way to 12)."""
    if not (index.isascii() and index.isalpha()):
        return False
    return form == "" or _valid_form(form) or (form.isdigit() and len(form) < _MAX_FORM_CHARS)
